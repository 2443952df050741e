//! The in-process action sink for `hqsync dev`: each accepted execution runs on its own task
//! against the stack's clients, retried a few times when a vendor failure may pass.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;

use super::execute::InvoiceAction;
use super::intake::ActionJobSink;
use super::request::CreateInvoiceJob;
use crate::engine::invoices::InvoiceMirror;

/// Attempts per job before it is left for the user to re-enroll (logged).
const ATTEMPTS: u32 = 3;

/// Runs jobs in the background; the BLOCK answer does not wait for them.
#[derive(Debug, Clone)]
pub struct SpawnedActionRunner {
    mirror: Arc<InvoiceMirror>,
}

impl SpawnedActionRunner {
    pub fn new(mirror: Arc<InvoiceMirror>) -> Self {
        SpawnedActionRunner { mirror }
    }
}

#[async_trait]
impl ActionJobSink for SpawnedActionRunner {
    async fn submit(&self, job: CreateInvoiceJob) -> Result<(), String> {
        let mirror = self.mirror.clone();
        tokio::spawn(async move {
            for attempt in 1..=ATTEMPTS {
                let today = Utc::now().date_naive();
                match InvoiceAction::new(&mirror).run(&job, today).await {
                    Ok(result) => {
                        tracing::info!(callback = %job.callback_id, ?result, "workflow action completed");
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(callback = %job.callback_id, attempt, %error, "workflow action failed; retrying");
                        tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                    }
                }
            }
        });
        Ok(())
    }
}
