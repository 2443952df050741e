//! The workflow actions' customers and items through the two-way sync: the link store first, then
//! one two-way pass over the unlinked contacts or companies and products (match by natural key,
//! else create with the marker and link), so an action never duplicates what the sync would find.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::context::SyncContext;
use super::disposition::Disposition;
use super::two_way::process_group;
use crate::engine::invoicing::action::{ActionError, BillingParties, Counterpart};
use crate::model::{ObjectKind, Side};
use crate::ports::{ConnectionRecord, Job, JobReason, SyncOutcome};

/// How long an action waits for a contact or product whose sync failed and will be retried.
const RETRY_AFTER_SYNC_FAILURE: Duration = Duration::from_secs(60);

/// [`BillingParties`] of one connection over the worker's context.
pub(super) struct SyncedParties<'a> {
    pub ctx: &'a SyncContext,
    pub connection: &'a ConnectionRecord,
}

impl SyncedParties<'_> {
    /// The QBO counterpart of each HubSpot record in `ids`, after syncing the unlinked ones.
    async fn counterparts(
        &self,
        kind: ObjectKind,
        ids: &[String],
    ) -> Result<BTreeMap<String, Counterpart>, ActionError> {
        let mut found = self.linked(kind, ids).await?;
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.contains_key(*id))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(found.into_iter().map(|(k, v)| (k, Ok(v))).collect());
        }
        if !self.may_create(kind) {
            return Ok(ids
                .iter()
                .map(|id| {
                    let answer = found.remove(id).ok_or_else(|| {
                        format!(
                            "it is not linked yet and the action may not create {kind}s (invoices.create_missing_{}); sync it first",
                            if is_customer_kind(kind) { "customer" } else { "items" }
                        )
                    });
                    (id.clone(), answer)
                })
                .collect());
        }
        let now = self.ctx.clock.now();
        let jobs: Vec<Job> = missing
            .iter()
            .map(|id| {
                Job::new(
                    self.connection.id().clone(),
                    kind,
                    Side::Hubspot,
                    id,
                    JobReason::Action,
                    now,
                )
            })
            .collect();
        let refs: Vec<&Job> = jobs.iter().collect();
        let mut dropped = None;
        for answer in process_group(self.ctx, self.connection.id(), kind, &refs).await {
            match answer {
                Disposition::Done => {}
                Disposition::Dropped { reason } => dropped = Some(reason),
                Disposition::RetryAfter { delay, reason } => {
                    return Err(ActionError::Later {
                        delay,
                        reason: format!("linking the deal's {kind} first: {reason}"),
                    });
                }
                Disposition::NotStarted { reason } => {
                    return Err(ActionError::Later {
                        delay: Duration::ZERO,
                        reason,
                    });
                }
            }
        }
        found.extend(self.linked(kind, &missing).await?);
        let mut answers = BTreeMap::new();
        for id in ids {
            let answer = match found.remove(id) {
                Some(qbo) => Ok(qbo),
                None => Err(self.why_unlinked(kind, id, dropped.as_deref()).await?),
            };
            answers.insert(id.clone(), answer);
        }
        Ok(answers)
    }

    /// HubSpot id -> QBO id of the linked records among `ids`.
    async fn linked(
        &self,
        kind: ObjectKind,
        ids: &[String],
    ) -> Result<BTreeMap<String, String>, ActionError> {
        let links = self
            .ctx
            .store
            .get_links(self.connection.id(), kind, Side::Hubspot, ids)
            .await?;
        Ok(links
            .into_iter()
            .map(|l| (l.hubspot_id.clone(), l.qbo_id.clone()))
            .collect())
    }

    fn may_create(&self, kind: ObjectKind) -> bool {
        let invoices = &self.connection.connection.settings.invoices;
        if is_customer_kind(kind) {
            invoices.create_missing_customer
        } else {
            invoices.create_missing_items
        }
    }

    /// The two-way sync's own reason, as its status recorded it.
    async fn why_unlinked(
        &self,
        kind: ObjectKind,
        id: &str,
        dropped: Option<&str>,
    ) -> Result<String, ActionError> {
        if let Some(reason) = dropped {
            return Ok(format!("the {kind} sync did not run ({reason})"));
        }
        let status = self
            .ctx
            .store
            .get_status(self.connection.id(), kind, Side::Hubspot, id)
            .await?;
        if let Some(status) = status
            .as_ref()
            .filter(|s| matches!(s.outcome, SyncOutcome::Failed(_)) && !s.needs_attention)
        {
            // The two-way sync retries it by itself; the action waits for that, not the user.
            return Err(ActionError::Later {
                delay: RETRY_AFTER_SYNC_FAILURE,
                reason: format!(
                    "the deal's {kind} {} failed to sync and the two-way sync retries it",
                    status.id
                ),
            });
        }
        Ok(match status.map(|s| s.outcome) {
            Some(SyncOutcome::Failed(detail)) => match detail.fix() {
                Some(fix) => format!("{} ({fix})", detail.message),
                None => detail.message,
            },
            Some(SyncOutcome::Excluded { filter }) => {
                format!("the {kind} sync excludes it ({filter})")
            }
            _ => format!("the {kind} sync did not link it"),
        })
    }
}

/// Contacts and companies are QBO customers (one of them per customer model, docs/admin.md §6).
fn is_customer_kind(kind: ObjectKind) -> bool {
    matches!(kind, ObjectKind::Contact | ObjectKind::Company)
}

#[async_trait]
impl BillingParties for SyncedParties<'_> {
    async fn customer(&self, kind: ObjectKind, id: &str) -> Result<Counterpart, ActionError> {
        let id = id.to_owned();
        let mut answers = self.counterparts(kind, std::slice::from_ref(&id)).await?;
        Ok(answers
            .remove(&id)
            .unwrap_or_else(|| Err(format!("the {kind} sync did not link it"))))
    }

    async fn items(
        &self,
        product_ids: &[String],
    ) -> Result<BTreeMap<String, Counterpart>, ActionError> {
        self.counterparts(ObjectKind::Product, product_ids).await
    }
}
