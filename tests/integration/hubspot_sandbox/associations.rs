//! Associations v4 (docs/hubspot.md §3): default associate (fixture shape), typed associate,
//! list, batch create/read/archive, labels, inline associations on create, one parent per
//! line item (§2.6), and the `associations` query on object reads (§2.1).

use hqsync_tests::fixtures;
use serde_json::json;

use super::{Hs, assert_error, keys};

async fn deal(hs: &Hs) -> String {
    hs.create(
        "deals",
        json!({"dealname": "Deal", "dealstage": "appointmentscheduled"}),
    )
    .await
}

#[tokio::test]
async fn put_default_returns_both_directions_like_the_fixture() {
    let hs = Hs::quiet().await;
    let d = deal(&hs).await;
    let li = hs
        .create(
            "line_items",
            json!({"name": "L", "price": "5", "quantity": "1"}),
        )
        .await;
    let r = hs
        .put(
            &format!("/crm/v4/objects/deals/{d}/associations/default/line_items/{li}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fixture = fixtures::json("hubspot", "associations-v4-put-default-response.json");
    assert_eq!(keys(&r.body), keys(&fixture));
    assert_eq!(
        r.body["results"][0]["associationSpec"],
        fixture["results"][0]["associationSpec"]
    );
    assert_eq!(
        r.body["results"][1]["associationSpec"],
        fixture["results"][1]["associationSpec"]
    );
    assert_eq!(r.body["results"][0]["from"]["id"], d.as_str());

    let list = hs
        .get(&format!(
            "/crm/v4/objects/line_items/{li}/associations/deals"
        ))
        .await;
    assert_eq!(
        list.body["results"][0]["toObjectId"],
        d.parse::<u64>().unwrap()
    );
    assert_eq!(list.body["results"][0]["associationTypes"][0]["typeId"], 20);
    assert_eq!(
        list.body["results"][0]["associationTypes"][0]["category"],
        "HUBSPOT_DEFINED"
    );

    let read = hs
        .get(&format!(
            "/crm/v3/objects/deals/{d}?associations=line_items"
        ))
        .await;
    assert_eq!(
        read.body["associations"]["line_items"]["results"][0]["id"],
        li.as_str()
    );
    assert_eq!(
        read.body["associations"]["line_items"]["results"][0]["type"],
        "deal_to_line_item"
    );
}

#[tokio::test]
async fn typed_associate_checks_type_ids_and_delete_removes_all() {
    let hs = Hs::quiet().await;
    let d = deal(&hs).await;
    let c = hs.create("contacts", json!({"email": "c@a.example"})).await;
    let bad = hs
        .put(
            &format!("/crm/v4/objects/deals/{d}/associations/contacts/{c}"),
            Some(json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 19}])),
        )
        .await;
    assert_error(&bad, 400, "VALIDATION_ERROR");
    let ok = hs
        .put(
            &format!("/crm/objects/2026-03/deals/{d}/associations/contacts/{c}"),
            Some(json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}])),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["fromObjectTypeId"], "0-3");
    assert_eq!(ok.body["toObjectTypeId"], "0-1");
    let back = hs
        .get(&format!("/crm/v4/objects/contacts/{c}/associations/deals"))
        .await;
    assert_eq!(back.body["results"][0]["associationTypes"][0]["typeId"], 4);
    assert_eq!(
        hs.delete(&format!(
            "/crm/v4/objects/deals/{d}/associations/contacts/{c}"
        ))
        .await
        .status,
        204
    );
    let gone = hs
        .get(&format!("/crm/v4/objects/contacts/{c}/associations/deals"))
        .await;
    assert_eq!(gone.body["results"], json!([]));
}

#[tokio::test]
async fn batch_create_read_and_archive() {
    let hs = Hs::quiet().await;
    let d = deal(&hs).await;
    let a = hs.create("contacts", json!({"email": "1@a.example"})).await;
    let b = hs.create("contacts", json!({"email": "2@a.example"})).await;
    let r = hs
        .post(
            "/crm/v4/associations/deals/contacts/batch/create",
            json!({"inputs": [
                {"from": {"id": d}, "to": {"id": a}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
                {"from": {"id": d}, "to": {"id": b}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
                {"from": {"id": d}, "to": {"id": "31337"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
            ]}),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.body);
    assert_eq!(r.body["results"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["numErrors"], 1);
    let read = hs
        .post(
            "/crm/associations/2026-03/deals/contacts/batch/read",
            json!({"inputs": [{"id": d}]}),
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["results"][0]["from"]["id"], d.as_str());
    assert_eq!(read.body["results"][0]["to"].as_array().unwrap().len(), 2);
    let arch = hs
        .post(
            "/crm/v4/associations/deals/contacts/batch/archive",
            json!({"inputs": [{"from": {"id": d}, "to": [{"id": a}]}]}),
        )
        .await;
    assert_eq!(arch.status, 204);
    let read = hs
        .post(
            "/crm/v4/associations/deals/contacts/batch/read",
            json!({"inputs": [{"id": d}]}),
        )
        .await;
    assert_eq!(read.body["results"][0]["to"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn labels_list_defined_types_and_custom_labels_can_be_created() {
    let hs = Hs::quiet().await;
    let r = hs
        .get("/crm/v4/associations/contacts/companies/labels")
        .await;
    let ids: Vec<u64> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["typeId"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&279) && ids.contains(&1), "{ids:?}");
    let created = hs
        .post(
            "/crm/associations/v4/deals/contacts/labels",
            json!({"label": "Billing contact", "name": "billing_contact"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let type_id = created.body["results"][0]["typeId"].as_u64().unwrap();
    let d = deal(&hs).await;
    let c = hs
        .create("contacts", json!({"email": "bill@a.example"}))
        .await;
    let ok = hs
        .put(
            &format!("/crm/v4/objects/deals/{d}/associations/contacts/{c}"),
            Some(json!([{"associationCategory": "USER_DEFINED", "associationTypeId": type_id}])),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["labels"], json!(["Billing contact"]));
    let again = hs
        .post(
            "/crm/v4/associations/deals/contacts/labels",
            json!({"label": "Billing contact", "name": "billing_contact"}),
        )
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn inline_associations_on_create_use_the_type_ids() {
    // docs/hubspot.md §2.1 inline associations; §2.10 note -> deal 214.
    let hs = Hs::quiet().await;
    let d = deal(&hs).await;
    let r = hs
        .post(
            "/crm/v3/objects/notes",
            json!({"properties": {"hs_timestamp": "2026-01-01T00:00:00Z", "hs_note_body": "<p>QBO payment</p>"},
                   "associations": [{"to": {"id": d}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}]}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let notes = hs
        .get(&format!("/crm/v4/objects/deals/{d}/associations/notes"))
        .await;
    assert_eq!(
        notes.body["results"][0]["toObjectId"].to_string(),
        r.body["id"].as_str().unwrap()
    );
    assert_eq!(
        notes.body["results"][0]["associationTypes"][0]["typeId"],
        213
    );
}

#[tokio::test]
async fn a_line_item_belongs_to_one_parent() {
    // docs/hubspot.md §2.6: line items belong to one single parent object.
    let hs = Hs::quiet().await;
    let d = deal(&hs).await;
    let inv = hs.create("invoices", json!({"hs_currency": "USD"})).await;
    let li = hs
        .create("line_items", json!({"name": "L", "price": "1"}))
        .await;
    hs.put(
        &format!("/crm/v4/objects/deals/{d}/associations/default/line_items/{li}"),
        None,
    )
    .await;
    let r = hs
        .put(
            &format!("/crm/v4/objects/invoices/{inv}/associations/default/line_items/{li}"),
            None,
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
}
