//! Batch endpoints (docs/hubspot.md §2.2): the 100-input cap, 207 multi-status shapes,
//! per-input errors only with `objectWriteTraceId`s, update results, upsert `new`.

use hqsync_tests::fixtures;
use serde_json::{Value, json};

use super::{Hs, assert_error, keys};

#[tokio::test]
async fn more_than_100_inputs_is_the_captured_400() {
    let hs = Hs::quiet().await;
    let inputs: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
    let fixture = fixtures::json("hubspot", "error-400-batch-inputs-over-100.json");
    assert_eq!(r.body["message"], fixture["message"]);
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"properties": {"name": format!("P{i}")}}))
        .collect();
    let ok = hs
        .post(
            "/crm/v3/objects/products/batch/create",
            json!({"inputs": hundred}),
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body["results"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn batch_read_with_misses_is_207_like_the_fixture() {
    let hs = Hs::quiet().await;
    let id = hs
        .create("contacts", json!({"email": "here@x.example"}))
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": [{"id": "here@x.example"}, {"id": "gone@x.example"}], "idProperty": "email", "properties": ["email"]}),
        )
        .await;
    assert_eq!(r.status, 207);
    let fixture = fixtures::json("hubspot", "batch-read-not-found-response-207.json");
    assert_eq!(keys(&r.body), keys(&fixture));
    assert_eq!(keys(&r.body["errors"][0]), keys(&fixture["errors"][0]));
    assert_eq!(r.body["status"], "COMPLETE");
    assert_eq!(r.body["results"][0]["id"], id.as_str());
    assert_eq!(r.body["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(
        r.body["errors"][0]["message"],
        "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."
    );
    assert_eq!(
        r.body["errors"][0]["context"]["ids"],
        json!(["gone@x.example"])
    );
    let all = hs
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": [{"id": id}]}),
        )
        .await;
    assert_eq!(all.status, 200);
    assert!(all.body.get("errors").is_none());
}

#[tokio::test]
async fn batch_create_with_trace_ids_reports_each_failure_in_a_207() {
    // Fixtures batch-create-multi-status-request/-response-207.json (the request uses a
    // property that does not exist in our portal, so both inputs use our own properties).
    let hs = Hs::quiet().await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/create",
            json!({"inputs": [
                {"objectWriteTraceId": "549b1c2a9350", "properties": {"email": "ok@x.example"}},
                {"objectWriteTraceId": "549b1c2a9351", "properties": {"missing": "1"}},
            ]}),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.body);
    let fixture = fixtures::json("hubspot", "batch-create-multi-status-response-207.json");
    assert_eq!(keys(&r.body), keys(&fixture));
    assert_eq!(keys(&r.body["errors"][0]), keys(&fixture["errors"][0]));
    assert_eq!(r.body["numErrors"], 1);
    assert_eq!(
        r.body["errors"][0]["context"]["objectWriteTraceId"],
        json!(["549b1c2a9351"])
    );
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"error\":\"PROPERTY_DOESNT_EXIST\"")
    );
    assert_eq!(r.body["results"][0]["objectWriteTraceId"], "549b1c2a9350");
}

#[tokio::test]
async fn batch_create_without_trace_ids_fails_whole_on_the_first_duplicate() {
    // docs/hubspot.md §2.2/§2.5: a single 409 for the first duplicate; nothing is created.
    let hs = Hs::quiet().await;
    let existing = hs
        .create("contacts", json!({"email": "one@x.example"}))
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/create",
            json!({"inputs": [
                {"properties": {"email": "new@x.example"}},
                {"properties": {"email": "one@x.example"}},
            ]}),
        )
        .await;
    assert_error(&r, 409, "CONFLICT");
    assert_eq!(
        r.body["message"],
        format!("Contact already exists. Existing ID: {existing}")
    );
    let search = hs
        .post(
            "/crm/v3/objects/contacts/search",
            json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "new@x.example"}]}]}),
        )
        .await;
    assert_eq!(search.body["total"], 0, "the batch created nothing");
    // Duplicates inside one batch clash too.
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/create",
            json!({"inputs": [{"properties": {"email": "twin@x.example"}}, {"properties": {"email": "twin@x.example"}}]}),
        )
        .await;
    assert_error(&r, 409, "CONFLICT");
}

#[tokio::test]
async fn batch_update_returns_written_properties_and_207_for_missing_ids() {
    // docs/hubspot.md §2.2 (fixture contact-batch-update-response.json).
    let hs = Hs::quiet().await;
    let id = hs
        .create(
            "contacts",
            json!({"email": "up@x.example", "firstname": "A", "phone": "1"}),
        )
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/update",
            json!({"inputs": [{"id": id, "properties": {"lastname": "Doe"}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let props = &r.body["results"][0]["properties"];
    assert_eq!(props["lastname"], "Doe");
    assert!(props["lastmodifieddate"].is_string());
    assert!(props.get("phone").is_none(), "not written, not returned");
    let fixture = fixtures::json("hubspot", "contact-batch-update-response.json");
    assert_eq!(keys(&r.body), keys(&fixture));

    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/update",
            json!({"inputs": [
                {"id": id, "properties": {"lastname": "Roe"}, "objectWriteTraceId": "a"},
                {"id": "987654321", "properties": {"lastname": "X"}, "objectWriteTraceId": "b"},
            ]}),
        )
        .await;
    assert_eq!(r.status, 207);
    assert_eq!(r.body["errors"][0]["category"], "OBJECT_NOT_FOUND");
    assert_eq!(
        r.body["errors"][0]["context"]["objectWriteTraceId"],
        json!(["b"])
    );
    assert_eq!(r.body["results"][0]["properties"]["lastname"], "Roe");
}

#[tokio::test]
async fn upsert_by_email_creates_or_updates_and_says_which() {
    // docs/hubspot.md §2.1, §2.5: upsert with idProperty=email; each result has `new`.
    let hs = Hs::quiet().await;
    let id = hs
        .create("contacts", json!({"email": "old@x.example"}))
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/batch/upsert",
            json!({"inputs": [
                {"id": "old@x.example", "idProperty": "email", "properties": {"firstname": "Old"}},
                {"id": "fresh@x.example", "idProperty": "email", "properties": {"firstname": "Fresh"}},
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    let old = results
        .iter()
        .find(|v| v["id"] == id.as_str())
        .expect("updated one");
    assert_eq!(old["new"], false);
    assert_eq!(old["properties"]["firstname"], "Old");
    let fresh = results
        .iter()
        .find(|v| v["new"] == true)
        .expect("created one");
    assert_eq!(fresh["properties"]["email"], "fresh@x.example");
}

#[tokio::test]
async fn batch_archive_is_204_and_records_are_gone() {
    let hs = Hs::quiet().await;
    let a = hs.create("products", json!({"name": "A"})).await;
    let b = hs.create("products", json!({"name": "B"})).await;
    let r = hs
        .post(
            "/crm/v3/objects/products/batch/archive",
            json!({"inputs": [{"id": a}, {"id": b}]}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/products/{a}"))
            .await
            .status,
        404
    );
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/products/{b}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn results_are_not_in_input_order_so_clients_match_by_id() {
    // docs/hubspot.md §2.2: "Result order is not input order" (captured: two inputs, reversed).
    let hs = Hs::quiet().await;
    let r = hs
        .post(
            "/crm/v3/objects/companies/batch/create",
            json!({"inputs": [{"properties": {"name": "bossa"}}, {"properties": {"name": "samba"}}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let names: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["properties"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["samba", "bossa"]);
}
