//! The one answer to a webhook delivery, for the Lambdas and the local server alike: an accepted
//! delivery's jobs go on the lane its size chooses; a refused one answers its status and reason.

use serde_json::{Value, json};

use super::{IntakeError, IntakeOutcome};
use crate::ports::{JobQueue, Origin, lane_for};

/// What to send back to the vendor, in no particular HTTP library's types.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookReply {
    pub status: u16,
    pub body: Value,
    /// Jobs the queue took (a runtime with a waiting worker wakes it when this is non-zero).
    pub queued: usize,
}

impl WebhookReply {
    fn error(status: u16, message: &str) -> Self {
        WebhookReply {
            status,
            body: json!({ "error": message }),
            queued: 0,
        }
    }
}

/// Enqueues the jobs of an accepted delivery and answers 200 with the count (and what was
/// ignored); the intake's status (401, 400, 413) with its reason; 500 when the queue failed, so
/// the vendor delivers again and nothing is lost.
pub async fn answer(
    queue: &dyn JobQueue,
    vendor: &str,
    result: Result<IntakeOutcome, IntakeError>,
) -> WebhookReply {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            let status = error.status();
            if status >= 500 {
                tracing::error!(vendor, %error, "webhook delivery failed");
            } else {
                tracing::warn!(vendor, status, %error, "webhook delivery refused");
            }
            return WebhookReply::error(status, &error.to_string());
        }
    };
    for tenant in &outcome.unknown_tenants {
        tracing::info!(vendor, tenant = %tenant, "event for an account with no connection; ignored");
    }
    for reason in &outcome.ignored {
        tracing::debug!(vendor, %reason, "event ignored");
    }
    let jobs = outcome.jobs.len();
    // A large delivery (an import, a mass edit) is bulk work: it must not delay a person's
    // edit arriving in the next delivery (docs/architecture.md §14).
    let lane = lane_for(Origin::Delivery {
        events: outcome.events,
    });
    let queued = if jobs == 0 {
        0
    } else {
        match queue.enqueue(lane, outcome.jobs, None).await {
            Ok(written) => written,
            Err(error) => {
                tracing::error!(vendor, %error, "could not enqueue webhook jobs");
                return WebhookReply::error(500, "could not enqueue the changes; retry later");
            }
        }
    };
    tracing::info!(
        vendor,
        jobs,
        queued,
        ?lane,
        unknown_tenants = outcome.unknown_tenants.len(),
        ignored = outcome.ignored.len(),
        "webhook delivery accepted"
    );
    WebhookReply {
        status: 200,
        body: json!({
            "jobs": queued,
            "ignored": outcome.ignored,
            "unknownTenants": outcome.unknown_tenants,
        }),
        queued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryJobQueue;
    use crate::model::{ConnectionId, ObjectKind, Side};
    use crate::ports::{Job, JobReason, Lane, SystemClock};
    use std::sync::Arc;

    fn job(id: &str) -> Job {
        Job::new(
            ConnectionId::new("c1").unwrap(),
            ObjectKind::Contact,
            Side::Hubspot,
            id,
            JobReason::Webhook,
            chrono::Utc::now(),
        )
    }

    #[tokio::test]
    async fn an_accepted_delivery_queues_its_jobs_on_the_live_lane_and_says_what_it_ignored() {
        let queue = MemoryJobQueue::new(Arc::new(SystemClock));
        let outcome = IntakeOutcome {
            jobs: vec![job("1"), job("2")],
            events: 2,
            unknown_tenants: vec!["999".into()],
            ignored: vec!["our own echo".into()],
        };
        let reply = answer(&queue, "hubspot", Ok(outcome)).await;
        assert_eq!((reply.status, reply.queued), (200, 2));
        assert_eq!(reply.body["jobs"], 2);
        assert_eq!(reply.body["unknownTenants"][0], "999");
        assert_eq!(reply.body["ignored"][0], "our own echo");
        assert_eq!(queue.pending(Lane::Live).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_delivery_of_many_events_goes_on_the_bulk_lane() {
        let queue = MemoryJobQueue::new(Arc::new(SystemClock));
        let outcome = IntakeOutcome {
            jobs: (0..100).map(|i| job(&i.to_string())).collect(),
            events: 5_000,
            ..IntakeOutcome::default()
        };
        let reply = answer(&queue, "hubspot", Ok(outcome)).await;
        assert_eq!((reply.status, reply.queued), (200, 100));
        assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 100);
        assert_eq!(
            queue.pending(Lane::Live).await.unwrap(),
            0,
            "live stays free"
        );
    }

    #[tokio::test]
    async fn a_refused_delivery_answers_the_intake_status_and_queues_nothing() {
        let queue = MemoryJobQueue::new(Arc::new(SystemClock));
        let reply = answer(&queue, "quickbooks", Err(IntakeError::TooLarge(2_000_000))).await;
        assert_eq!((reply.status, reply.queued), (413, 0));
        assert!(reply.body["error"].as_str().unwrap().contains("2000000"));
        assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0);
    }
}
