//! Single-record endpoints (docs/hubspot.md §2.1, §2.3, §2.5, §2.6): shapes as the fixtures,
//! string properties, last-modified dates, uniqueness, validation, paging, merge.

use hqsync_tests::fixtures;
use serde_json::{Value, json};

use super::{Hs, assert_error, keys};

#[tokio::test]
async fn create_and_get_have_the_fixture_shape_on_both_path_forms() {
    let hs = Hs::quiet().await;
    let r = hs
        .post(
            "/crm/objects/2026-03/contacts",
            json!({"properties": {"email": "Tom@OldForest.example", "firstname": "Tom", "lastname": "Bombadil"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let fixture = fixtures::json("hubspot", "contact-get-response.json");
    assert_eq!(keys(&r.body), keys(&fixture), "SimplePublicObject keys");
    let id = r.body["id"].as_str().unwrap();
    // docs/hubspot.md §5.3: app writes carry hs_object_source INTEGRATION and the app id.
    let app_id = hs.sandbox.config().app_id.to_string();
    assert_eq!(r.body["properties"]["hs_object_source"], "INTEGRATION");
    assert_eq!(r.body["properties"]["hs_object_source_id"], app_id.as_str());
    assert_eq!(r.body["properties"]["hs_email_domain"], "oldforest.example");

    for path in [
        format!("/crm/v3/objects/contacts/{id}"),
        format!("/crm/objects/2026-03/contacts/{id}"),
        format!("/crm/v3/objects/0-1/{id}"),
    ] {
        let got = hs.get(&path).await;
        assert_eq!(got.status, 200, "{path}");
        // Without `properties`: the defaults plus the system trio (fixture keys exactly).
        assert_eq!(
            keys(&got.body["properties"]),
            keys(&fixture["properties"]),
            "{path}"
        );
        assert!(
            got.body["properties"]
                .as_object()
                .unwrap()
                .values()
                .all(Value::is_string)
        );
        assert_eq!(got.body["archived"], false);
    }
}

#[tokio::test]
async fn named_properties_come_back_null_when_empty_and_absent_when_undefined() {
    // docs/hubspot.md §2.1: defined-but-empty -> null; undefined -> left out.
    let hs = Hs::quiet().await;
    let id = hs.create("contacts", json!({"email": "a@b.example"})).await;
    let r = hs
        .get(&format!(
            "/crm/v3/objects/contacts/{id}?properties=email,phone,not_a_property"
        ))
        .await;
    assert_eq!(r.body["properties"]["email"], "a@b.example");
    assert_eq!(r.body["properties"]["phone"], Value::Null);
    assert!(r.body["properties"].get("not_a_property").is_none());
}

#[tokio::test]
async fn last_modified_moves_on_every_write() {
    // docs/hubspot.md §2.3: lastmodifieddate (contacts) / hs_lastmodifieddate (others).
    let hs = Hs::quiet().await;
    for (object_type, props, prop) in [
        (
            "contacts",
            json!({"email": "m@x.example"}),
            "lastmodifieddate",
        ),
        (
            "products",
            json!({"name": "Widget", "price": "10.00"}),
            "hs_lastmodifieddate",
        ),
    ] {
        let id = hs.create(object_type, props).await;
        let before = hs
            .get(&format!("/crm/v3/objects/{object_type}/{id}"))
            .await
            .body;
        hs.advance(5_000).await;
        let after = hs
            .patch(
                &format!("/crm/v3/objects/{object_type}/{id}"),
                json!({"properties": {}}),
            )
            .await;
        assert_eq!(after.status, 200);
        assert_ne!(
            before["properties"][prop], after.body["properties"][prop],
            "{object_type}"
        );
        assert_ne!(before["updatedAt"], after.body["updatedAt"]);
        assert_eq!(before["createdAt"], after.body["createdAt"]);
    }
}

#[tokio::test]
async fn missing_record_is_the_documented_404() {
    // docs/hubspot.md §9.4 (fixture error-404-object-not-found.json).
    let hs = Hs::quiet().await;
    let r = hs.get("/crm/v3/objects/contacts/999999999").await;
    assert_error(&r, 404, "OBJECT_NOT_FOUND");
    assert_eq!(
        r.body["message"],
        "Object not found.  objectId are usually numeric."
    );
    assert_eq!(r.body["context"]["id"], json!(["999999999"]));
    let p = hs
        .patch("/crm/v3/objects/deals/abc", json!({"properties": {}}))
        .await;
    assert_error(&p, 404, "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn duplicate_email_on_create_is_409_with_the_existing_id() {
    // docs/hubspot.md §2.5 (fixture error-409-contact-exists.json); emails compare case-insensitively.
    let hs = Hs::quiet().await;
    let id = hs
        .create("contacts", json!({"email": "dup@x.example"}))
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "DUP@x.example"}}),
        )
        .await;
    assert_error(&r, 409, "CONFLICT");
    let fixture = fixtures::json("hubspot", "error-409-contact-exists.json");
    assert_eq!(keys(&r.body), keys(&fixture));
    assert_eq!(
        r.body["message"],
        format!("Contact already exists. Existing ID: {id}")
    );
}

#[tokio::test]
async fn changing_email_to_a_taken_one_is_the_unique_value_400() {
    // docs/hubspot.md §2.5: the write-time uniqueness check (fixture error-400-unique-value-conflict.json).
    let hs = Hs::quiet().await;
    let holder = hs
        .create("contacts", json!({"email": "taken@x.example"}))
        .await;
    let other = hs
        .create("contacts", json!({"email": "free@x.example"}))
        .await;
    let r = hs
        .patch(
            &format!("/crm/v3/objects/contacts/{other}"),
            json!({"properties": {"email": "taken@x.example"}}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
    let m = r.body["message"].as_str().unwrap();
    assert!(
        m.contains(&format!("on {other}. {holder} already has that value.")),
        "{m}"
    );
    assert!(m.contains("propertyName=email"), "{m}");
}

#[tokio::test]
async fn unknown_or_read_only_properties_are_validation_errors() {
    // docs/hubspot.md §2.1, §2.2, §9.4: writing a non-existent or read-only property fails.
    let hs = Hs::quiet().await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "v@x.example", "missing": "1"}}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Property values were not valid: [")
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("PROPERTY_DOESNT_EXIST")
    );
    assert_eq!(
        r.body["errors"][0]["context"]["propertyName"],
        json!(["missing"])
    );
    let r = hs
        .post(
            "/crm/v3/objects/products",
            json!({"properties": {"name": "P", "price": "ten"}}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
    assert_eq!(
        r.body["errors"][0]["context"]["propertyName"],
        json!(["price"])
    );
    let r = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "w@x.example", "hs_object_id": "5"}}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
    // Nothing was created by the failed requests.
    let list = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(list.body["results"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn contact_needs_email_or_a_name() {
    // docs/hubspot.md §2.5: at least one of email, firstname, lastname.
    let hs = Hs::quiet().await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"phone": "+1 555"}}),
        )
        .await;
    assert_error(&r, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn list_pages_with_after_until_no_next() {
    // docs/hubspot.md §2.1: paging.next.after until absent.
    let hs = Hs::quiet().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            hs.create("products", json!({"name": format!("P{i}")}))
                .await,
        );
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let q = after
            .as_ref()
            .map(|a| format!("&after={a}"))
            .unwrap_or_default();
        let r = hs
            .get(&format!("/crm/v3/objects/products?limit=2{q}"))
            .await;
        assert_eq!(r.status, 200);
        for rec in r.body["results"].as_array().unwrap() {
            seen.push(rec["id"].as_str().unwrap().to_owned());
        }
        match r.body["paging"]["next"]["after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, created);
}

#[tokio::test]
async fn archive_then_read_archived() {
    // docs/hubspot.md §2.1: DELETE archives (204); `archived=true` reads it.
    let hs = Hs::quiet().await;
    let id = hs
        .create(
            "deals",
            json!({"dealname": "D", "dealstage": "appointmentscheduled"}),
        )
        .await;
    assert_eq!(
        hs.delete(&format!("/crm/v3/objects/deals/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/deals/{id}")).await.status,
        404
    );
    let r = hs
        .get(&format!("/crm/v3/objects/deals/{id}?archived=true"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["archived"], true);
    assert!(r.body["archivedAt"].is_string());
}

#[tokio::test]
async fn id_property_reads_and_updates_by_email() {
    // docs/hubspot.md §2.1: idProperty; `PATCH .../jon@x.com?idProperty=email`.
    let hs = Hs::quiet().await;
    let id = hs
        .create("contacts", json!({"email": "jon@x.example"}))
        .await;
    let r = hs
        .get("/crm/v3/objects/contacts/jon@x.example?idProperty=email")
        .await;
    assert_eq!(r.body["id"], id.as_str());
    let p = hs
        .patch(
            "/crm/v3/objects/contacts/jon@x.example?idProperty=email",
            json!({"properties": {"firstname": "Jon"}}),
        )
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(p.body["properties"]["firstname"], "Jon");
    let bad = hs
        .get("/crm/v3/objects/contacts/x?idProperty=firstname")
        .await;
    assert_error(&bad, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn line_item_inherits_from_its_product_and_calculates_amount() {
    // docs/hubspot.md §2.6: hs_product_id links the product; values are inherited.
    let hs = Hs::quiet().await;
    let product = hs
        .create(
            "products",
            json!({"name": "Workshop", "price": "1200.00", "hs_sku": "SKU-1"}),
        )
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/line_items",
            json!({"properties": {"hs_product_id": product, "quantity": "2"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["properties"]["name"], "Workshop");
    assert_eq!(r.body["properties"]["price"], "1200.00");
    assert_eq!(r.body["properties"]["hs_sku"], "SKU-1");
    assert_eq!(r.body["properties"]["amount"], "2400.00");
    let bad = hs
        .post(
            "/crm/v3/objects/line_items",
            json!({"properties": {"hs_product_id": "424242"}}),
        )
        .await;
    assert_error(&bad, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn merge_keeps_the_primary_and_redirects_the_merged_id() {
    // docs/hubspot.md §2.5 merge.
    let hs = Hs::quiet().await;
    let a = hs
        .create(
            "contacts",
            json!({"email": "a@m.example", "firstname": "Ann"}),
        )
        .await;
    let b = hs
        .create(
            "contacts",
            json!({"email": "b@m.example", "phone": "+1 555 0100"}),
        )
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/merge",
            json!({"primaryObjectId": a, "objectIdToMerge": b}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], a.as_str());
    assert_eq!(r.body["properties"]["email"], "a@m.example");
    assert_eq!(r.body["properties"]["phone"], "+1 555 0100");
    let via_old = hs.get(&format!("/crm/v3/objects/contacts/{b}")).await;
    assert_eq!(via_old.body["id"], a.as_str());
    // docs/hubspot.md §2.5: the merged-away email is now a secondary email of the primary, so
    // creating a contact with it is the 400 unique-value clash naming the primary.
    let again = hs
        .post(
            "/crm/v3/objects/contacts",
            json!({"properties": {"email": "b@m.example"}}),
        )
        .await;
    assert_error(&again, 400, "VALIDATION_ERROR");
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{a} already has that value."))
    );
}

#[tokio::test]
async fn deals_merge_and_gdpr_delete_is_permanent() {
    // docs/hubspot.md §2.1: deals merge too; §2.5: gdpr-delete is permanent.
    let hs = Hs::quiet().await;
    let a = hs
        .create(
            "deals",
            json!({"dealname": "A", "dealstage": "appointmentscheduled"}),
        )
        .await;
    let b = hs
        .create(
            "deals",
            json!({"dealname": "B", "dealstage": "appointmentscheduled", "amount": "50"}),
        )
        .await;
    let r = hs
        .post(
            "/crm/v3/objects/0-3/merge",
            json!({"primaryObjectId": a, "objectIdToMerge": b}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["dealname"], "A");
    assert_eq!(r.body["properties"]["amount"], "50");
    let products = hs
        .post(
            "/crm/v3/objects/products/merge",
            json!({"primaryObjectId": "1", "objectIdToMerge": "2"}),
        )
        .await;
    assert_error(&products, 400, "VALIDATION_ERROR");

    let c = hs
        .create("contacts", json!({"email": "forget@x.example"}))
        .await;
    let d = hs
        .post(
            "/crm/v3/objects/contacts/gdpr-delete",
            json!({"objectId": "forget@x.example", "idProperty": "email"}),
        )
        .await;
    assert_eq!(d.status, 204, "{}", d.body);
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/contacts/{c}"))
            .await
            .status,
        404
    );
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/contacts/{c}?archived=true"))
            .await
            .status,
        404
    );
    // The email is free again.
    hs.create("contacts", json!({"email": "forget@x.example"}))
        .await;
}

#[tokio::test]
async fn properties_with_history_list_values_newest_first_with_their_source() {
    // docs/hubspot.md §2.1: propertiesWithHistory on get and batch read.
    let hs = Hs::quiet().await;
    let id = hs
        .create(
            "contacts",
            json!({"email": "h@x.example", "firstname": "One"}),
        )
        .await;
    hs.advance(1_000).await;
    let edit = hs
        .http
        .patch(format!("{}/crm/v3/objects/contacts/{id}", hs.base))
        .bearer_auth(&hs.token)
        .header(hqsync_sandbox::hubspot::ACTOR_HEADER, "user:3")
        .json(&json!({"properties": {"firstname": "Two"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    let r = hs
        .get(&format!(
            "/crm/v3/objects/contacts/{id}?propertiesWithHistory=firstname"
        ))
        .await;
    let h = &r.body["propertiesWithHistory"]["firstname"];
    assert_eq!(h[0]["value"], "Two");
    assert_eq!(h[0]["sourceType"], "CRM_UI");
    assert_eq!(h[0]["sourceId"], "userId:3");
    assert_eq!(h[1]["value"], "One");
    assert_eq!(h[1]["sourceType"], "INTEGRATION");
    let b = hs
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": [{"id": id}], "propertiesWithHistory": ["firstname"]}),
        )
        .await;
    assert_eq!(
        b.body["results"][0]["propertiesWithHistory"]["firstname"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let inputs: Vec<Value> = (0..51).map(|i| json!({"id": i.to_string()})).collect();
    let over = hs
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs, "propertiesWithHistory": ["firstname"]}),
        )
        .await;
    // docs/hubspot.md §2.2: the cap is 50 with propertiesWithHistory.
    assert_error(&over, 400, "VALIDATION_ERROR");
}
