//! Search (docs/hubspot.md §2.4): filters and the documented limits, one sort, offset paging,
//! archived records excluded, and the indexing delay.

use std::time::Duration;

use hqsync_tests::fixtures;
use serde_json::{Value, json};

use super::{Hs, assert_error, keys, quiet_config};

fn email_eq(email: &str) -> Value {
    json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]})
}

#[tokio::test]
async fn filter_groups_from_the_fixture_match_and_shape_is_the_fixtures() {
    let hs = Hs::quiet().await;
    hs.create(
        "contacts",
        json!({"firstname": "Alice", "lastname": "Jones", "email": "aj@x.example"}),
    )
    .await;
    hs.create(
        "contacts",
        json!({"firstname": "Alice", "lastname": "Smith", "email": "as@x.example"}),
    )
    .await;
    let no_email = hs.create("contacts", json!({"firstname": "Bob"})).await;
    let req = fixtures::json("hubspot", "search-request-filter-groups.json");
    let r = hs.post("/crm/v3/objects/contacts/search", req).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total"], 2);
    let fixture = fixtures::json("hubspot", "contact-search-response.json");
    assert_eq!(keys(&r.body), keys(&fixture));
    assert_eq!(
        keys(&r.body["results"][0]["properties"]),
        keys(&fixture["results"][0]["properties"])
    );
    let ids: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&no_email.as_str()));
}

#[tokio::test]
async fn limits_are_enforced_as_400s() {
    let hs = Hs::quiet().await;
    let filter = json!({"propertyName": "email", "operator": "HAS_PROPERTY"});
    let group = json!({"filters": [filter]});
    for (what, body) in [
        ("6 groups", json!({"filterGroups": vec![group.clone(); 6]})),
        (
            "7 filters in a group",
            json!({"filterGroups": [{"filters": vec![filter.clone(); 7]}]}),
        ),
        (
            "19 filters in total",
            json!({"filterGroups": [{"filters": vec![filter.clone(); 6]}, {"filters": vec![filter.clone(); 6]}, {"filters": vec![filter.clone(); 6]}, {"filters": [filter.clone()]}]}),
        ),
        (
            "two sorts",
            json!({"sorts": [{"propertyName": "email", "direction": "ASCENDING"}, "-createdate"]}),
        ),
        ("limit 201", json!({"limit": 201})),
        ("past 10,000", json!({"limit": 200, "after": "10000"})),
        ("non-integer after", json!({"after": "abc"})),
        ("query over 3,000 chars", json!({"query": "x".repeat(3001)})),
    ] {
        let r = hs.post("/crm/v3/objects/contacts/search", body).await;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        assert_eq!(r.body["category"], "VALIDATION_ERROR", "{what}");
    }
    let r = hs
        .post(
            "/crm/v3/objects/contacts/search",
            json!({"filterGroups": vec![group; 5], "limit": 200}),
        )
        .await;
    assert_eq!(r.status, 200, "5 groups and limit 200 are fine");
}

#[tokio::test]
async fn pages_by_offset_sorted_with_total_and_no_paging_on_the_last_page() {
    let hs = Hs::quiet().await;
    for i in 0..25 {
        hs.create(
            "products",
            json!({"name": format!("P{i:02}"), "price": format!("{i}.50")}),
        )
        .await;
    }
    let mut prices = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let r = hs
            .post(
                "/crm/v3/objects/products/search",
                json!({"sorts": [{"propertyName": "price", "direction": "DESCENDING"}], "limit": 10, "after": after, "properties": ["price"]}),
            )
            .await;
        assert_eq!(r.body["total"], 25);
        for rec in r.body["results"].as_array().unwrap() {
            prices.push(
                rec["properties"]["price"]
                    .as_str()
                    .unwrap()
                    .parse::<f64>()
                    .unwrap(),
            );
        }
        match r.body["paging"]["next"]["after"].as_str() {
            Some(a) => after = a.to_owned(),
            None => break,
        }
    }
    assert_eq!(prices.len(), 25);
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "numeric descending: {prices:?}"
    );
    // Partitioning on hs_object_id (the 10,000-cap workaround) works: GT the last id seen.
    let first = hs
        .post(
            "/crm/v3/objects/products/search",
            json!({"sorts": ["hs_object_id"], "limit": 5}),
        )
        .await;
    let last = first.body["results"][4]["id"].as_str().unwrap().to_owned();
    let next = hs
        .post(
            "/crm/v3/objects/products/search",
            json!({"sorts": ["hs_object_id"], "limit": 100, "filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": last}]}]}),
        )
        .await;
    assert_eq!(next.body["total"], 20);
}

#[tokio::test]
async fn archived_records_never_match() {
    let hs = Hs::quiet().await;
    let id = hs
        .create("contacts", json!({"email": "arch@x.example"}))
        .await;
    assert_eq!(
        hs.post(
            "/crm/v3/objects/contacts/search",
            email_eq("arch@x.example")
        )
        .await
        .body["total"],
        1
    );
    hs.delete(&format!("/crm/v3/objects/contacts/{id}")).await;
    assert_eq!(
        hs.post(
            "/crm/v3/objects/contacts/search",
            email_eq("arch@x.example")
        )
        .await
        .body["total"],
        0
    );
}

#[tokio::test]
async fn fresh_writes_show_up_in_search_after_the_indexing_delay() {
    // docs/hubspot.md §2.4: search is eventually consistent.
    let hs = Hs::start(hqsync_sandbox::hubspot::HubspotSandboxConfig {
        search_index_delay: Duration::from_secs(30),
        ..quiet_config()
    })
    .await;
    let id = hs
        .create(
            "contacts",
            json!({"email": "late@x.example", "firstname": "Old"}),
        )
        .await;
    assert_eq!(
        hs.post(
            "/crm/v3/objects/contacts/search",
            email_eq("late@x.example")
        )
        .await
        .body["total"],
        0
    );
    // Read by id works at once (the doc's advice).
    assert_eq!(
        hs.get(&format!("/crm/v3/objects/contacts/{id}"))
            .await
            .status,
        200
    );
    hs.advance(30_000).await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/search",
            email_eq("late@x.example"),
        )
        .await;
    assert_eq!(r.body["total"], 1);
    // An update is also seen late: search still returns the old value for a while.
    hs.patch(
        &format!("/crm/v3/objects/contacts/{id}"),
        json!({"properties": {"firstname": "New"}}),
    )
    .await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/search",
            email_eq("late@x.example"),
        )
        .await;
    assert_eq!(r.body["results"][0]["properties"]["firstname"], "Old");
    hs.advance(30_000).await;
    let r = hs
        .post(
            "/crm/v3/objects/contacts/search",
            email_eq("late@x.example"),
        )
        .await;
    assert_eq!(r.body["results"][0]["properties"]["firstname"], "New");
}

#[tokio::test]
async fn search_rate_is_5_per_second_with_the_secondly_429() {
    // docs/hubspot.md §2.4, §9.3 (fixture error-429-search-secondly.json); no burst headers.
    let hs = Hs::start(hqsync_sandbox::hubspot::HubspotSandboxConfig {
        search_per_second: 5,
        ..quiet_config()
    })
    .await;
    // Freeze time between requests: push the clock back is not possible, so just go fast and
    // count; five must pass, then a 429 must come within the same sandbox second.
    hs.put("/_sandbox/clock", Some(json!({"timeScale": 0.001})))
        .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(hs.post("/crm/v3/objects/contacts/search", json!({})).await);
    }
    assert!(statuses[..5].iter().all(|r| r.status == 200));
    let limited = &statuses[5];
    assert_error(limited, 429, "RATE_LIMITS");
    assert_eq!(
        limited.body["message"],
        "You have reached your secondly limit."
    );
    assert!(limited.header("x-hubspot-ratelimit-max").is_none());
    hs.advance(1_000).await;
    assert_eq!(
        hs.post("/crm/v3/objects/contacts/search", json!({}))
            .await
            .status,
        200
    );
}
