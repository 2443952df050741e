//! The QuickBooks Online webhook Lambda's logic, callable without Lambda: verify
//! `intuit-signature` with the app's verifier token, turn the changes into jobs routed by
//! realmId, enqueue them on the live queue, answer within Intuit's 3 s.

use hqsync::intake::quickbooks::quickbooks_delivery;
use hqsync::ports::TokenVault;
use hqsync_aws::AwsStack;
use hqsync_aws::webhook_http::{Delivery, answer, error_response, not_configured};
use lambda_http::{Body, Request, Response};

const VENDOR: &str = "quickbooks";

/// Built once per cold start.
pub struct QuickbooksWebhookState {
    pub stack: AwsStack,
}

/// Handles one delivery: 200 (jobs enqueued, unknown companies ignored), 401 bad signature,
/// 400 malformed, 413 over 1 MB, 500 when it could not be stored (Intuit retries).
pub async fn handle(state: &QuickbooksWebhookState, request: Request) -> Response<Body> {
    let stack = &state.stack;
    let app = match stack.vault.app_credentials().await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(vendor = VENDOR, %error, "cannot read the app secret");
            return error_response(500, "app credentials unavailable; retry later");
        }
    };
    let Some(verifier_token) = app.quickbooks_webhook_verifier.clone() else {
        return not_configured(
            VENDOR,
            "the app secret has no quickbooks.webhook_verifier_token",
        );
    };
    let delivery = Delivery::new(stack.config.public_base_url.as_deref(), &request);
    let result = quickbooks_delivery(
        &verifier_token,
        stack.store.as_ref(),
        &delivery.inbound(),
        stack.clock.now(),
    )
    .await;
    let response = answer(stack, VENDOR, result).await;
    stack.flush_metrics();
    response
}
