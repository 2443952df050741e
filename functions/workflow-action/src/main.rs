//! The workflow-action Lambda's entry point: wires the stack once per cold start and serves API
//! Gateway (HTTP API, payload 2.0) requests with `handler::handle`.

use hqsync_aws::AwsStack;
use hqsync_workflow_action::{WorkflowActionState, handle};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = WorkflowActionState {
        stack: AwsStack::from_env().await?,
    };
    let state = &state;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(handle(state, request).await)
    }))
    .await
}
