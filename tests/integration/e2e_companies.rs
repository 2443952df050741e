//! The `company` customer model end to end: HubSpot companies become QBO customers and back,
//! two contacts of one company make one customer (the collision HubSpot's own integration
//! fails on), same-named companies get the suffix rule, and switching models with links is
//! refused by the admin API (docs/admin.md §6); a company customer's invoice, payment and
//! receivables reach the company, its primary contact and its deal.

use std::sync::Arc;
use std::time::Duration;

use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::receivables::properties::{
    LAST_PAYMENT_AMOUNT, LAST_PAYMENT_DATE, OPEN_BALANCE,
};
use hqsync::engine::jobs::{Disposition, process_jobs};
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{InlineAssociation, ObjectType};
use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;
use hqsync::model::{ConnectionSettings, CustomerModel, NameSuffixRule, ObjectKind, Record, Side};
use hqsync::ports::{Job, JobReason, Lane, Links, RecordGateway};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use hqsync_tests::invoicing::{InvoiceRecords, dec};
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use serde_json::{Value, json};

use crate::e2e_stack::{E2eOptions, E2eStack, eventually, text, values};

const COMPANY: ObjectKind = ObjectKind::Company;
const CONTACT: ObjectKind = ObjectKind::Contact;
/// The unlabeled contact -> company association (docs/hubspot.md §3).
const CONTACT_TO_COMPANY: u32 = 279;
const RECEIVABLES: &[&str] = &[OPEN_BALANCE, LAST_PAYMENT_AMOUNT, LAST_PAYMENT_DATE];

fn company_model(suffix: NameSuffixRule) -> ConnectionSettings {
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    settings.company.name_suffix = suffix;
    settings
}

/// A HubSpot company made by a person, through the sandbox's CRM API
/// (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies).
async fn create_company(e2e: &E2eStack, name: &str, domain: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/crm/v3/objects/companies",
            e2e.hubspot.base_url()
        ))
        .bearer_auth(&e2e.hubspot.config().dev_token)
        .json(&json!({"properties": {"name": name, "domain": domain}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["id"].as_str().expect("a company id").to_owned()
}

async fn customers_named(e2e: &E2eStack, company_name: &str) -> Vec<Record> {
    e2e.find(COMPANY, Side::Quickbooks, "CompanyName", company_name)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_contacts_of_one_company_make_one_company_customer() {
    let e2e = E2eStack::start(
        E2eOptions {
            settings: company_model(NameSuffixRule::Number),
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let company = create_company(&e2e, "Initech", "initech.example").await;
    // HubSpot's own app makes the first contact the customer "Initech" and fails the second
    // as a duplicate DisplayName (docs/hubspot.md §10.1); here contacts are not customers.
    for (email, first) in [
        ("peter@initech.example", "Peter"),
        ("milton@initech.example", "Milton"),
    ] {
        e2e.create(
            CONTACT,
            Side::Hubspot,
            values(&[
                ("email", email),
                ("firstname", first),
                ("company", "Initech"),
            ]),
        )
        .await;
    }
    let customer = e2e.linked_partner(COMPANY, Side::Hubspot, &company).await;
    let customer = e2e
        .read(COMPANY, Side::Quickbooks, &customer)
        .await
        .unwrap();
    assert_eq!(text(&customer, "DisplayName"), "Initech");
    assert_eq!(text(&customer, "CompanyName"), "Initech");
    assert_eq!(text(&customer, "WebAddr.URI"), "initech.example");
    // The contacts' jobs are done without a customer: one QBO customer for the company.
    assert_eq!(customers_named(&e2e, "Initech").await.len(), 1);
    for email in ["peter@initech.example", "milton@initech.example"] {
        let by_email = e2e
            .find(CONTACT, Side::Quickbooks, "PrimaryEmailAddr.Address", email)
            .await;
        assert!(by_email.is_empty(), "{email}: {by_email:?}");
    }
    assert!(e2e.links(CONTACT).await.is_empty());
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_named_companies_get_the_suffix_rule_and_qbo_customers_become_companies() {
    let e2e = E2eStack::start(
        E2eOptions {
            settings: company_model(NameSuffixRule::MatchKey),
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let first = create_company(&e2e, "Acme", "acme.example").await;
    let first = e2e.linked_partner(COMPANY, Side::Hubspot, &first).await;
    let second = create_company(&e2e, "Acme", "acme-tools.example").await;
    let second = e2e.linked_partner(COMPANY, Side::Hubspot, &second).await;
    assert_ne!(
        first, second,
        "the second company is not matched to a linked customer"
    );
    let mut names: Vec<String> = customers_named(&e2e, "Acme")
        .await
        .iter()
        .map(|c| text(c, "DisplayName"))
        .collect();
    names.sort();
    assert_eq!(names, ["Acme", "Acme (acme-tools.example)"]);

    // QBO -> HubSpot: a customer becomes a company named by its CompanyName.
    let customer = e2e
        .create(
            COMPANY,
            Side::Quickbooks,
            values(&[
                ("DisplayName", "Globex Corporation"),
                ("CompanyName", "Globex"),
                ("WebAddr.URI", "globex.example"),
            ]),
        )
        .await;
    let company = e2e
        .linked_partner(COMPANY, Side::Quickbooks, &customer.id)
        .await;
    let company = e2e.read(COMPANY, Side::Hubspot, &company).await.unwrap();
    assert_eq!(text(&company, "name"), "Globex");
    assert_eq!(text(&company, "domain"), "globex.example");
    e2e.shutdown().await;
}

fn demo() -> AdminServerOptions {
    let mut options = AdminServerOptions::default();
    options.hubspot.seed = Seed::Demo;
    options.quickbooks.seed = Seed::Demo;
    options
}

#[tokio::test]
async fn switching_the_customer_model_with_links_is_refused_with_the_way_out() {
    let server = AdminServer::start_with(demo()).await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    let settings = format!("/api/connections/{id}/settings");

    // Enabling companies under the contact model says which setting to change.
    let refused = admin
        .post(&format!("/api/connections/{id}/objects/company/enable"))
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("model = \"company\""),
        "{body}"
    );

    // One contact linked: the switch is refused, nothing is stored.
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let gateway: &dyn RecordGateway = pair.side(Side::Hubspot);
    let contact = gateway.list_page(CONTACT, None).await.unwrap().records[0]
        .id
        .clone();
    let job = Job::new(
        id.clone(),
        CONTACT,
        Side::Hubspot,
        contact,
        JobReason::Webhook,
        server.ctx.sync.clock.now(),
    );
    let results = process_jobs(&server.ctx.sync, vec![job]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    assert_eq!(
        server.store.list_links(&id, CONTACT).await.unwrap().len(),
        1
    );
    let switch = json!({"customers": {"model": "company"}});
    let refused = admin.put_json(&settings, &switch).await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    let reason = body["error"].as_str().unwrap();
    assert!(reason.contains("1 QBO customer(s)"), "{reason}");
    assert!(reason.contains("objects/contact/delete"), "{reason}");
    let stored: Value = admin.get(&settings).await.json().await.unwrap();
    assert_eq!(stored["customers"]["model"], "contact");

    // The way out the refusal names: delete the contact kind, then switch.
    let deleted = admin
        .post(&format!("/api/connections/{id}/objects/contact/delete"))
        .await;
    assert_eq!(deleted.status(), 200);
    let switched = admin.put_json(&settings, &switch).await;
    assert_eq!(switched.status(), 200);
    let stored: Value = switched.json().await.unwrap();
    assert_eq!(stored["customers"]["model"], "company");
}

/// A stack under the company model without the poller, and a person's records rig over it.
async fn company_stack() -> (E2eStack, InvoiceRecords, InvoiceMirror) {
    let e2e = E2eStack::start(
        E2eOptions {
            settings: company_model(NameSuffixRule::Number),
            poll_interval: None,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
    let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
    // Reads HubSpot invoices only; its schema makes the invoice id property known up front.
    let reader = InvoiceMirror::new(
        Arc::new(hubspot.clone()),
        Arc::new(qbo.clone()),
        InvoiceSyncSettings::default(),
    );
    reader.ensure_schema().await.unwrap();
    let records = InvoiceRecords::over(hubspot, qbo).await;
    (e2e, records, reader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_customers_invoice_and_payment_reach_the_company_its_primary_contact_and_deal() {
    let (e2e, records, reader) = company_stack().await;
    let company = create_company(&e2e, "Initech", "initech.example").await;
    let customer = e2e.linked_partner(COMPANY, Side::Hubspot, &company).await;
    // Two contacts of the company; the second names it its primary company (the "Primary"
    // label, docs/hubspot.md §3), so it is the invoice's contact although its id is higher.
    records
        .create(
            ObjectType::Contacts,
            &[("email", "milton@initech.example"), ("firstname", "Milton")],
            vec![InlineAssociation::to(&company, CONTACT_TO_COMPANY)],
        )
        .await;
    let primary = records
        .create(
            ObjectType::Contacts,
            &[("email", "peter@initech.example"), ("firstname", "Peter")],
            vec![InlineAssociation::to(
                &company,
                type_ids::PRIMARY_CONTACT_TO_COMPANY,
            )],
        )
        .await
        .id;
    // The company's open deal with the invoice's amount; no contact is on it.
    let deal = records
        .create(
            ObjectType::Deals,
            &[
                ("dealname", "Initech renewal"),
                ("dealstage", "appointmentscheduled"),
                ("pipeline", "default"),
                ("amount", "300"),
            ],
            vec![InlineAssociation::to(
                &company,
                type_ids::PRIMARY_DEAL_TO_COMPANY,
            )],
        )
        .await
        .id;
    let item = records.item("Consulting", "150").await;
    let invoice = records
        .invoice(&customer, &[(&item, "2", "150")], None, "2099-01-31")
        .await;
    let invoice_id = invoice.id.clone().unwrap();

    let mirrored = eventually("the invoice is mirrored", || async {
        reader.find_hubspot_invoice(&invoice_id).await.unwrap()
    })
    .await;
    let associated = |to| records.associated(ObjectType::Invoices, &mirrored.id, to);
    assert_eq!(
        associated(ObjectType::Companies).await,
        vec![company.clone()]
    );
    assert_eq!(
        associated(ObjectType::Contacts).await,
        vec![primary.clone()]
    );
    assert_eq!(associated(ObjectType::Deals).await, vec![deal.clone()]);

    // Receivables on the company (its properties ensured like the contact ones).
    let owed = |amount: &'static str| {
        let records = &records;
        let company = &company;
        async move {
            let found = records
                .get(ObjectType::Companies, company, RECEIVABLES)
                .await;
            (found.get(OPEN_BALANCE).map(dec) == Some(dec(amount))).then_some(found)
        }
    };
    eventually("the company owes 300", || owed("300")).await;

    let payment = records
        .pay(&customer, &[(&invoice_id, "100")], "CHK-1")
        .await;
    // The invoice's own job (its balance changed) may refresh the balance before the
    // payment's job writes the last-payment pair: wait for both.
    let after = eventually("the company owes 200 after a payment of 100", || async {
        owed("200")
            .await
            .filter(|found| found.get(LAST_PAYMENT_AMOUNT).is_some())
    })
    .await;
    assert_eq!(after.get(LAST_PAYMENT_AMOUNT).map(dec), Some(dec("100")));
    assert_eq!(
        after
            .get(LAST_PAYMENT_DATE)
            .map(|d| hqsync::hubspot::values::parse_date(d).unwrap()),
        payment.txn_date
    );
    let deal_owes = records.get(ObjectType::Deals, &deal, RECEIVABLES).await;
    assert_eq!(deal_owes.get(OPEN_BALANCE).map(dec), Some(dec("200")));
    // The contacts carry none: under the company model they are not customers.
    let contact = records
        .get(ObjectType::Contacts, &primary, RECEIVABLES)
        .await;
    assert_eq!(contact.get(OPEN_BALANCE), None);
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_action_bills_the_deals_company_created_through_the_sync_at_its_primary_contact()
 {
    let (e2e, records, _reader) = company_stack().await;
    let item = records.item("Setup fee", "250").await;
    let product = eventually("the item linked", || {
        e2e.partner(ObjectKind::Product, Side::Quickbooks, &item)
    })
    .await;
    // The company's own webhook job is taken off the queue: the action must find or create its
    // QBO customer through the two-way sync itself (engine/jobs/action_parties.rs).
    let pipeline = e2e.stack.pipeline().expect("pipeline running");
    pipeline.pause();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let company = create_company(&e2e, "Hooli", "hooli.example").await;
    let primary = records
        .create(
            ObjectType::Contacts,
            &[("email", "gavin@hooli.example"), ("firstname", "Gavin")],
            vec![InlineAssociation::to(
                &company,
                type_ids::PRIMARY_CONTACT_TO_COMPANY,
            )],
        )
        .await
        .id;
    let deal = records
        .create(
            ObjectType::Deals,
            &[
                ("dealname", "Hooli setup"),
                ("dealstage", "appointmentscheduled"),
                ("pipeline", "default"),
                ("deal_currency_code", "USD"),
            ],
            vec![InlineAssociation::to(
                &company,
                type_ids::PRIMARY_DEAL_TO_COMPANY,
            )],
        )
        .await
        .id;
    records.deal_line_item(&deal, &product, "2", "250").await;
    let queue = e2e.stack.ctx.queue.clone();
    let started = std::time::Instant::now();
    let mut seen = false;
    while !seen {
        assert!(
            started.elapsed() < crate::e2e_stack::CONVERGENCE_BOUND,
            "the company's webhook never queued"
        );
        for delivery in queue.receive(Lane::Live, 10).await.unwrap() {
            seen |= delivery.job.kind == COMPANY && delivery.job.id == company;
            queue.ack(&[delivery.receipt]).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(e2e.partner(COMPANY, Side::Hubspot, &company).await, None);
    pipeline.resume();

    let url = format!("{}{CREATE_INVOICE_ACTION_PATH}", e2e.webhook_base);
    let hubspot = e2e.hubspot.config();
    let body = action_execution("co-cb-1", hubspot.portal_id, &deal, json!({}));
    let answer = post_signed_action(&url, &hubspot.client_secret, body).await;
    assert_eq!(answer.status().as_u16(), 200);
    let callbacks = eventually("the callback completed", || async {
        let all = e2e.hubspot.action_callbacks();
        (!all.is_empty()).then_some(all)
    })
    .await;
    let fields = &callbacks[0].1["outputFields"];
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let invoice_id = fields["qbo_invoice_id"].as_str().unwrap();
    let customer = e2e.linked_partner(COMPANY, Side::Hubspot, &company).await;
    let invoice = records
        .qbo_invoices()
        .await
        .into_iter()
        .find(|i| i.id.as_deref() == Some(invoice_id))
        .expect("the action's invoice");
    assert_eq!(
        invoice.customer_ref.as_ref().map(|r| r.value.as_str()),
        Some(customer.as_str())
    );
    assert_eq!(
        invoice
            .bill_email
            .as_ref()
            .and_then(|e| e.address.as_deref()),
        Some("gavin@hooli.example")
    );
    // One QBO customer for the company, made by the sync's create (its CompanyName).
    let hooli = customers_named(&e2e, "Hooli").await;
    assert_eq!(hooli.len(), 1, "{hooli:?}");
    assert_eq!(hooli[0].id, customer);
    // The invoice comes back as a QBO webhook and is mirrored onto the company and its contact.
    let hs = eventually("the action's invoice mirrored", || async {
        let reader = InvoiceMirror::new(
            Arc::new(records.hubspot.clone()),
            Arc::new(records.qbo.clone()),
            InvoiceSyncSettings::default(),
        );
        reader.find_hubspot_invoice(invoice_id).await.unwrap()
    })
    .await;
    let associated = |to| records.associated(ObjectType::Invoices, &hs.id, to);
    assert_eq!(
        associated(ObjectType::Companies).await,
        vec![company.clone()]
    );
    assert_eq!(associated(ObjectType::Contacts).await, vec![primary]);
    assert_eq!(associated(ObjectType::Deals).await, vec![deal]);
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_customers_bill_to_email_is_its_primary_contacts_and_follows_its_changes() {
    let (e2e, records, _reader) = company_stack().await;
    let company = create_company(&e2e, "Globex", "globex.example").await;
    let customer = e2e.linked_partner(COMPANY, Side::Hubspot, &company).await;
    // Two contacts of one company: the lower id is unlabeled, the higher names the company
    // its primary company, so it is the bill-to contact (docs/admin.md §6).
    records
        .create(
            ObjectType::Contacts,
            &[("email", "hank@globex.example"), ("firstname", "Hank")],
            vec![InlineAssociation::to(&company, CONTACT_TO_COMPANY)],
        )
        .await;
    let primary = records
        .create(
            ObjectType::Contacts,
            &[
                ("email", "hank.scorpio@globex.example"),
                ("firstname", "Scorpio"),
            ],
            vec![InlineAssociation::to(
                &company,
                type_ids::PRIMARY_CONTACT_TO_COMPANY,
            )],
        )
        .await
        .id;
    let email_of = |wanted: &'static str| {
        let e2e = &e2e;
        let customer = &customer;
        async move {
            let record = e2e.read(COMPANY, Side::Quickbooks, customer).await?;
            (text(&record, "PrimaryEmailAddr.Address") == wanted).then_some(record)
        }
    };
    let billed = eventually("the customer's e-mail is the primary contact's", || {
        email_of("hank.scorpio@globex.example")
    })
    .await;
    assert_eq!(text(&billed, "DisplayName"), "Globex");
    // Still one customer: the contacts are no customers of their own.
    assert_eq!(customers_named(&e2e, "Globex").await.len(), 1);
    assert!(e2e.links(CONTACT).await.is_empty());

    // The primary contact's e-mail changes in HubSpot: its company is synced again.
    e2e.edit(
        CONTACT,
        Side::Hubspot,
        &primary,
        values(&[("email", "scorpio@globex.example")]),
    )
    .await;
    eventually("the customer's e-mail follows the contact's", || {
        email_of("scorpio@globex.example")
    })
    .await;
    e2e.shutdown().await;
}
