//! Under the `company` customer model a HubSpot contact is no customer, but its e-mail is its
//! companies' bill-to e-mail: a contact's change queues the companies it belongs to.

use crate::model::{ObjectKind, Side};
use crate::ports::{ConnectionRecord, Job, JobReason, Origin, lane_for};

use super::context::SyncContext;
use super::disposition::Disposition;
use super::retry_schedule::{STORE_RETRY, TRANSIENT_RETRY};
use crate::engine::sync::waits::gateway_wait;

/// Queues a company job for each company associated with the HubSpot contacts of `jobs` (one
/// association read for all of them), so the company sync re-derives its primary contact's
/// e-mail (docs/admin.md §6). The contacts' jobs are then done: contacts do not sync under
/// `company`. QBO-side contact jobs (a QBO Customer change is queued for both customer kinds)
/// are done at once.
pub(crate) async fn queue_contacts_companies(
    ctx: &SyncContext,
    connection: &ConnectionRecord,
    jobs: &[&Job],
) -> Vec<Disposition> {
    let all = |d: Disposition| vec![d; jobs.len()];
    let contacts: Vec<String> = jobs
        .iter()
        .filter(|j| j.side == Side::Hubspot)
        .map(|j| j.id.clone())
        .collect();
    if contacts.is_empty() {
        return all(Disposition::Done);
    }
    let gateways = match ctx.gateways.gateways(connection).await {
        Ok(gateways) => gateways,
        Err(error) => {
            return all(Disposition::RetryAfter {
                delay: gateway_wait(&error).unwrap_or(TRANSIENT_RETRY),
                reason: error.to_string(),
            });
        }
    };
    let companies = match gateways
        .hubspot
        .associated_ids(ObjectKind::Contact, &contacts, ObjectKind::Company)
        .await
    {
        Ok(companies) => companies,
        Err(error) => {
            return all(Disposition::RetryAfter {
                delay: gateway_wait(&error).unwrap_or(TRANSIENT_RETRY),
                reason: error.to_string(),
            });
        }
    };
    let mut ids: Vec<String> = companies.into_values().flatten().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return all(Disposition::Done);
    }
    let now = ctx.clock.now();
    // A signal like the contact's: a webhook's follow-up is a webhook's (the live lane).
    let reason = if jobs.iter().any(|j| j.reason == JobReason::Webhook) {
        JobReason::Webhook
    } else {
        JobReason::Poll
    };
    let followups: Vec<Job> = ids
        .into_iter()
        .map(|id| {
            Job::new(
                connection.id().clone(),
                ObjectKind::Company,
                Side::Hubspot,
                id,
                reason,
                now,
            )
        })
        .collect();
    let origin = Origin::Delivery {
        events: followups.len(),
    };
    match ctx.queue.enqueue(lane_for(origin), followups, None).await {
        Ok(_) => all(Disposition::Done),
        Err(error) => all(Disposition::RetryAfter {
            delay: STORE_RETRY,
            reason: format!("could not queue the contacts' companies: {error}"),
        }),
    }
}
