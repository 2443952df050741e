//! Authentication (docs/hubspot.md §1.2, §1.3, §9.4: dev token, OAuth refresh, expiry, 401s)
//! and the burst rate limit (§9.1-§9.3: 110 per 10 s, headers, the 429 body).

use hqsync_tests::fixtures;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Hs, assert_error, keys, quiet_config};

async fn refresh(hs: &Hs, form: &[(&str, &str)]) -> (u16, Value) {
    let r = hs
        .http
        .post(format!("{}/oauth/2026-03/token", hs.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn missing_or_wrong_token_is_the_documented_401() {
    let hs = Hs::quiet().await;
    let fixture = fixtures::json("hubspot", "error-401-invalid-authentication.json");
    for token in [None, Some("not-a-token")] {
        let r = hs
            .call_as(Method::GET, "/crm/v3/objects/contacts", None, token)
            .await;
        assert_error(&r, 401, "INVALID_AUTHENTICATION");
        assert_eq!(r.body["message"], fixture["message"]);
        assert_eq!(keys(&r.body), keys(&fixture));
    }
}

#[tokio::test]
async fn refreshed_tokens_work_until_they_expire() {
    // docs/hubspot.md §1.2 (AccessTokenResponse), §1.3 (30 minutes, then 401).
    let hs = Hs::quiet().await;
    let c = hs.sandbox.config().clone();
    let (status, body) = refresh(
        &hs,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("refresh_token", &c.refresh_token),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["hub_id"], c.portal_id);
    assert_eq!(body["refresh_token"], c.refresh_token.as_str());
    let token = body["access_token"].as_str().unwrap().to_owned();
    let ok = hs
        .call_as(Method::GET, "/crm/v3/objects/contacts", None, Some(&token))
        .await;
    assert_eq!(ok.status, 200);
    hs.advance(1_800_000).await;
    let expired = hs
        .call_as(Method::GET, "/crm/v3/objects/contacts", None, Some(&token))
        .await;
    assert_error(&expired, 401, "INVALID_AUTHENTICATION");
    // The dev token does not expire.
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
}

#[tokio::test]
async fn bad_refresh_token_or_client_is_an_oauth_error() {
    // docs/hubspot.md §1.3: RFC 6749 fields plus the legacy ones.
    let hs = Hs::quiet().await;
    let c = hs.sandbox.config().clone();
    let (status, body) = refresh(
        &hs,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("refresh_token", "revoked"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["status"], "BAD_REFRESH_TOKEN");
    assert!(body["error_description"].is_string() && body["message"].is_string());
    let (status, body) = refresh(
        &hs,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &c.client_id),
            ("client_secret", "wrong"),
            ("refresh_token", &c.refresh_token),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_client");
    // The token endpoint is subject to injected faults too (a client must retry refreshes).
    hs.put("/_sandbox/faults", Some(json!({"failNext": [503]})))
        .await;
    let good = [
        ("grant_type", "refresh_token"),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
        ("refresh_token", c.refresh_token.as_str()),
    ];
    assert_eq!(refresh(&hs, &good).await.0, 503);
    assert_eq!(refresh(&hs, &good).await.0, 200);
}

#[tokio::test]
async fn burst_limit_is_110_per_10_seconds_with_headers_and_the_429_body() {
    // docs/hubspot.md §9.1 (110 / 10 s), §9.2 (headers), §9.3 (fixture error-429-ten-secondly.json).
    let hs = Hs::start(hqsync_sandbox::hubspot::HubspotSandboxConfig {
        burst_limit: 110,
        ..quiet_config()
    })
    .await;
    // Slow sandbox time right down so all requests fall in one window.
    hs.put("/_sandbox/clock", Some(json!({"timeScale": 0.001})))
        .await;
    let first = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(first.header("x-hubspot-ratelimit-max"), Some("110"));
    assert_eq!(
        first.header("x-hubspot-ratelimit-interval-milliseconds"),
        Some("10000")
    );
    assert_eq!(first.header("x-hubspot-ratelimit-remaining"), Some("109"));
    for _ in 1..110 {
        assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
    }
    let limited = hs.get("/crm/v3/objects/contacts").await;
    assert_eq!(limited.status, 429);
    let fixture = fixtures::json("hubspot", "error-429-ten-secondly.json");
    assert_eq!(keys(&limited.body), keys(&fixture));
    assert_eq!(limited.body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(limited.body["errorType"], "RATE_LIMIT");
    assert_eq!(limited.body["message"], fixture["message"]);
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), Some("0"));
    // Search has its own bucket (exempt from the ten-secondly one).
    assert_eq!(
        hs.post("/crm/v3/objects/contacts/search", json!({}))
            .await
            .status,
        200
    );
    hs.advance(10_000).await;
    assert_eq!(hs.get("/crm/v3/objects/contacts").await.status, 200);
}
