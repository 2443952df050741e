//! QBO-only forms (credit memos, refund receipts, estimates) that have no HubSpot object of their
//! own: their webhook and CDC changes ride on a mirrored kind's jobs, the form named in the job id.

use super::super::ids::ObjectKind;

/// A QBO entity mirrored only as notes and properties on another kind's HubSpot records
/// (docs/architecture.md §3, "QBO-only forms").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QboOnlyForm {
    /// QBO entity name in webhooks, CDC and reads (`CreditMemo`).
    pub entity: &'static str,
    /// The mirrored kind whose jobs carry the form's changes (its switch governs them too).
    pub kind: ObjectKind,
    /// Whether the initial sync lists the form after its kind (docs/admin.md §4): estimates,
    /// which show on the deal whatever their age; credit memos and refund receipts are not
    /// (the backfilled invoices' balances already count them).
    pub backfilled: bool,
}

/// Credit memos and refund receipts reach HubSpot through payment jobs: they change invoice
/// balances as payments do and follow the payment switch (docs/quickbooks.md §4.9). Estimates
/// ride on invoice jobs and follow the invoice switch: they show on the deal as invoices do
/// (docs/hubspot.md §2.13).
pub static QBO_ONLY_FORMS: [QboOnlyForm; 3] = [
    QboOnlyForm {
        entity: "CreditMemo",
        kind: ObjectKind::Payment,
        backfilled: false,
    },
    QboOnlyForm {
        entity: "RefundReceipt",
        kind: ObjectKind::Payment,
        backfilled: false,
    },
    QboOnlyForm {
        entity: "Estimate",
        kind: ObjectKind::Invoice,
        backfilled: true,
    },
];

impl QboOnlyForm {
    /// The form QBO names `entity` (any casing: CloudEvents lower-case it).
    pub fn named(entity: &str) -> Option<&'static QboOnlyForm> {
        QBO_ONLY_FORMS
            .iter()
            .find(|f| f.entity.eq_ignore_ascii_case(entity))
    }

    /// The forms whose changes ride on `kind`'s jobs.
    pub fn riding_on(kind: ObjectKind) -> impl Iterator<Item = &'static QboOnlyForm> {
        QBO_ONLY_FORMS.iter().filter(move |f| f.kind == kind)
    }

    /// The forms the initial sync lists after `kind`'s own records, in order.
    pub fn backfilled_with(kind: ObjectKind) -> impl Iterator<Item = &'static QboOnlyForm> {
        QboOnlyForm::riding_on(kind).filter(|f| f.backfilled)
    }

    /// The form QBO names `entity`, exactly as written in a page job (`Estimate`).
    pub fn exactly(entity: &str) -> Option<&'static QboOnlyForm> {
        QBO_ONLY_FORMS.iter().find(|f| f.entity == entity)
    }

    /// Whether the status row of job `job_id` must outlive the store's status retention: an
    /// estimate's names the deal it was mirrored onto, which its deletion, however late, is
    /// noted on (docs/hubspot.md §2.13).
    pub fn status_kept(job_id: &str) -> bool {
        QboOnlyForm::of_job_id(job_id).is_some_and(|(form, _)| form.entity == "Estimate")
    }

    /// The job id of form `id`: `CreditMemo:12` (QBO ids are digits, so no payment id has a
    /// colon).
    pub fn job_id(&self, id: &str) -> String {
        format!("{}:{id}", self.entity)
    }

    /// The form and its QBO id a job id names; `None` for the kind's own records.
    pub fn of_job_id(job_id: &str) -> Option<(&'static QboOnlyForm, &str)> {
        let (entity, id) = job_id.split_once(':')?;
        QBO_ONLY_FORMS
            .iter()
            .find(|f| f.entity == entity)
            .map(|f| (f, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_job_id_names_it_and_a_payments_does_not() {
        let memo = QboOnlyForm::named("creditmemo").expect("CloudEvents casing");
        assert_eq!(memo.kind, ObjectKind::Payment);
        let id = memo.job_id("12");
        assert_eq!(id, "CreditMemo:12");
        assert_eq!(QboOnlyForm::of_job_id(&id), Some((memo, "12")));
        assert_eq!(QboOnlyForm::of_job_id("12"), None);
        assert_eq!(QboOnlyForm::of_job_id("SalesReceipt:3"), None);
        assert!(QboOnlyForm::named("Payment").is_none());
        assert_eq!(QboOnlyForm::riding_on(ObjectKind::Payment).count(), 2);
        let estimate = QboOnlyForm::named("estimate").expect("estimates ride on invoice jobs");
        assert_eq!(estimate.kind, ObjectKind::Invoice);
        assert_eq!(QboOnlyForm::of_job_id("Estimate:3"), Some((estimate, "3")));
        assert_eq!(QboOnlyForm::riding_on(ObjectKind::Invoice).count(), 1);
        let backfilled: Vec<&str> = QboOnlyForm::backfilled_with(ObjectKind::Invoice)
            .map(|f| f.entity)
            .collect();
        assert_eq!(backfilled, ["Estimate"]);
        assert_eq!(QboOnlyForm::backfilled_with(ObjectKind::Payment).count(), 0);
        assert_eq!(QboOnlyForm::exactly("Estimate"), Some(estimate));
        assert_eq!(QboOnlyForm::exactly("estimate"), None);
        assert!(QboOnlyForm::status_kept("Estimate:3"));
        assert!(!QboOnlyForm::status_kept("CreditMemo:3") && !QboOnlyForm::status_kept("3"));
    }
}
