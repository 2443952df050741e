//! The `company` customer model end to end: HubSpot companies become QBO customers and back,
//! two contacts of one company make one customer (the collision HubSpot's own integration
//! fails on), same-named companies get the suffix rule, and switching models with links is
//! refused by the admin API (docs/admin.md §6).

use hqsync::engine::jobs::{Disposition, process_jobs};
use hqsync::model::{ConnectionSettings, CustomerModel, NameSuffixRule, ObjectKind, Record, Side};
use hqsync::ports::{Job, JobReason, Links, RecordGateway};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use serde_json::{Value, json};

use crate::e2e_stack::{E2eOptions, E2eStack, text, values};

const COMPANY: ObjectKind = ObjectKind::Company;
const CONTACT: ObjectKind = ObjectKind::Contact;

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
