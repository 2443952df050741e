//! Contacts as QBO sub-customers under the `company` customer model end to end: two
//! same-named contacts of one company (the collision HubSpot's own integration fails on) end
//! as two sub-customers of the company's customer, a contact without a company stays in
//! HubSpot, one whose company has no customer yet waits for it, a job made in QBO makes no
//! HubSpot company, and the setting is refused outside the company model (docs/admin.md §6).

use hqsync::engine::jobs::{Disposition, process_jobs};
use hqsync::hubspot::{InlineAssociation, ObjectType, PropertyDefinition};
use hqsync::model::{
    ConnectionSettings, ContactPlacement, CustomerModel, NameSuffixRule, ObjectKind, Record, Side,
};
use hqsync::ports::{Job, JobReason, Links};
use hqsync::quickbooks::Customer;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use hqsync_tests::invoicing::{InvoiceRecords, dec};
use serde_json::{Value, json};

use crate::e2e_stack::{E2eOptions, E2eStack, text, values};

const COMPANY: ObjectKind = ObjectKind::Company;
const CONTACT: ObjectKind = ObjectKind::Contact;
/// The unlabeled contact -> company association (docs/hubspot.md §3).
const CONTACT_TO_COMPANY: u32 = 279;

fn sub_customers() -> ConnectionSettings {
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    settings.customers.contacts = ContactPlacement::SubCustomers;
    settings.company.name_suffix = NameSuffixRule::Number;
    settings.contact.name_suffix = NameSuffixRule::Number;
    settings
}

async fn stack() -> (E2eStack, InvoiceRecords) {
    let e2e = E2eStack::start(
        E2eOptions {
            settings: sub_customers(),
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
    let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
    let records = InvoiceRecords::over(hubspot, qbo).await;
    (e2e, records)
}

/// A HubSpot company made by a person, linked to its new QBO customer: (company, customer).
async fn linked_company(e2e: &E2eStack, records: &InvoiceRecords, name: &str) -> (String, String) {
    let company = records
        .create(ObjectType::Companies, &[("name", name)], vec![])
        .await
        .id;
    let customer = e2e.linked_partner(COMPANY, Side::Hubspot, &company).await;
    (company, customer)
}

async fn sub_customer_of(e2e: &E2eStack, contact: &str) -> Record {
    let customer = e2e.linked_partner(CONTACT, Side::Hubspot, contact).await;
    e2e.read(CONTACT, Side::Quickbooks, &customer)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_same_named_contacts_of_one_company_become_two_sub_customers_of_its_customer() {
    let (e2e, records) = stack().await;
    let (company, parent) = linked_company(&e2e, &records, "Initech").await;
    // A contact without a company, before the others: it stays in HubSpot only.
    let lone = records
        .create(
            ObjectType::Contacts,
            &[("email", "lone@wolf.example"), ("firstname", "Lone")],
            vec![],
        )
        .await
        .id;
    // Two contacts named alike, and one without a name (its DisplayName falls back to its
    // company's, which the parent holds): QBO needs one DisplayName per customer, jobs
    // included, so the suffix rule settles both collisions.
    let mut contacts = Vec::new();
    for props in [
        &[
            ("email", "peter@initech.example"),
            ("firstname", "Peter"),
            ("lastname", "Gibbons"),
        ][..],
        &[
            ("email", "peter.g@initech.example"),
            ("firstname", "Peter"),
            ("lastname", "Gibbons"),
        ][..],
        &[("email", "desk@initech.example"), ("company", "Initech")][..],
    ] {
        let contact = records
            .create(
                ObjectType::Contacts,
                props,
                vec![InlineAssociation::to(&company, CONTACT_TO_COMPANY)],
            )
            .await;
        contacts.push(contact.id);
    }
    let mut names = Vec::new();
    for contact in &contacts {
        let customer = sub_customer_of(&e2e, contact).await;
        assert_eq!(customer.value("Job"), Some(&json!(true)), "{customer:?}");
        assert_eq!(text(&customer, "ParentRef.value"), parent, "{customer:?}");
        names.push(text(&customer, "DisplayName"));
    }
    names.sort();
    assert_eq!(names, ["Initech (2)", "Peter Gibbons", "Peter Gibbons (2)"]);
    // The parent stays the company's customer: contacts did not match it by e-mail.
    let links = e2e.links(CONTACT).await;
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|l| l.qbo_id != parent), "{links:?}");
    assert_eq!(e2e.links(COMPANY).await.len(), 1);
    assert_eq!(e2e.partner(CONTACT, Side::Hubspot, &lone).await, None);
    let lone = e2e
        .find(
            CONTACT,
            Side::Quickbooks,
            "PrimaryEmailAddr.Address",
            "lone@wolf.example",
        )
        .await;
    assert!(lone.is_empty(), "{lone:?}");

    // A sub-customer's invoice is in its parent's BalanceWithJobs
    // (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
    let job = e2e
        .partner(CONTACT, Side::Hubspot, &contacts[0])
        .await
        .unwrap();
    let item = records.item("Consulting", "150").await;
    records
        .invoice(&job, &[(&item, "2", "150")], None, "2099-01-31")
        .await;
    let parent_record = e2e.read(COMPANY, Side::Quickbooks, &parent).await.unwrap();
    let with_jobs = parent_record.value("BalanceWithJobs").cloned();
    assert_eq!(
        with_jobs.map(|v| v.to_string().parse::<rust_decimal::Decimal>().unwrap()),
        Some(dec("300")),
        "{parent_record:?}"
    );
    e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_made_in_qbo_makes_no_hubspot_company() {
    let (e2e, records) = stack().await;
    let (_, parent) = linked_company(&e2e, &records, "Globex").await;
    let mut job = values(&[
        ("DisplayName", "Globex Warehouse"),
        ("CompanyName", "Globex"),
    ]);
    job.insert("Job".into(), json!(true));
    job.insert("ParentRef.value".into(), json!(parent));
    let job = e2e.create(COMPANY, Side::Quickbooks, job).await;
    // A top-level customer made after it becomes a company: its webhook was handled, the
    // job's (delivered first) too.
    let top = e2e
        .create(
            COMPANY,
            Side::Quickbooks,
            values(&[("DisplayName", "Hooli"), ("CompanyName", "Hooli")]),
        )
        .await;
    e2e.linked_partner(COMPANY, Side::Quickbooks, &top.id).await;
    assert_eq!(e2e.partner(COMPANY, Side::Quickbooks, &job.id).await, None);
    // Nor a contact: sub-customers sync HubSpot -> QBO only.
    assert_eq!(e2e.partner(CONTACT, Side::Quickbooks, &job.id).await, None);
    let companies = e2e.find(COMPANY, Side::Hubspot, "name", "Globex").await;
    assert_eq!(companies.len(), 1, "{companies:?}");
    e2e.shutdown().await;
}

#[tokio::test]
async fn sub_customers_outside_the_company_model_are_refused_with_the_field() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    let settings = format!("/api/connections/{id}/settings");
    let refused = admin
        .put_json(
            &settings,
            &json!({"customers": {"contacts": "sub_customers"}}),
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("customers.contacts"), "{body}");
    assert!(error.contains("model = \"company\""), "{body}");
    let accepted = admin
        .put_json(
            &settings,
            &json!({"customers": {"model": "company", "contacts": "sub_customers"}}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let stored: Value = accepted.json().await.unwrap();
    assert_eq!(stored["customers"]["contacts"], "sub_customers");
}

#[tokio::test]
async fn a_contact_waits_for_its_companys_customer_and_then_becomes_its_sub_customer() {
    let server = AdminServer::start_with(AdminServerOptions {
        settings: sub_customers(),
        ..AdminServerOptions::default()
    })
    .await;
    let records = InvoiceRecords::over(
        server.endpoints.hubspot_client().unwrap(),
        server.endpoints.quickbooks_client().unwrap(),
    )
    .await;
    records.ensure_link_properties().await;
    records
        .hubspot
        .ensure_properties(
            ObjectType::Companies,
            &[PropertyDefinition::text(
                "qbo_customer_id",
                "QuickBooks customer ID",
                "companyinformation",
            )
            .unique()],
        )
        .await
        .unwrap();
    let company = records
        .create(ObjectType::Companies, &[("name", "Umbrella")], vec![])
        .await
        .id;
    let contact = records
        .create(
            ObjectType::Contacts,
            &[("email", "alice@umbrella.example"), ("firstname", "Alice")],
            vec![InlineAssociation::to(&company, CONTACT_TO_COMPANY)],
        )
        .await
        .id;
    let id = server.connection_id().clone();
    let job = |kind: ObjectKind, record: &str| {
        Job::new(
            id.clone(),
            kind,
            Side::Hubspot,
            record.to_owned(),
            JobReason::Webhook,
            server.ctx.sync.clock.now(),
        )
    };
    // The company has no QBO customer yet: the contact is handed back with the reason, and
    // no top-level customer is made for it.
    let results = process_jobs(&server.ctx.sync, vec![job(CONTACT, &contact)]).await;
    match &results[0].disposition {
        Disposition::RetryAfter { reason, .. } => {
            assert!(reason.contains("no QBO customer yet"), "{reason}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert!(
        server
            .store
            .list_links(&id, CONTACT)
            .await
            .unwrap()
            .is_empty()
    );

    let results = process_jobs(&server.ctx.sync, vec![job(COMPANY, &company)]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    let parent = server.store.list_links(&id, COMPANY).await.unwrap()[0]
        .qbo_id
        .clone();
    let results = process_jobs(&server.ctx.sync, vec![job(CONTACT, &contact)]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    let links = server.store.list_links(&id, CONTACT).await.unwrap();
    assert_eq!(links.len(), 1);
    let customer = records
        .qbo
        .read::<Customer>(&links[0].qbo_id)
        .await
        .unwrap();
    assert_eq!(customer.job, Some(true));
    assert_eq!(customer.parent_ref.map(|r| r.value), Some(parent));
}
