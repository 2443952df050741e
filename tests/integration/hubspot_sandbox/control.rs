//! The `/_sandbox/` control API: readiness, request stats per route pattern, fault injection,
//! reset and the demo seed.

use hqsync_sandbox::Seed;
use hqsync_sandbox::demo_data::PEOPLE;
use serde_json::json;

use super::{Hs, assert_error, quiet_config};

#[tokio::test]
async fn stats_count_requests_per_method_and_route_pattern() {
    let hs = Hs::quiet().await;
    let ready = hs.get("/_sandbox/stats").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["ready"], true);
    let id = hs.create("contacts", json!({"email": "s@x.example"})).await;
    hs.get(&format!("/crm/v3/objects/contacts/{id}")).await;
    hs.get("/crm/v3/objects/contacts/123456789").await;
    let s = hs.get("/_sandbox/stats").await.body;
    let route = s["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == "GET" && r["path"] == "/crm/v3/objects/{object_type}/{id}")
        .expect("route counted by pattern");
    assert_eq!(route["count"], 2);
    assert_eq!(route["byStatus"]["200"], 1);
    assert_eq!(route["byStatus"]["404"], 1);
    assert_eq!(s["store"]["records"]["contacts"], 1);
}

#[tokio::test]
async fn injected_faults_use_hubspot_error_bodies_and_spare_the_control_api() {
    let hs = Hs::quiet().await;
    let r = hs
        .put("/_sandbox/faults", Some(json!({"failNext": [503, 429]})))
        .await;
    assert_eq!(r.status, 200);
    let first = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(first.status, 503);
    assert_eq!(first.body["status"], "error");
    assert_eq!(
        hs.get("/_sandbox/stats").await.status,
        200,
        "control routes are never faulted"
    );
    let second = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(second.status, 429);
    assert_eq!(second.body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
    hs.put(
        "/_sandbox/faults",
        Some(json!({"errorRates": {"502": 1.0}})),
    )
    .await;
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 502);
    assert_eq!(hs.delete("/_sandbox/faults").await.status, 204);
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
    let s = hs.get("/_sandbox/stats").await.body;
    assert_eq!(s["faultsInjected"]["503"], 1);
}

#[tokio::test]
async fn reset_and_demo_seed() {
    let hs = Hs::start(hqsync_sandbox::hubspot::HubspotSandboxConfig {
        seed: Seed::Demo,
        ..quiet_config()
    })
    .await;
    let first = PEOPLE.iter().find(|p| p.on_hubspot).unwrap();
    let r = hs
        .get(&format!(
            "/crm/v3/objects/contacts/{}?idProperty=email",
            first.email
        ))
        .await;
    assert_eq!(r.status, 200, "demo contact by email");
    let not_hubspot = PEOPLE.iter().find(|p| !p.on_hubspot).unwrap();
    assert_eq!(
        hs.get(&format!(
            "/crm/v3/objects/contacts/{}?idProperty=email",
            not_hubspot.email
        ))
        .await
        .status,
        404
    );
    let deals = hs.get("/crm/v3/objects/deals").await;
    let deal = deals.body["results"][0]["id"].as_str().unwrap().to_owned();
    let lines = hs
        .get(&format!(
            "/crm/v4/objects/deals/{deal}/associations/line_items"
        ))
        .await;
    assert!(!lines.body["results"].as_array().unwrap().is_empty());
    let li = lines.body["results"][0]["toObjectId"].to_string();
    let item = hs
        .get(&format!(
            "/crm/v3/objects/line_items/{li}?properties=hs_product_id"
        ))
        .await;
    assert!(item.body["properties"]["hs_product_id"].is_string());

    assert_eq!(
        hs.post("/_sandbox/reset", json!({"seed": "empty"}))
            .await
            .status,
        200
    );
    assert_eq!(
        hs.get("/crm/v3/objects/contacts").await.body["results"],
        json!([])
    );
    let bad = hs.post("/_sandbox/seed", json!({"seed": "lots"})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        hs.post("/_sandbox/seed", json!({"seed": "demo"}))
            .await
            .status,
        200
    );
    assert_eq!(
        hs.get(&format!(
            "/crm/v3/objects/contacts/{}?idProperty=email",
            first.email
        ))
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn unknown_object_type_is_a_400() {
    let hs = Hs::quiet().await;
    assert_error(
        &hs.get("/crm/v3/objects/tickets").await,
        400,
        "VALIDATION_ERROR",
    );
}

#[tokio::test]
async fn hangs_end_in_a_504_and_latency_is_settable() {
    let hs = Hs::quiet().await;
    let r = hs
        .put(
            "/_sandbox/faults",
            Some(json!({"hangRate": 1.0, "hangMs": 20})),
        )
        .await;
    assert_eq!(r.body["hangRate"], 1.0);
    let hung = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(hung.status, 504);
    assert_eq!(hung.body["status"], "error");
    hs.put("/_sandbox/faults", Some(json!({"latencyMs": 5})))
        .await;
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
    assert_eq!(hs.get("/_sandbox/faults").await.body["latencyMs"], 5);
    let clock = hs.get("/_sandbox/clock").await.body;
    assert!(clock["nowMs"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(clock["timeScale"], 1.0);
    assert_eq!(
        hs.put("/_sandbox/clock", Some(json!({"timeScale": -1})))
            .await
            .status,
        400
    );
}
