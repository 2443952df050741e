//! The initial sync's preview under the `company` customer model says which contacts fall
//! under which company customer, in the admin API's JSON (`contact_merges`) and on the
//! console's initial-sync page; under `contact` the field is absent (docs/admin.md §6).

use hqsync::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{InlineAssociation, ObjectType};
use hqsync::model::{ConnectionSettings, CustomerModel, ObjectKind, Side};
use hqsync::ports::{CreateRequest, Links};
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use hqsync_tests::invoicing::InvoiceRecords;
use serde_json::{Value, json};

use super::console_mapping::{element, page};

/// The unlabeled contact -> company association (docs/hubspot.md §3).
const CONTACT_TO_COMPANY: u32 = 279;

fn company_model() -> AdminServerOptions {
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    AdminServerOptions {
        settings,
        ..AdminServerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_company_models_preview_shows_which_contacts_merge_into_which_customer() {
    let server = AdminServer::start_with(company_model()).await;
    let records = InvoiceRecords::over(
        server.endpoints.hubspot_client().unwrap(),
        server.endpoints.quickbooks_client().unwrap(),
    )
    .await;
    let company = |name: &'static str| {
        let records = &records;
        async move {
            let domain = format!("{}.example", name.to_lowercase());
            records
                .create(
                    ObjectType::Companies,
                    &[("name", name), ("domain", &domain)],
                    Vec::new(),
                )
                .await
                .id
        }
    };
    let contact = |email: &'static str, company: String, type_id: u32| {
        let records = &records;
        async move {
            records
                .create(
                    ObjectType::Contacts,
                    &[("email", email)],
                    vec![InlineAssociation::to(&company, type_id)],
                )
                .await
                .id
        }
    };
    // Initech: two contacts (the collision HubSpot's own integration fails on), no customer yet.
    let initech = company("Initech").await;
    contact(
        "peter@initech.example",
        initech.clone(),
        type_ids::PRIMARY_CONTACT_TO_COMPANY,
    )
    .await;
    contact(
        "milton@initech.example",
        initech.clone(),
        CONTACT_TO_COMPANY,
    )
    .await;
    // Globex: one contact and an existing QBO customer of the same name.
    let globex = company("Globex").await;
    contact("hank@globex.example", globex.clone(), CONTACT_TO_COMPANY).await;
    // A company without contacts merges nothing.
    company("Lonely").await;
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let customer = pair
        .quickbooks
        .create(
            ObjectKind::Company,
            vec![CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values: serde_json::from_value(
                    json!({"DisplayName": "Globex", "CompanyName": "Globex"}),
                )
                .unwrap(),
            }],
        )
        .await
        .unwrap()
        .pop()
        .unwrap()
        .expect("the QBO customer Globex");

    let signed = server.signed_in().await;
    let preview: Value = signed
        .post("/api/connections/local/preview")
        .await
        .json()
        .await
        .unwrap();
    let merges = &preview["contact_merges"];
    assert_eq!(merges["companies"], 2, "{merges}");
    assert_eq!(merges["contacts"], 3, "{merges}");
    assert_eq!(merges["companies_with_several_contacts"], 1, "{merges}");
    assert_eq!(merges["into_existing_customer"], 1, "{merges}");
    assert_eq!(merges["into_new_customer"], 1, "{merges}");
    assert_eq!(merges["into_no_customer"], 0, "{merges}");
    let examples = merges["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 2, "{merges}");
    // The company with the most contacts comes first.
    assert_eq!(examples[0]["company_id"], initech.as_str());
    assert_eq!(examples[0]["company"], "Initech");
    assert_eq!(examples[0]["contacts"], 2);
    let mut emails: Vec<&str> = examples[0]["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(emails, ["milton@initech.example", "peter@initech.example"]);
    assert_eq!(
        examples[0]["customer"],
        json!({"action": "creates", "display_name": "Initech"})
    );
    assert_eq!(examples[1]["company_id"], globex.as_str());
    assert_eq!(examples[1]["emails"], json!(["hank@globex.example"]));
    assert_eq!(
        examples[1]["customer"],
        json!({"action": "links", "qbo_id": customer.id, "display_name": "Globex"})
    );

    // The console's page shows the same.
    let (status, html) = page(&signed, "/connections/local/initial-sync").await;
    assert_eq!(status, 200, "{html}");
    let counts = element(&html, "contact-merges-counts");
    for (key, value) in [
        ("companies", 2),
        ("contacts", 3),
        ("companies_with_several_contacts", 1),
        ("into_existing_customer", 1),
        ("into_new_customer", 1),
        ("into_no_customer", 0),
    ] {
        assert!(
            counts.contains(&format!("data-count=\"{key}\">{value}<")),
            "{key}={value}: {counts}"
        );
    }
    let row = element(&html, &format!("contact-merge-{initech}"));
    assert!(
        row.contains("Initech") && row.contains("peter@initech.example"),
        "{row}"
    );
    assert!(
        row.contains("creates QBO customer &quot;Initech&quot;"),
        "{row}"
    );
    let row = element(&html, &format!("contact-merge-{globex}"));
    assert!(
        row.contains(&format!(
            "links QBO customer {} &quot;Globex&quot;",
            customer.id
        )),
        "{row}"
    );

    // The initial sync itself (its snapshot, listed page by page) bills each company's
    // customer at its primary contact: Peter for Initech, Globex's only contact for Globex.
    initial_sync(
        &server.ctx.sync.sync_ports(),
        server.connection_id(),
        &InitialSyncOptions::default(),
        &|_| {},
    )
    .await
    .expect("initial sync");
    for (company, email) in [
        (&initech, "peter@initech.example"),
        (&globex, "hank@globex.example"),
    ] {
        let link = server
            .store
            .get_link(
                server.connection_id(),
                ObjectKind::Company,
                Side::Hubspot,
                company,
            )
            .await
            .unwrap()
            .expect("the company is linked");
        let customer = pair
            .quickbooks
            .read(ObjectKind::Company, std::slice::from_ref(&link.qbo_id))
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            customer.value("PrimaryEmailAddr.Address"),
            Some(&json!(email)),
            "{customer:?}"
        );
    }
    assert_eq!(
        server
            .store
            .list_links(server.connection_id(), ObjectKind::Contact)
            .await
            .unwrap()
            .len(),
        0,
        "contacts are no customers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_models_preview_has_no_contact_merges() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let preview: Value = signed
        .post("/api/connections/local/preview")
        .await
        .json()
        .await
        .unwrap();
    assert!(preview["kinds"].is_array(), "{preview}");
    assert!(preview.get("contact_merges").is_none(), "{preview}");
    let (_, html) = page(&signed, "/connections/local/initial-sync").await;
    assert!(html.contains("id=\"preview-counts\""), "{html}");
    assert!(!html.contains("id=\"contact-merges\""), "{html}");
}
