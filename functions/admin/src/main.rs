//! The admin Lambda's entry point: reads the stack and the admin secret once per cold start
//! and serves API Gateway (HTTP API, payload 2.0) requests with `handler::handle`.

use hqsync_admin_function::{AdminFunction, handle};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let function = AdminFunction::from_env().await?;
    let function = &function;
    run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(handle(function, request).await)
    }))
    .await
}
