//! Companies, the objects of the `company` customer model (docs/hubspot.md §2.12): CRUD with
//! the default `name`/`domain` properties, search by domain, batch create and read, the unique
//! `qbo_customer_id` property and upserts by it, and the contact ⇄ company primary association
//! (§3). https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies

use serde_json::json;

use super::{Hs, assert_error};

#[tokio::test]
async fn companies_have_crud_with_name_and_domain_by_default() {
    let hs = Hs::quiet().await;
    let id = hs
        .create(
            "companies",
            json!({"name": "Initech", "domain": "initech.example", "city": "Austin"}),
        )
        .await;
    let read = hs.get(&format!("/crm/v3/objects/companies/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["properties"]["name"], "Initech");
    assert_eq!(read.body["properties"]["domain"], "initech.example");
    // Only the defaults and system properties come back unless asked for (§2.3).
    assert!(read.body["properties"]["city"].is_null(), "{}", read.body);
    assert!(read.body["properties"]["hs_lastmodifieddate"].is_string());
    let asked = hs
        .get(&format!("/crm/v3/objects/companies/{id}?properties=city"))
        .await;
    assert_eq!(asked.body["properties"]["city"], "Austin");
    let patched = hs
        .patch(
            &format!("/crm/v3/objects/companies/{id}"),
            json!({"properties": {"phone": "+1 512 555 0100"}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let unknown = hs
        .patch(
            &format!("/crm/v3/objects/companies/{id}"),
            json!({"properties": {"email": "x@initech.example"}}),
        )
        .await;
    assert_error(&unknown, 400, "VALIDATION_ERROR");
    assert_eq!(
        hs.delete(&format!("/crm/v3/objects/companies/{id}"))
            .await
            .status,
        204
    );
    let gone = hs.get(&format!("/crm/v3/objects/companies/{id}")).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}

#[tokio::test]
async fn companies_are_searched_by_domain_and_batched() {
    let hs = Hs::quiet().await;
    let made = hs
        .post(
            "/crm/v3/objects/companies/batch/create",
            json!({"inputs": [
                {"properties": {"name": "Acme", "domain": "acme.example"}},
                {"properties": {"name": "Acme", "domain": "acme-tools.example"}},
            ]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let ids: Vec<String> = made.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let found = hs
        .post(
            "/crm/v3/objects/companies/search",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "domain", "operator": "EQ", "value": "acme-tools.example"}
            ]}]}),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["total"], 1, "{}", found.body);
    assert_eq!(
        found.body["results"][0]["properties"]["domain"],
        "acme-tools.example"
    );
    // Two companies may share a name: `name` is not unique (§2.12).
    let by_name = hs
        .post(
            "/crm/v3/objects/companies/search",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "name", "operator": "EQ", "value": "Acme"}
            ]}]}),
        )
        .await;
    assert_eq!(by_name.body["total"], 2, "{}", by_name.body);
    let read = hs
        .post(
            "/crm/v3/objects/companies/batch/read",
            json!({"inputs": [{"id": ids[0]}, {"id": ids[1]}], "properties": ["domain"]}),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["results"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_unique_qbo_id_property_on_companies_takes_upserts() {
    let hs = Hs::quiet().await;
    let prop = json!({"name": "qbo_customer_id", "label": "QuickBooks customer ID",
                      "type": "string", "fieldType": "text",
                      "groupName": "companyinformation", "hasUniqueValue": true});
    let made = hs.post("/crm/v3/properties/companies", prop).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let upsert = |name: &str| {
        json!({"inputs": [{"id": "58", "idProperty": "qbo_customer_id",
                           "properties": {"name": name}}]})
    };
    let first = hs
        .post("/crm/v3/objects/companies/batch/upsert", upsert("Globex"))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = hs
        .post(
            "/crm/v3/objects/companies/batch/upsert",
            upsert("Globex Corp"),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        first.body["results"][0]["id"],
        again.body["results"][0]["id"]
    );
    let copy = hs
        .post(
            "/crm/v3/objects/companies",
            json!({"properties": {"name": "Copy", "qbo_customer_id": "58"}}),
        )
        .await;
    assert!(
        copy.status.is_client_error(),
        "a second company cannot hold the same QBO id: {}",
        copy.body
    );
}

#[tokio::test]
async fn a_contact_has_a_primary_company_association() {
    let hs = Hs::quiet().await;
    let company = hs.create("companies", json!({"name": "Initech"})).await;
    let contact = hs
        .create("contacts", json!({"email": "peter@initech.example"}))
        .await;
    // Type 1 is the primary contact -> company association (reverse 2), labeled "Primary".
    let made = hs
        .put(
            &format!("/crm/v4/objects/contacts/{contact}/associations/companies/{company}"),
            Some(json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}])),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["fromObjectTypeId"], "0-1");
    assert_eq!(made.body["toObjectTypeId"], "0-2");
    let back = hs
        .get(&format!(
            "/crm/v4/objects/companies/{company}/associations/contacts"
        ))
        .await;
    let types = back.body["results"][0]["associationTypes"]
        .as_array()
        .unwrap();
    assert!(
        types
            .iter()
            .any(|t| t["typeId"] == 2 && t["label"] == "Primary"),
        "{}",
        back.body
    );
}
