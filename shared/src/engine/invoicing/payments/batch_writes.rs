//! The batch writes the payment and credit passes share (docs/hubspot.md §2.2, §9.5): a
//! batch input's outcome as one call's error, and the invoices' bookkeeping tokens in one update.

use crate::engine::invoicing::invoices::error::item_error;
use crate::engine::invoicing::invoices::properties::QBO_PAYMENT_NOTES;
use std::collections::BTreeMap;

use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::hubspot::batch::{BatchWriteOutcome, ItemOutcome, UpdateInput};
use crate::hubspot::error::ApiErrorBody;
use crate::hubspot::{HubspotError, HubspotObject, PropertyWrites};

/// Input `n` of a batch write: the record written, or the error one call would have answered.
/// An input HubSpot did not report is a fault to retry.
pub fn input_outcome<'a>(
    outcome: &'a BatchWriteOutcome,
    n: usize,
    what: &str,
) -> Result<&'a HubspotObject, HubspotError> {
    match outcome.items.get(n).map(|item| &item.outcome) {
        Some(ItemOutcome::Written(written)) => Ok(written),
        Some(ItemOutcome::Failed(e)) => Err(item_error(e)),
        Some(ItemOutcome::Unreported) | None => Err(HubspotError::Transient {
            status: 502,
            retry_after: None,
            body: Box::new(ApiErrorBody {
                message: Some(format!(
                    "HubSpot did not report this input of the batch {what}"
                )),
                ..ApiErrorBody::default()
            }),
        }),
    }
}

/// The `qbo_payment_notes` value an invoice's tokens now have, and who changed them.
#[derive(Debug)]
pub struct TokenWrite {
    /// The HubSpot invoice.
    pub invoice: String,
    /// The property's new value (payment and credit tokens alike).
    pub value: String,
    /// The positions of the group's documents (payments, forms) whose bookkeeping it carries.
    pub carries: Vec<usize>,
}

/// Writes every changed invoice's tokens in one `batch/update`; a refused update fails the
/// documents it carried (unless already failed) with HubSpot's message.
pub async fn save_tokens(
    mirror: &InvoiceMirror,
    writes: Vec<TokenWrite>,
    failed: &mut [Option<InvoiceSyncError>],
) {
    if writes.is_empty() {
        return;
    }
    let updates: Vec<UpdateInput> = writes
        .iter()
        .map(|w| UpdateInput {
            id: w.invoice.clone(),
            properties: PropertyWrites::from([(QBO_PAYMENT_NOTES.to_owned(), w.value.clone())]),
        })
        .collect();
    let outcome = mirror.hubspot.update_invoices(&updates).await;
    for (n, write) in writes.iter().enumerate() {
        for &k in &write.carries {
            if failed[k].is_none()
                && let Err(error) = input_outcome(&outcome, n, "update")
            {
                failed[k] = Some(error.into());
            }
        }
    }
}

/// The end of a payment or credit pass: every changed invoice's tokens (`value` renders them)
/// saved in one `batch/update` (`save_tokens`), then each document's answer, its report or the
/// first error that failed it, in order.
pub async fn settle_group<T: Clone + PartialEq, R>(
    mirror: &InvoiceMirror,
    tokens: &BTreeMap<String, InvoiceTokens<T>>,
    mirrored: &BTreeMap<String, MirroredInvoice>,
    value: impl Fn(&T) -> String,
    reports: Vec<R>,
    mut failed: Vec<Option<InvoiceSyncError>>,
) -> Vec<Result<R, InvoiceSyncError>> {
    let writes = tokens
        .iter()
        .filter_map(|(id, kept)| {
            let hubspot_id = mirrored[id].hubspot_id.as_deref()?;
            kept.write(hubspot_id, &value)
        })
        .collect();
    save_tokens(mirror, writes, &mut failed).await;
    reports
        .into_iter()
        .zip(failed)
        .map(|(report, failure)| match failure {
            Some(e) => Err(e),
            None => Ok(report),
        })
        .collect()
}

/// The bookkeeping tokens (`T`: payment or credit tokens) of one invoice a pass touches: as
/// read, as the pass leaves them, and the documents of the group that changed them.
#[derive(Debug, Clone)]
pub struct InvoiceTokens<T> {
    pub read: T,
    pub now: T,
    pub changed_by: Vec<usize>,
}

impl<T: Clone + PartialEq> InvoiceTokens<T> {
    pub fn new(read: T) -> Self {
        InvoiceTokens {
            now: read.clone(),
            read,
            changed_by: Vec::new(),
        }
    }

    /// Notes that document `k` changed `now` (after it did).
    pub fn changed_by(&mut self, k: usize) {
        if !self.changed_by.contains(&k) {
            self.changed_by.push(k);
        }
    }

    /// The write of invoice `hubspot_id` when `now` differs from what was read.
    pub fn write(&self, hubspot_id: &str, value: impl FnOnce(&T) -> String) -> Option<TokenWrite> {
        (self.now != self.read).then(|| TokenWrite {
            invoice: hubspot_id.to_owned(),
            value: value(&self.now),
            carries: self.changed_by.clone(),
        })
    }
}
