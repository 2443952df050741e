//! The worker Lambda's entry point: wires the stack once per cold start and serves SQS batches
//! with `handler::handle_invocation` (partial batch failures, the invocation's deadline).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use hqsync_aws::AwsStack;
use hqsync_worker::{WorkerState, handle_invocation};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = WorkerState::new(AwsStack::from_env().await?);
    let state = &state;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handle_invocation(state, event).await)
    }))
    .await
}
