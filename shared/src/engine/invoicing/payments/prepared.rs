//! The invoices a job group's payments paid, mirrored together before the payments are applied
//! one by one (docs/hubspot.md §9.5): each payment then takes its invoices from here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::NaiveDate;

use super::mirror::is_voided_payment;
use crate::engine::invoicing::credits::uses_credit;
use crate::engine::invoicing::invoices::{InvoiceMirror, MirroredInvoice};

/// QBO invoice id -> the invoice as the group's mirror left it (its payment tokens kept current
/// as each payment records its own).
#[derive(Debug, Default)]
pub struct PreparedInvoices(Mutex<BTreeMap<String, MirroredInvoice>>);

impl PreparedInvoices {
    /// Reads payments `ids` and mirrors the invoices they apply to as one group. Best effort:
    /// a payment or invoice that cannot be read or mirrored here is left to the payment's own
    /// sync, which reports its error.
    pub async fn mirror(invoices: &InvoiceMirror, ids: &[String], today: NaiveDate) -> Self {
        let mut wanted = BTreeSet::new();
        for id in ids {
            let Ok(payment) = invoices.qbo.read_payment(id).await else {
                continue;
            };
            if uses_credit(&payment) || is_voided_payment(&payment) {
                continue;
            }
            wanted.extend(payment.applied_invoices().map(|(id, _)| id.to_owned()));
        }
        let ids: Vec<String> = wanted.into_iter().collect();
        let mut prepared = BTreeMap::new();
        // One invoice alone is mirrored by its payment as before.
        if ids.len() > 1
            && let Ok(results) = invoices.sync_invoices(&ids, today).await
        {
            for (id, result) in ids.into_iter().zip(results) {
                if let Ok(mirrored) = result
                    && mirrored.hubspot_id.is_some()
                {
                    prepared.insert(id, mirrored);
                }
            }
        }
        PreparedInvoices(Mutex::new(prepared))
    }

    /// The mirrored invoice `id`, if the group mirrored it.
    pub fn get(&self, id: &str) -> Option<MirroredInvoice> {
        self.lock().get(id).cloned()
    }

    /// Keeps `mirrored` (after a payment recorded its tokens on it) for the group's next payment.
    pub fn put(&self, id: &str, mirrored: &MirroredInvoice) {
        if let Some(kept) = self.lock().get_mut(id) {
            kept.properties = mirrored.properties.clone();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, MirroredInvoice>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
