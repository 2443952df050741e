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

/// Routes of the route table not (yet) in `ADMIN_ROUTES`: unknown `/api/` paths must be
/// refused the same way.
const MORE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/connections/e2e/settings"),
    ("PUT", "/api/connections/e2e/settings"),
    ("POST", "/api/connections/e2e/objects/contact/disable"),
    ("POST", "/api/connections/e2e/objects/product/delete"),
    ("GET", "/api/audit?limit=5"),
    ("GET", "/api/no-such-route"),
];

/// Every admin route (`ADMIN_ROUTES`, placeholders filled in) and [`MORE_ROUTES`].
fn every_route() -> Vec<(String, String)> {
    let filled = hqsync::admin::ADMIN_ROUTES.iter().map(|r| {
        let path = r
            .path
            .replace("{id}", "e2e")
            .replace("{kind}", "contact")
            .replace("{side}", "hubspot")
            .replace("{record_id}", "1");
        (r.method.to_owned(), path)
    });
    let more = MORE_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()));
    filled.chain(more).collect()
}

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
    let routes = every_route();
    assert!(routes.len() >= 16, "{routes:?}");
    for (method, path) in &routes {
        let method = method.as_str();
        let path = path.as_str();
        let body = (method != "GET").then(|| json!({}));
        for headers in [vec![], vec![("cookie", forged.as_str())]] {
            let response = handle(
                &function,
                request(method, path, "192.0.2.1", &headers, body.clone()),
            )
            .await;
            assert_eq!(response.status(), 401, "{method} {path} with {headers:?}");
        }
        if method != "GET" {
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
    // The pages: starting a connection and a connection's page need the session too, and
    // send the browser to the console's sign-in.
    for path in ["/connect?environment=sandbox", "/connections/e2e"] {
        for headers in [vec![], vec![("cookie", forged.as_str())]] {
            let response =
                handle(&function, request("GET", path, "192.0.2.1", &headers, None)).await;
            assert_eq!(response.status(), 401, "GET {path} with {headers:?}");
            let page = String::from_utf8_lossy(response.body().as_ref()).into_owned();
            assert!(page.contains("Sign in"), "{page}");
            assert!(
                page.contains("href=\"/\""),
                "links to the console's sign-in: {page}"
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

/// A form post (the console's sign-in form) from `source_ip`.
fn form(path: &str, source_ip: &str, body: &str) -> lambda_http::Request {
    let mut context = ApiGatewayV2httpRequestContext::default();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.source_ip = Some(source_ip.to_owned());
    context.http = http;
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://admin.example.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Text(body.to_owned()))
        .expect("request")
        .with_request_context(RequestContext::ApiGatewayV2(context))
}

fn text_of(response: &lambda_http::Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

#[tokio::test]
async fn aws_admin_the_console_url_signs_a_browser_in_and_connect_redirects_to_hubspot() {
    let Some(endpoint) = moto_endpoint(
        "aws_admin_the_console_url_signs_a_browser_in_and_connect_redirects_to_hubspot",
    ) else {
        return;
    };
    let (local, function) = admin(&endpoint).await;
    // Without a session the console URL is the sign-in form, posting back to itself.
    let page = handle(&function, request("GET", "/", "192.0.2.8", &[], None)).await;
    assert_eq!(page.status(), 200);
    let html = text_of(&page);
    assert!(
        html.contains("<form method=\"post\" action=\"/\" id=\"sign-in-form\">"),
        "{html}"
    );
    assert!(html.contains("type=\"password\""), "{html}");
    assert!(
        !html.contains("/connect?"),
        "no connect links before sign-in: {html}"
    );
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );

    // A wrong password: the form again, saying so, no cookie, counted like the API's.
    let wrong = handle(&function, form("/", "192.0.2.8", "password=guess%21")).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(text_of(&wrong).contains("not the admin password"));
    assert!(!text_of(&wrong).contains("guess"));

    // The right one: back to / with the session cookie.
    // (The password is letters and digits, as the generated one: nothing to encode.)
    let body = format!("password={PASSWORD}");
    let signed_in = handle(&function, form("/", "192.0.2.8", &body)).await;
    assert_eq!(signed_in.status(), 303, "{}", text_of(&signed_in));
    assert_eq!(signed_in.headers()["location"], "/");
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["hqsync_session=", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let cookie = cookie.split(';').next().unwrap().to_owned();

    // Signed in, the console links to connecting and to the stored connection.
    let console = handle(
        &function,
        request("GET", "/", "192.0.2.8", &[("cookie", &cookie)], None),
    )
    .await;
    assert_eq!(console.status(), 200);
    let html = text_of(&console);
    assert!(
        html.contains("href=\"/connect?environment=sandbox\""),
        "{html}"
    );
    assert!(
        html.contains("href=\"/connect?environment=production\""),
        "{html}"
    );
    assert!(html.contains("href=\"/connections/e2e\""), "{html}");
    assert!(
        !html.contains("type=\"password\""),
        "no sign-in form once signed in: {html}"
    );

    // /connect starts the flow: a 302 to HubSpot's authorize page, back to the stack's own
    // callback (PUBLIC_BASE_URL + /oauth/hubspot/callback: what the app registers).
    let start = handle(
        &function,
        request(
            "GET",
            "/connect?environment=local",
            "192.0.2.8",
            &[("cookie", &cookie)],
            None,
        ),
    )
    .await;
    assert_eq!(start.status(), 302, "{}", text_of(&start));
    let location = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    assert!(
        location
            .as_str()
            .starts_with(&format!("{}/oauth/authorize", local.hubspot.base_url())),
        "{location}"
    );
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("redirect_uri").map(String::as_str),
        Some(format!("{}/oauth/hubspot/callback", local.front_url).as_str())
    );
    assert!(
        query.get("state").is_some_and(|s| s.len() >= 32),
        "{query:?}"
    );
    // The authorization in progress is in DynamoDB, under the state's hash only.
    let items = local
        .stack
        .store
        .client()
        .scan()
        .table_name(local.stack.store.table_name())
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let pending: Vec<_> = items
        .iter()
        .filter(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with("OAUTH#")))
        .collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(!format!("{pending:?}").contains(&query["state"]));
    local.shutdown().await;
}

#[tokio::test]
async fn aws_admin_lists_a_broken_connection_as_an_error_beside_the_good_one() {
    let Some(endpoint) =
        moto_endpoint("aws_admin_lists_a_broken_connection_as_an_error_beside_the_good_one")
    else {
        return;
    };
    let (local, function) = admin(&endpoint).await;
    let store = &local.stack.store;
    for (pk, sk) in [("CONN#broken", "META"), ("CONNECTIONS", "CONN#broken")] {
        let mut put = store
            .client()
            .put_item()
            .table_name(store.table_name())
            .item("pk", AttributeValue::S(pk.into()))
            .item("sk", AttributeValue::S(sk.into()));
        if sk == "META" {
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
    let (cookie, _csrf) = sign_in(&function, "192.0.2.9").await;
    let response = handle(
        &function,
        request(
            "GET",
            "/api/connections",
            "192.0.2.9",
            &[("cookie", &cookie)],
            None,
        ),
    )
    .await;
    assert_eq!(response.status(), 200, "{}", text_of(&response));
    let listed = json_of(&response);
    let listed = listed.as_array().expect("an array");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let good = listed
        .iter()
        .find(|c| c["id"] == "e2e")
        .expect("the good one");
    assert_eq!(good["status"], "active");
    assert!(good.get("error").is_none());
    let broken = listed
        .iter()
        .find(|c| c["id"] == "broken")
        .expect("the broken one");
    assert_eq!(broken["status"], "error");
    assert_eq!(broken["portal_id"], "999");
    assert!(
        broken["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{broken}"
    );
    // The good one still reads on its own.
    let one = handle(
        &function,
        request(
            "GET",
            "/api/connections/e2e",
            "192.0.2.9",
            &[("cookie", &cookie)],
            None,
        ),
    )
    .await;
    assert_eq!(one.status(), 200);
    assert_eq!(json_of(&one)["id"], "e2e");
    local.shutdown().await;
}
