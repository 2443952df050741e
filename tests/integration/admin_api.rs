//! The admin API over HTTP on the harness (`hqsync_tests::admin_server`): sign-in and sessions,
//! the connection, settings, object and audit routes, and their refusals.

use hqsync_tests::admin_server::{ADMIN_PASSWORD, AdminServer};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn sign_in_gives_a_session_that_opens_the_api_and_unknown_paths_need_it_too() {
    let server = AdminServer::start().await;
    let anonymous = AdminServer::client();
    let refused = anonymous
        .get(server.url("/api/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let admin = server.signed_in().await;
    assert!(admin.cookie.starts_with("hqsync_session="));
    assert!(!admin.csrf_token.is_empty());
    let missing = admin.get("/api/no-such-route").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");

    let wrong = anonymous
        .post(server.url("/api/session"))
        .json(&json!({"password": format!("{ADMIN_PASSWORD}!")}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let text = wrong.text().await.unwrap();
    assert!(!text.contains(ADMIN_PASSWORD), "{text}");
}

/// A route's path with its placeholders filled in.
fn concrete(path: &str, connection: &str) -> String {
    path.replace("{id}", connection)
        .replace("{kind}", "contact")
        .replace("{side}", "hubspot")
        .replace("{record_id}", "1")
        .replace("{action}", "disable")
}

#[tokio::test]
async fn every_admin_route_refuses_without_a_session_and_writes_refuse_without_csrf() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let anonymous = AdminServer::client();
    let id = server.connection_id().to_string();
    for route in hqsync::admin::ADMIN_ROUTES {
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let url = server.url(&concrete(route.path, &id));
        let response = anonymous
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            401,
            "{} {} without a session",
            route.method,
            route.path
        );
        if !method.is_safe() {
            let response = admin
                .without_csrf(method.clone(), &concrete(route.path, &id))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                403,
                "{} {} without CSRF",
                route.method,
                route.path
            );
            let wrong = admin
                .without_csrf(method, &concrete(route.path, &id))
                .header(hqsync::admin::CSRF_HEADER, "00ff")
                .send()
                .await
                .unwrap();
            assert_eq!(
                wrong.status(),
                403,
                "{} {} with a wrong CSRF token",
                route.method,
                route.path
            );
        }
    }
}

#[tokio::test]
async fn connections_are_listed_and_one_is_read_with_its_objects() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let response = admin.get("/api/connections").await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 1);
    let record = server.connection.as_ref().unwrap();
    assert_eq!(list[0]["id"], "local");
    assert_eq!(
        list[0]["portal_id"],
        record.connection.hubspot_portal_id.as_str()
    );
    assert_eq!(list[0]["realm_id"], record.connection.qbo_realm_id.as_str());
    assert_eq!(list[0]["environment"], "local");
    assert_eq!(list[0]["status"], "active");

    let one: Value = admin
        .get("/api/connections/local")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], "local");
    assert_eq!(
        one["objects"]["contact"],
        json!({"state": "enabled", "direction": "two_way"})
    );
    assert_eq!(one["objects"]["invoice"]["direction"], "to_hubspot");

    assert_eq!(admin.get("/api/connections/nope").await.status(), 404);
    assert_eq!(admin.get("/api/connections/a%20b").await.status(), 400);
}
