//! `GET /api/connections/{id}/fields/{kind}` on both sandboxes: HubSpot's live properties
//! including a custom one, QBO's entity fields and a custom field its customers carry, and the
//! verdict of each mapping row (a custom enumeration row is lossy, the e-mail row compatible).

use std::collections::BTreeMap;

use hqsync::hubspot::properties::PropertyOption;
use hqsync::hubspot::{ObjectType, PropertyDefinition};
use hqsync::model::{CustomMapping, Direction, TransformKind};
use hqsync::quickbooks::Customer;
use hqsync_tests::admin_server::{AdminServer, AdminServerOptions};
use serde_json::{Value, json};

fn find<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|f| f[key] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_list_both_sides_live_with_custom_ones_and_judge_each_mapping_row() {
    let mut options = AdminServerOptions::default();
    options
        .settings
        .contact
        .custom_mappings
        .push(CustomMapping {
            hubspot_property: "loyalty_tier".into(),
            qbo_field: "Notes".into(),
            transform: TransformKind::Enumeration,
            direction: Direction::TwoWay,
            values: BTreeMap::from([
                ("gold".to_owned(), "Gold".to_owned()),
                ("silver".to_owned(), "Silver".to_owned()),
            ]),
        });
    let server = AdminServer::start_with(options).await;
    let hubspot = server.endpoints.hubspot_client().unwrap();
    hubspot
        .ensure_properties(
            ObjectType::Contacts,
            &[PropertyDefinition {
                kind: "enumeration".into(),
                field_type: "select".into(),
                options: ["gold", "silver"]
                    .map(|v| PropertyOption {
                        label: v.into(),
                        value: v.into(),
                        ..PropertyOption::default()
                    })
                    .to_vec(),
                ..PropertyDefinition::text("loyalty_tier", "Loyalty tier", "contactinformation")
            }],
        )
        .await
        .expect("create the custom property");
    let qbo = server.endpoints.quickbooks_client().unwrap();
    let mut customer = Customer {
        display_name: Some("Crewed Customer".into()),
        ..Customer::default()
    };
    customer.extra.insert(
        "CustomField".into(),
        json!([{"DefinitionId": "7", "Name": "Crew #", "Type": "StringType", "StringValue": "102"}]),
    );
    qbo.create_idempotent(&customer)
        .await
        .expect("a customer with a custom field");

    let admin = server.signed_in().await;
    let response = admin.get("/api/connections/local/fields/contact").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["kind"], "contact");

    let tier = find(&body["hubspot"], "name", "loyalty_tier");
    assert_eq!(tier["custom"], true, "{tier}");
    assert_eq!(tier["type"], "enumeration");
    assert_eq!(tier["options"], json!(["gold", "silver"]));
    assert_eq!(tier["mappable"], true);
    let email = find(&body["hubspot"], "name", "email");
    assert_eq!(email["custom"], false);
    assert_eq!(email["type"], "text");

    let qbo_email = find(&body["quickbooks"], "name", "PrimaryEmailAddr.Address");
    assert_eq!(qbo_email["type"], "text");
    assert_eq!(qbo_email["mappable"], true);
    let crew = find(&body["quickbooks"], "name", "CustomField.7");
    assert_eq!(crew["label"], "Crew #");
    assert_eq!(crew["custom"], true);
    assert_eq!(crew["mappable"], false, "listed, not mappable yet");

    let email_row = find(&body["mappings"], "hubspot_property", "email");
    assert_eq!(email_row["verdict"], "compatible", "{email_row}");
    let tier_row = find(&body["mappings"], "hubspot_property", "loyalty_tier");
    assert_eq!(tier_row["custom"], true);
    assert_eq!(tier_row["verdict"], "lossy", "{tier_row}");
    assert!(tier_row["note"].as_str().unwrap().contains("enumeration"));
    let matrix = body["type_compatibility"].as_array().unwrap();
    assert!(matrix.iter().any(|p| p["hubspot_type"] == "number"
        && p["qbo_type"] == "bool"
        && p["verdict"] == "incompatible"));

    let invoices: Value = admin
        .get("/api/connections/local/fields/invoice")
        .await
        .json()
        .await
        .unwrap();
    assert!(!invoices["hubspot"].as_array().unwrap().is_empty());
    assert_eq!(
        invoices["mappings"],
        json!([]),
        "mirrored kinds have no mapping rows"
    );

    let wrong = admin.get("/api/connections/local/fields/widget").await;
    assert_eq!(wrong.status(), 400);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["field"], "kind");
    assert_eq!(
        admin
            .get("/api/connections/nope/fields/contact")
            .await
            .status(),
        404
    );
}
