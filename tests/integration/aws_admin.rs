//! The admin Lambda's handler against moto (real DynamoDB, SQS and Secrets Manager calls):
//! sign-in with the generated secret's password, API Gateway's `sourceIp` as the client that
//! failed sign-ins are counted for, every admin route refused without a session (and writes
//! without the CSRF token), and one broken connection record beside a working one.

use aws_sdk_dynamodb::types::AttributeValue;
use hqsync::ports::Connections;
use hqsync_admin_function::{AdminFunction, AdminSecret, handle};
use hqsync_poller::PollerState;
use hqsync_tests::aws_stack::{AwsTestStack, start_aws_test_stack, unique};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use serde_json::{Value, json};

use super::aws_moto::moto_endpoint;

const PASSWORD: &str = "Gen3ratedAdminPassw0rdOf32Chars00";

/// The stack, and the admin function built as its cold start builds it: the admin secret
/// created the way template.yaml's GenerateSecretString leaves it, then read back.
async fn admin(endpoint: &str) -> (AwsTestStack, AdminFunction) {
    let local = start_aws_test_stack(endpoint).await;
    let sdk = hqsync::adapters::dynamodb::local_sdk_config(endpoint).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let arn = secrets
        .create_secret()
        .name(unique("hqsync-admin"))
        .secret_string(json!({"user": "admin", "password": PASSWORD}).to_string())
        .send()
        .await
        .expect("create the admin secret")
        .arn
        .expect("arn");
    let secret = AdminSecret::read(&secrets, &arn)
        .await
        .expect("read it back");
    let function = AdminFunction::new(local.stack.clone(), secret).expect("admin function");
    (local, function)
}

/// An HTTP API (payload 2.0) request from `source_ip`.
fn request(
    method: &str,
    path: &str,
    source_ip: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> lambda_http::Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://admin.example.test{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Body::Text(json.to_string())
        }
        None => Body::Empty,
    };
    let mut context = ApiGatewayV2httpRequestContext::default();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.source_ip = Some(source_ip.to_owned());
    context.http = http;
    builder
        .body(body)
        .expect("request")
        .with_request_context(RequestContext::ApiGatewayV2(context))
}

fn json_of(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

/// Signs in from `ip`: the cookie pair to send back and the CSRF token.
async fn sign_in(function: &AdminFunction, ip: &str) -> (String, String) {
    let response = handle(
        function,
        request(
            "POST",
            "/api/session",
            ip,
            &[],
            Some(json!({"password": PASSWORD})),
        ),
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hqsync_session="))
        .expect("session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let csrf = json_of(&response)["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_owned();
    (cookie.split(';').next().unwrap().to_owned(), csrf)
}

#[tokio::test]
async fn aws_admin_signs_in_with_the_secret_password_and_slows_down_one_source_ip() {
    let Some(endpoint) =
        moto_endpoint("aws_admin_signs_in_with_the_secret_password_and_slows_down_one_source_ip")
    else {
        return;
    };
    let (local, function) = admin(&endpoint).await;
    let wrong = || {
        request(
            "POST",
            "/api/session",
            "198.51.100.7",
            &[],
            Some(json!({"password": "guess"})),
        )
    };
    for _ in 0..5 {
        let response = handle(&function, wrong()).await;
        assert_eq!(response.status(), 401);
        assert!(!String::from_utf8_lossy(response.body().as_ref()).contains("guess"));
    }
    // The sixth try from that address waits, even with the right password...
    let blocked = handle(
        &function,
        request(
            "POST",
            "/api/session",
            "198.51.100.7",
            &[],
            Some(json!({"password": PASSWORD})),
        ),
    )
    .await;
    assert_eq!(blocked.status(), 429);
    // ...and another address (API Gateway's sourceIp, not a header) still signs in.
    let spoofed = handle(
        &function,
        request(
            "POST",
            "/api/session",
            "203.0.113.9",
            &[("x-forwarded-for", "198.51.100.7")],
            Some(json!({"password": PASSWORD})),
        ),
    )
    .await;
    assert_eq!(spoofed.status(), 200);
    // The failures were counted in DynamoDB, under the address API Gateway saw.
    let item = local
        .stack
        .store
        .client()
        .get_item()
        .table_name(local.stack.store.table_name())
        .key("pk", AttributeValue::S("LOGIN#client:198.51.100.7".into()))
        .key("sk", AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("failed sign-ins of that address");
    assert_eq!(item["failures"].as_n().unwrap(), "5");
    let audit = hqsync::ports::AuditLog::recent_audit(local.stack.store.as_ref(), 5)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "session.sign_in" && e.detail.contains("203.0.113.9"))
    );
    local.shutdown().await;
}

/// The admin routes of the route table (ids and kinds filled in), unsafe ones marked.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/connections"),
    ("GET", "/api/connections/e2e"),
    ("GET", "/api/connections/e2e/settings"),
    ("PUT", "/api/connections/e2e/settings"),
    ("POST", "/api/connections/e2e/objects/contact/disable"),
    ("POST", "/api/connections/e2e/objects/product/delete"),
    ("GET", "/api/audit?limit=5"),
    ("POST", "/api/connections/e2e/disconnect"),
    ("DELETE", "/api/connections/e2e"),
    ("GET", "/api/connections/e2e/fields/contact"),
    ("POST", "/api/connections/e2e/preview"),
    ("POST", "/api/connections/e2e/initial-sync"),
    ("GET", "/api/connections/e2e/initial-sync"),
    ("GET", "/api/connections/e2e/status"),
    ("GET", "/api/connections/e2e/records?kind=contact"),
    ("GET", "/api/connections/e2e/records/contact/hubspot/1"),
    (
        "POST",
        "/api/connections/e2e/records/contact/hubspot/1/resync",
    ),
    ("GET", "/api/dead-letters?lane=live"),
    ("POST", "/api/dead-letters/redrive"),
    ("GET", "/api/no-such-route"),
];

#[tokio::test]
async fn aws_admin_refuses_every_route_without_a_session_and_writes_without_the_csrf_token() {
    let Some(endpoint) = moto_endpoint(
        "aws_admin_refuses_every_route_without_a_session_and_writes_without_the_csrf_token",
    ) else {
        return;
    };
    let (local, function) = admin(&endpoint).await;
    let (cookie, _csrf) = sign_in(&function, "192.0.2.1").await;
    let forged = format!("{}x", cookie);
    for (method, path) in ROUTES {
        let body = (*method != "GET").then(|| json!({}));
        for headers in [vec![], vec![("cookie", forged.as_str())]] {
            let response = handle(
                &function,
                request(method, path, "192.0.2.1", &headers, body.clone()),
            )
            .await;
            assert_eq!(response.status(), 401, "{method} {path} with {headers:?}");
        }
        if *method != "GET" {
            let response = handle(
                &function,
                request(
                    method,
                    path,
                    "192.0.2.1",
                    &[("cookie", cookie.as_str())],
                    body.clone(),
                ),
            )
            .await;
            assert_eq!(
                response.status(),
                403,
                "{method} {path} without X-CSRF-Token"
            );
        }
    }
    // Nothing was changed by any of the refused calls.
    let record = local
        .stack
        .store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .expect("the connection is still there");
    assert_eq!(record.status, hqsync::ports::ConnectionStatus::Active);
    local.shutdown().await;
}

#[tokio::test]
async fn aws_admin_a_broken_connection_record_is_polled_around_and_reported() {
    let Some(endpoint) =
        moto_endpoint("aws_admin_a_broken_connection_record_is_polled_around_and_reported")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let store = &local.stack.store;
    // A hand-edited record beside the working one: its settings JSON is cut off.
    for (pk, sk, extra) in [
        ("CONN#broken", "META", true),
        ("CONNECTIONS", "CONN#broken", false),
    ] {
        let mut put = store
            .client()
            .put_item()
            .table_name(store.table_name())
            .item("pk", AttributeValue::S(pk.into()))
            .item("sk", AttributeValue::S(sk.into()));
        if extra {
            put = put
                .item(
                    "record",
                    AttributeValue::S("{\"connection\": {\"id\": \"broken\"".into()),
                )
                .item("portal_id", AttributeValue::S("999".into()))
                .item("realm_id", AttributeValue::S("888".into()));
        }
        put.send().await.unwrap();
    }
    let listing = store.list_connections().await.unwrap();
    assert_eq!(listing.records.len(), 1);
    assert_eq!(listing.broken.len(), 1);
    assert_eq!(listing.broken[0].portal_id.as_deref(), Some("999"));

    let poller = PollerState::new(local.stack.clone());
    let summary = hqsync_poller::handle(&poller, json!({"mode": "poll"}))
        .await
        .expect("one broken record does not fail the run");
    assert_eq!(summary.connections, 1, "the working connection was polled");
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert_eq!(summary.broken.len(), 1);
    assert!(
        summary.broken[0].starts_with("broken: "),
        "{:?}",
        summary.broken
    );
    local.shutdown().await;
}
