//! The poller Lambda's entry point: wires the stack once per cold start and serves EventBridge
//! schedule invocations (`{"mode":"poll"}` / `{"mode":"sweep"}`) with `handler::handle`.

use hqsync_aws::AwsStack;
use hqsync_poller::{PollerState, handle_invocation};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = PollerState::new(AwsStack::from_env().await?);
    let state = &state;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle_invocation(state, event.payload, event.context.deadline)
            .await
            .map_err(Error::from)
    }))
    .await
}
