//! Properties API (docs/hubspot.md §4): read, create group and property (409 when they exist),
//! and `hasUniqueValue` properties enforced on records (§2.5) and usable as `idProperty`.

use serde_json::json;

use super::{Hs, assert_error};

#[tokio::test]
async fn groups_and_custom_unique_properties() {
    let hs = Hs::quiet().await;
    let g = hs
        .post(
            "/crm/v3/properties/contacts/groups",
            json!({"name": "quickbooks", "label": "QuickBooks", "displayOrder": -1}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    assert_eq!(
        hs.post(
            "/crm/v3/properties/contacts/groups",
            json!({"name": "quickbooks", "label": "QuickBooks"})
        )
        .await
        .status,
        409
    );
    let prop = json!({"name": "qbo_customer_id", "label": "QuickBooks customer ID", "type": "string",
                      "fieldType": "text", "groupName": "quickbooks", "hasUniqueValue": true});
    let p = hs
        .post("/crm/properties/2026-03/contacts", prop.clone())
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    assert_eq!(p.body["hasUniqueValue"], true);
    assert_eq!(
        hs.post("/crm/v3/properties/contacts", prop).await.status,
        409
    );
    let read = hs.get("/crm/v3/properties/contacts/qbo_customer_id").await;
    assert_eq!(read.body["groupName"], "quickbooks");
    let all = hs.get("/crm/v3/properties/contacts").await;
    assert!(
        all.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "email")
    );

    // The new property is writable and unique.
    let a = hs
        .create(
            "contacts",
            json!({"email": "u1@x.example", "qbo_customer_id": "58"}),
        )
        .await;
    let clash = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "u2@x.example", "qbo_customer_id": "58"}}),
        )
        .await;
    assert_error(&clash, 409, "CONFLICT");
    assert!(
        clash.body["message"]
            .as_str()
            .unwrap()
            .ends_with(&format!("Existing ID: {a}"))
    );
    let by_id = hs
        .get("/crm/v3/objects/contacts/58?idProperty=qbo_customer_id")
        .await;
    assert_eq!(by_id.body["id"], a.as_str());
}

#[tokio::test]
async fn property_create_is_validated() {
    let hs = Hs::quiet().await;
    for (what, body) in [
        (
            "missing groupName",
            json!({"name": "x", "label": "X", "type": "string", "fieldType": "text"}),
        ),
        (
            "bad pair",
            json!({"name": "x", "label": "X", "type": "number", "fieldType": "text", "groupName": "dealinformation"}),
        ),
        (
            "enum without options",
            json!({"name": "x", "label": "X", "type": "enumeration", "fieldType": "select", "groupName": "dealinformation"}),
        ),
        (
            "unknown group",
            json!({"name": "x", "label": "X", "type": "string", "fieldType": "text", "groupName": "nope"}),
        ),
    ] {
        let r = hs.post("/crm/v3/properties/deals", body).await;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
    }
    assert_eq!(
        hs.get("/crm/v3/properties/deals/not_there").await.status,
        404
    );
}
