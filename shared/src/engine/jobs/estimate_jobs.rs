//! The worker's estimate jobs (invoice jobs named `Estimate:41`): the estimate mirrored onto
//! its deal, the deal it was last mirrored onto remembered through the job's status row.

use crate::engine::invoicing::estimates::{EstimateMirror, EstimateSyncReport};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::model::kinds::QboOnlyForm;
use crate::ports::{Job, StoreError};
use crate::quickbooks::Entity;
use crate::quickbooks::entities::Estimate;

use super::context::SyncContext;

/// The QBO estimate id an invoice job names (`Estimate:41`), if it names one.
pub(super) fn estimate_id(job: &Job) -> Option<&str> {
    match QboOnlyForm::of_job_id(&job.id) {
        Some((form, id)) if form.entity == Estimate::NAME && job.action.is_none() => Some(id),
        _ => None,
    }
}

/// Mirrors estimate `id` of `job`. The deal it was last mirrored onto is the job's status row's
/// counterpart (a finished estimate job records its deal there, docs/hubspot.md §2.13): a
/// deleted estimate cannot be read, so that is how its deal learns of the deletion. The store
/// failing is answered as such, for the job to come back (without the remembered deal a
/// deletion would be recorded as never mirrored, and the deal forgotten).
pub(super) async fn mirror_estimate(
    ctx: &SyncContext,
    mirror: &InvoiceMirror,
    job: &Job,
    id: &str,
) -> Result<Result<EstimateSyncReport, InvoiceSyncError>, StoreError> {
    let remembered = ctx
        .store
        .get_status(&job.connection, job.kind, job.side, &job.id)
        .await?
        .and_then(|status| status.counterpart_id);
    Ok(EstimateMirror::new(mirror)
        .sync_estimate_of(id, remembered.as_deref())
        .await)
}
