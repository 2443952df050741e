//! The admin Lambda's logic, callable without Lambda: `hqsync::admin::router` over the stack's
//! adapters, each API Gateway request handed to it with the caller's `sourceIp` as `ClientAddress`.

pub mod secret;

use std::sync::Arc;

use axum::Router;
use hqsync::admin::sign_in::ClientAddress;
use hqsync::admin::{AdminAuth, AdminContext, router};
use hqsync_aws::config::{ADMIN_SECRET_ARN, PUBLIC_BASE_URL};
use hqsync_aws::{AwsStack, ConfigError, StackConfig};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tower::ServiceExt;

pub use secret::{AdminSecret, AdminSecretError};

/// Largest request body read into memory (settings documents are a few KiB).
const MAX_BODY: usize = 1024 * 1024;

/// A cold start that cannot serve: the environment or the admin secret is wrong.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] AdminSecretError),
}

/// Built once per cold start: the stack and the router over it.
pub struct AdminFunction {
    pub stack: AwsStack,
    app: Router,
}

impl AdminFunction {
    /// From the Lambda environment: the stack's resources and the admin secret
    /// (`ADMIN_SECRET_ARN`), read once.
    pub async fn from_env() -> Result<AdminFunction, StartError> {
        let config = StackConfig::from_env()?;
        let sdk = hqsync::adapters::dynamodb::aws_sdk_config().await;
        let arn = config
            .admin_secret
            .clone()
            .ok_or(ConfigError::Missing(ADMIN_SECRET_ARN))?;
        let secret = AdminSecret::read(&aws_sdk_secretsmanager::Client::new(&sdk), &arn).await?;
        AdminFunction::new(AwsStack::new(&sdk, config), secret)
    }

    /// Over `stack`, signed in with `secret` (tests build it against moto).
    pub fn new(stack: AwsStack, secret: AdminSecret) -> Result<AdminFunction, StartError> {
        let auth = AdminAuth::new(secret.password, secret.signing_key);
        AdminFunction::with_auth(stack, auth)
    }

    /// Over `stack` with an `AdminAuth` of the caller's (plain-http tests turn off `Secure`).
    pub fn with_auth(stack: AwsStack, auth: AdminAuth) -> Result<AdminFunction, StartError> {
        let public_base_url = stack
            .config
            .public_base_url
            .clone()
            .ok_or(ConfigError::Missing(PUBLIC_BASE_URL))?;
        let ctx = AdminContext {
            sync: stack.sync_context(),
            vault: stack.vault.clone(),
            admin_store: stack.store.clone(),
            dead_letters: stack.queue.clone(),
            auth: Arc::new(auth),
            public_base_url,
            vendor_urls: stack.config.vendors.clone(),
        };
        Ok(AdminFunction {
            app: router(ctx),
            stack,
        })
    }
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`).
pub fn client_address(request: &Request) -> Option<ClientAddress> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone().map(ClientAddress),
        RequestContext::ApiGatewayV1(context) => {
            context.identity.source_ip.clone().map(ClientAddress)
        }
        // Other event sources (when some crate turns on their lambda_http features).
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Serves one request through the admin router. Never fails: every problem is an HTTP answer.
pub async fn handle(function: &AdminFunction, request: Request) -> Response<Body> {
    let address = client_address(&request);
    let (mut parts, body) = request.into_parts();
    if let Some(address) = address {
        parts.extensions.insert(address);
    }
    let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
    let response = match function.app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "admin response body could not be read");
            let mut failed = Response::new(Body::from("{\"error\":\"internal error\"}"));
            *failed.status_mut() = lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR;
            return failed;
        }
    };
    function.stack.flush_metrics();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(bytes) => Body::Binary(bytes.into_bytes()),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
    };

    #[test]
    fn the_client_is_api_gateways_source_ip_not_a_forwarded_header() {
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.source_ip = Some("198.51.100.7".into());
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http = http;
        let request = lambda_http::http::Request::builder()
            .uri("https://x.test/api/session")
            .header("x-forwarded-for", "203.0.113.1")
            .body(Body::Empty)
            .unwrap()
            .with_request_context(RequestContext::ApiGatewayV2(context));
        assert_eq!(
            client_address(&request),
            Some(ClientAddress("198.51.100.7".into()))
        );
        let bare = lambda_http::http::Request::builder()
            .uri("https://x.test/api/session")
            .header("x-forwarded-for", "203.0.113.1")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(client_address(&bare), None);
    }
}
