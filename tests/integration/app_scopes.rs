//! The HubSpot app config's scopes are enough, and needed: a token installed through the
//! sandbox's consent with exactly `infra/hubspot-app`'s scopes runs the initial sync, the
//! invoice and payment mirror and the workflow action without one 403; a token missing a
//! scope the code needs gets HubSpot's `MISSING_SCOPES` (docs/hubspot.md §1.4, §1.7).

use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::hubspot::{
    AppScopes, HubspotClient, HubspotError, ObjectType, PropertyDefinition, app_scopes,
};
use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;
use hqsync::model::{ObjectKind, Side};
use hqsync_sandbox::Seed;
use hqsync_tests::hubspot::start_default_hubspot_sandbox;
use hqsync_tests::invoicing::InvoiceRecords;
use hqsync_tests::oauth::hubspot_tokens_through_consent;
use hqsync_tests::sandbox_stats::{requests_served, responses_with_status};
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use secrecy::SecretString;
use serde_json::json;
use std::sync::Arc;

use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_configs_scopes_run_every_flow_without_a_missing_scope() {
    let scopes = app_scopes();
    let e2e = E2eStack::start(
        E2eOptions {
            seed: Seed::Demo,
            poll_interval: None,
            hubspot_scopes: Some(scopes.clone()),
            ..E2eOptions::default()
        },
        |hs, _| hs.payment_processing = true,
    )
    .await;
    let hs_base = e2e.hubspot.base_url();
    // The initial sync ran with the installed token: demo records linked both ways (which
    // created the link properties such as the contact's qbo_customer_id).
    assert!(!e2e.links(ObjectKind::Contact).await.is_empty());
    assert!(!e2e.links(ObjectKind::Product).await.is_empty());

    let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
    let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
    let reader = InvoiceMirror::new(
        Arc::new(hubspot.clone()),
        Arc::new(qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    reader.ensure_schema().await.unwrap();
    let records = InvoiceRecords::over(hubspot, qbo).await;

    // Live sync, then the invoice mirror and a payment.
    let customer = records
        .customer("Scope Checker", "scope.checker@example.com")
        .await;
    let item = records.item("Scoped work", "100").await;
    let contact = e2e
        .linked_partner(ObjectKind::Contact, Side::Quickbooks, &customer)
        .await;
    let product = e2e
        .linked_partner(ObjectKind::Product, Side::Quickbooks, &item)
        .await;
    let invoice = records
        .invoice(&customer, &[(&item, "1", "100")], None, "2099-01-31")
        .await;
    let invoice_id = invoice.id.clone().unwrap();
    eventually("invoice mirrored", || async {
        reader.find_hubspot_invoice(&invoice_id).await.unwrap()
    })
    .await;
    records
        .pay(&customer, &[(&invoice_id, "100")], "SCOPES-1")
        .await;
    eventually("invoice paid", || async {
        reader
            .find_hubspot_invoice(&invoice_id)
            .await
            .unwrap()
            .filter(|hs| hs.get(inv::QBO_STATUS) == Some("paid"))
    })
    .await;

    // The workflow action on a deal with a line item, through the stack's action route.
    let deal = records.deal("Scoped deal", Some(&contact)).await;
    records.deal_line_item(&deal, &product, "2", "100").await;
    let url = format!("{}{CREATE_INVOICE_ACTION_PATH}", e2e.webhook_base);
    let body = action_execution(
        "scopes-cb-1",
        e2e.hubspot.config().portal_id,
        &deal,
        json!({"due_in_days": "30"}),
    );
    let answer = post_signed_action(&url, &e2e.hubspot.config().client_secret, body).await;
    assert_eq!(answer.status().as_u16(), 200);
    let completed = eventually("the action's callback", || async {
        let done = e2e.hubspot.action_callbacks();
        (!done.is_empty()).then_some(done)
    })
    .await;
    assert_eq!(
        completed[0].1["outputFields"]["hs_execution_state"], "SUCCESS",
        "{:?}",
        completed[0].1
    );

    assert!(requests_served(&hs_base).await > 20);
    assert_eq!(
        responses_with_status(&hs_base, 403).await,
        0,
        "a call the app config's scopes do not cover"
    );
    e2e.shutdown().await;
}

/// The app config's scopes without `dropped`.
fn without(scopes: &AppScopes, dropped: &str) -> AppScopes {
    AppScopes {
        required: scopes
            .required
            .iter()
            .filter(|s| *s != dropped)
            .cloned()
            .collect(),
        optional: scopes
            .optional
            .iter()
            .filter(|s| *s != dropped)
            .cloned()
            .collect(),
    }
}

#[tokio::test]
async fn a_token_missing_a_needed_scope_gets_missing_scopes() {
    let hs = start_default_hubspot_sandbox().await;
    let link_property = || {
        PropertyDefinition::text(
            "qbo_customer_id",
            "QuickBooks customer ID",
            "contactinformation",
        )
        .unique()
    };
    let client_with = |token: SecretString| {
        HubspotClient::builder(token)
            .base_url(hs.base_url())
            .build()
            .unwrap()
    };

    let short = without(app_scopes(), "crm.schemas.contacts.write");
    assert_ne!(&short, app_scopes(), "the app config asks for it");
    let set = hubspot_tokens_through_consent(&hs, &short.required, &short.optional).await;
    let client = client_with(set.access_token);
    let refused = client
        .ensure_properties(ObjectType::Contacts, &[link_property()])
        .await
        .unwrap_err();
    match &refused {
        HubspotError::MissingScopes { scopes, body } => {
            assert_eq!(scopes, &["crm.schemas.contacts.write".to_owned()]);
            assert_eq!(body.category.as_deref(), Some("MISSING_SCOPES"));
        }
        other => panic!("expected MISSING_SCOPES, got {other:?}"),
    }
    // Reading the contact properties is still allowed (the read scope is there).
    client.list_properties(ObjectType::Contacts).await.unwrap();

    // With the full set the same call passes.
    let full = app_scopes();
    let set = hubspot_tokens_through_consent(&hs, &full.required, &full.optional).await;
    client_with(set.access_token)
        .ensure_properties(ObjectType::Contacts, &[link_property()])
        .await
        .unwrap();

    // Another area: invoices need their own scope.
    let short = without(app_scopes(), "crm.objects.invoices.read");
    let set = hubspot_tokens_through_consent(&hs, &short.required, &short.optional).await;
    let refused = client_with(set.access_token)
        .list_objects_page(ObjectType::Invoices, &Default::default(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, HubspotError::MissingScopes { scopes, .. } if scopes.contains(&"crm.objects.invoices.read".to_owned())),
        "{refused:?}"
    );
    hs.shutdown().await;
}
