//! The HubSpot webhook Lambda's logic, callable without Lambda: verify the v3 signature over
//! the public URL with the app's client secret, turn the events into jobs routed by portalId,
//! enqueue them on the live queue, answer within HubSpot's 5 s.

use hqsync::hubspot::webhook::WebhookVerifier;
use hqsync::intake::hubspot::hubspot_delivery;
use hqsync::ports::TokenVault;
use hqsync_aws::AwsStack;
use hqsync_aws::webhook_http::{Delivery, answer, error_response, not_configured};
use lambda_http::{Body, Request, Response};

const VENDOR: &str = "hubspot";

/// Built once per cold start.
pub struct HubspotWebhookState {
    pub stack: AwsStack,
}

/// Handles one delivery: 200 (jobs enqueued, unknown portals ignored), 401 bad signature,
/// 400 malformed, 413 over 1 MB, 500 when it could not be stored (HubSpot retries).
pub async fn handle(state: &HubspotWebhookState, request: Request) -> Response<Body> {
    let stack = &state.stack;
    let app = match stack.vault.app_credentials().await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(vendor = VENDOR, %error, "cannot read the app secret");
            return error_response(500, "app credentials unavailable; retry later");
        }
    };
    let Some(client_secret) = app.hubspot_client_secret.clone() else {
        return not_configured(VENDOR, "the app secret has no hubspot.client_secret");
    };
    let verifier =
        WebhookVerifier::new(client_secret).allowing_legacy(app.hubspot_legacy_signatures);
    let delivery = Delivery::new(stack.config.public_base_url.as_deref(), &request);
    // Our own writes' echoes are dropped when the app secret has `hubspot.app_id`; without it
    // they become jobs that plan to nothing (docs/architecture.md §4).
    let result = hubspot_delivery(
        &verifier,
        app.hubspot_app_id.as_deref(),
        stack.store.as_ref(),
        &delivery.inbound(),
        stack.clock.now(),
    )
    .await;
    let response = answer(stack, VENDOR, result).await;
    stack.flush_metrics();
    response
}
