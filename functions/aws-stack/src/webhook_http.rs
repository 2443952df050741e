//! The HTTP edge the two webhook functions share: an API Gateway request seen as the signed
//! delivery the vendor sent (public URL, headers, raw body), and the intake's outcome turned
//! into jobs on the live queue and a short JSON answer with the right status.

use hqsync::intake::{InboundRequest, IntakeError, IntakeOutcome};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::AwsStack;

/// An API Gateway request, borrowed, in the shape the intake verifies.
pub struct Delivery<'r> {
    method: String,
    url: String,
    headers: Vec<(&'r str, &'r str)>,
    body: &'r [u8],
}

impl<'r> Delivery<'r> {
    /// `public_base_url` is the URL the vendor was given (HubSpot signs the full URL it
    /// called); without it the request's own URL is used.
    pub fn new(public_base_url: Option<&str>, request: &'r Request) -> Self {
        let uri = request.uri();
        let url = match public_base_url {
            Some(base) => {
                let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{base}{}{query}", uri.path())
            }
            None => uri.to_string(),
        };
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        Delivery {
            method: request.method().as_str().to_owned(),
            url,
            headers,
            body: request.body().as_ref(),
        }
    }

    pub fn inbound(&self) -> InboundRequest<'_> {
        InboundRequest {
            method: &self.method,
            url: &self.url,
            headers: &self.headers,
            body: self.body,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A JSON answer.
pub fn json_response(status: u16, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// `{"error": message}` with `status`.
pub fn error_response(status: u16, message: &str) -> Response<Body> {
    json_response(status, json!({ "error": message }))
}

/// 500 for a deployment that cannot verify deliveries yet (the vendor retries later).
pub fn not_configured(vendor: &str, what: &str) -> Response<Body> {
    tracing::error!(
        vendor,
        "cannot verify webhooks: {what} (infra/DEPLOY.md §5)"
    );
    json_response(
        500,
        json!({"error": format!("{vendor} webhooks are not configured yet")}),
    )
}

/// The shared webhook answer (`hqsync::intake::answer`) as a Lambda HTTP response.
pub async fn answer(
    stack: &AwsStack,
    vendor: &str,
    result: Result<IntakeOutcome, IntakeError>,
) -> Response<Body> {
    let reply = hqsync::intake::answer(stack.queue.as_ref(), vendor, result).await;
    json_response(reply.status, reply.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_url_is_the_public_one_with_the_request_path_and_query() {
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://abc.execute-api.us-east-1.amazonaws.com/webhooks/hubspot?x=1")
            .header("X-HubSpot-Signature-v3", "sig")
            .header("content-type", "application/json")
            .body(Body::from("[]".to_owned()))
            .unwrap();
        let delivery = Delivery::new(Some("https://sync.example.com"), &request);
        let inbound = delivery.inbound();
        assert_eq!(inbound.url, "https://sync.example.com/webhooks/hubspot?x=1");
        assert_eq!(inbound.method, "POST");
        assert_eq!(inbound.header("x-hubspot-signature-v3"), Some("sig"));
        assert_eq!(inbound.body, b"[]");
        let own = Delivery::new(None, &request);
        assert_eq!(
            own.url(),
            "https://abc.execute-api.us-east-1.amazonaws.com/webhooks/hubspot?x=1"
        );
    }

    #[test]
    fn json_answers_carry_status_and_content_type() {
        let response = json_response(413, json!({"error": "too large"}));
        assert_eq!(response.status().as_u16(), 413);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/json"
        );
        assert_eq!(response.body().as_ref(), br#"{"error":"too large"}"#);
    }
}
