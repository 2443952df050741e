//! The HubSpot gateway's derived bill-to e-mail (docs/admin.md §6): reading a batch of
//! companies costs one association read and one contacts read in all, never a call per company.

use std::collections::BTreeMap;

use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{InlineAssociation, ObjectType};
use hqsync::model::{ConnectionSettings, CustomerModel, ObjectKind, PRIMARY_CONTACT_EMAIL};
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use hqsync_tests::invoicing::InvoiceRecords;
use serde_json::{Value, json};

/// POST counts per route pattern the HubSpot sandbox served so far.
async fn posts(server: &AdminServer) -> BTreeMap<String, u64> {
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", server.hubspot.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_companies_gets_its_primary_contacts_emails_in_two_more_calls() {
    let mut settings = ConnectionSettings::default();
    settings.customers.model = CustomerModel::Company;
    let server = AdminServer::start_with(AdminServerOptions {
        settings,
        ..AdminServerOptions::default()
    })
    .await;
    let records = InvoiceRecords::over(
        server.endpoints.hubspot_client().unwrap(),
        server.endpoints.quickbooks_client().unwrap(),
    )
    .await;
    let mut companies = Vec::new();
    for n in 0..3 {
        let name = format!("Company {n}");
        let company = records
            .create(ObjectType::Companies, &[("name", &name)], Vec::new())
            .await
            .id;
        // Company 2 has no contact: it gets no derived e-mail.
        if n < 2 {
            let email = format!("billing{n}@company{n}.example");
            records
                .create(
                    ObjectType::Contacts,
                    &[("email", &email)],
                    vec![InlineAssociation::to(
                        &company,
                        type_ids::PRIMARY_CONTACT_TO_COMPANY,
                    )],
                )
                .await;
        }
        companies.push(company);
    }
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let before = posts(&server).await;
    let read = pair
        .hubspot
        .read(ObjectKind::Company, &companies)
        .await
        .unwrap();
    let after = posts(&server).await;
    let calls: BTreeMap<&str, u64> = after
        .iter()
        .map(|(route, n)| (route.as_str(), n - before.get(route).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let batch_reads: u64 = calls
        .iter()
        .filter(|(route, _)| route.ends_with("/batch/read"))
        .map(|(_, n)| n)
        .sum();
    let association_reads: u64 = calls
        .iter()
        .filter(|(route, _)| route.contains("associations") && route.ends_with("/batch/read"))
        .map(|(_, n)| n)
        .sum();
    // Companies, their associations, their primary contacts: three calls for three companies.
    assert_eq!(association_reads, 1, "{calls:?}");
    assert_eq!(batch_reads, 3, "{calls:?}");
    assert_eq!(calls.values().sum::<u64>(), 3, "{calls:?}");
    let emails: Vec<Option<&Value>> = companies
        .iter()
        .map(|id| {
            read.iter()
                .find(|r| &r.id == id)
                .expect("each company read")
                .value(PRIMARY_CONTACT_EMAIL)
        })
        .collect();
    assert_eq!(
        emails,
        [
            Some(&json!("billing0@company0.example")),
            Some(&json!("billing1@company1.example")),
            None
        ]
    );
}
