//! The workflow-action Lambda's logic, callable without Lambda: verify HubSpot's signature
//! (v3 once; v2 where allowed) over the public URL, parse the execution, hand the job on, answer `BLOCK`.

use hqsync::engine::invoicing::action::{QueuedActions, accept_action_request};
use hqsync::hubspot::webhook::WebhookVerifier;
use hqsync::ports::TokenVault;
use hqsync_aws::AwsStack;
use hqsync_aws::webhook_http::{Delivery, error_response, json_response, not_configured};
use lambda_http::{Body, Request, Response};

const VENDOR: &str = "hubspot";

/// Built once per cold start.
pub struct WorkflowActionState {
    pub stack: AwsStack,
}

/// Handles one execution request: 200 `BLOCK` (an action job is on the live queue for the
/// portal's connection), 401 bad signature, 400 malformed, 413 too large, 500 when the job
/// could not be stored (HubSpot calls again; the callbackId keeps the retry idempotent).
pub async fn handle(state: &WorkflowActionState, request: Request) -> Response<Body> {
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
    let sink = QueuedActions::new(
        stack.store.clone(),
        stack.queue.clone(),
        stack.clock.clone(),
    );
    let response =
        match accept_action_request(&verifier, &delivery.inbound(), stack.clock.now(), &sink).await
        {
            Ok(block) => json_response(200, block),
            Err(error) => {
                tracing::warn!(vendor = VENDOR, %error, "workflow action request refused");
                error_response(error.status(), &error.to_string())
            }
        };
    stack.flush_metrics();
    response
}
