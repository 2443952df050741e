//! Invoice rules (docs/hubspot.md §2.8, §2.9): the draft -> open transition, which invoices can
//! be deleted, and the totals (billed from line items, paid from succeeded payments).

use rust_decimal::Decimal;

use super::errors::ApiError;
use super::object_types::ObjectKind;
use super::record::Record;
use super::store::{PropertyWrites, Store, WriteCtx};

/// The `hs_invoice_status` moves the sandbox allows by PATCH (docs/hubspot.md §2.8). Only
/// `draft` -> `open` is documented; `open` <-> `paid` (a payment recorded elsewhere, then
/// removed) and `voided` from `draft`, `open` or `paid` are UNVERIFIED guesses, all here.
/// Nothing leaves `voided`.
pub const STATUS_MOVES: &[(&str, &str)] = &[
    ("draft", "open"),
    ("open", "draft"),
    ("open", "paid"),
    ("paid", "open"),
    ("draft", "voided"),
    ("open", "voided"),
    ("paid", "voided"),
];

impl Store {
    /// docs/hubspot.md §2.8: `draft` -> `open` needs one contact and at least one line item;
    /// the other moves are [`STATUS_MOVES`] (UNVERIFIED there). A value outside the
    /// enumeration (`partially_paid`, `overdue`) is refused by the schema as `INVALID_OPTION`.
    pub(super) fn check_invoice_update(
        &self,
        invoice: &Record,
        writes: &PropertyWrites,
    ) -> Result<(), ApiError> {
        let Some(Some(next)) = writes.get("hs_invoice_status") else {
            return Ok(());
        };
        let current = invoice
            .properties
            .get("hs_invoice_status")
            .map_or("draft", String::as_str);
        if current == next {
            return Ok(());
        }
        let allowed = STATUS_MOVES.contains(&(current, next.as_str()));
        if !allowed {
            // UNVERIFIED wording.
            return Err(ApiError::bad_request(format!(
                "Invoice status cannot change from {current} to {next}"
            )));
        }
        if next == "open" {
            let contacts =
                self.associated_ids(ObjectKind::Invoice, invoice.id, ObjectKind::Contact);
            let lines = self.associated_ids(ObjectKind::Invoice, invoice.id, ObjectKind::LineItem);
            if contacts.len() != 1 || lines.is_empty() {
                // UNVERIFIED wording; the rule is documented.
                return Err(ApiError::bad_request(format!(
                    "An invoice needs exactly one associated contact and at least one line item to be open (has {} contacts, {} line items)",
                    contacts.len(),
                    lines.len()
                )));
            }
        }
        Ok(())
    }

    /// A new invoice that names a status other than `draft` (UNVERIFIED, docs/hubspot.md
    /// §2.8: the invoices guide documents only a draft create followed by the move to `open`;
    /// https://developers.hubspot.com/docs/api-reference/latest/crm/objects/invoices/guide).
    /// The sandbox takes it as that move made at once, under the same rules: allowed from
    /// `draft` ([`STATUS_MOVES`]), and `open` needs exactly one contact and at least one line
    /// item among the create's inline associations (`to` kinds of `associated`).
    pub(super) fn check_invoice_create(
        &self,
        writes: &PropertyWrites,
        associated: &[ObjectKind],
    ) -> Result<(), ApiError> {
        let Some(Some(next)) = writes.get("hs_invoice_status") else {
            return Ok(());
        };
        if next == "draft" {
            return Ok(());
        }
        if !STATUS_MOVES.contains(&("draft", next.as_str())) {
            // UNVERIFIED wording.
            return Err(ApiError::bad_request(format!(
                "Invoice status cannot change from draft to {next}"
            )));
        }
        if next == "open" {
            let count = |kind| associated.iter().filter(|k| **k == kind).count();
            let (contacts, lines) = (count(ObjectKind::Contact), count(ObjectKind::LineItem));
            if contacts != 1 || lines == 0 {
                // UNVERIFIED wording; the rule is documented (for the move to `open`).
                return Err(ApiError::bad_request(format!(
                    "An invoice needs exactly one associated contact and at least one line item to be open (has {contacts} contacts, {lines} line items)"
                )));
            }
        }
        Ok(())
    }

    /// docs/hubspot.md §2.8: only draft invoices can be deleted (the "delete unpaid invoices"
    /// account setting is off in the sandbox).
    pub(super) fn check_invoice_archive(&self, invoice: &Record) -> Result<(), ApiError> {
        match invoice
            .properties
            .get("hs_invoice_status")
            .map(String::as_str)
        {
            None | Some("draft") => Ok(()),
            Some(status) => Err(ApiError::bad_request(format!(
                "Only draft invoices can be deleted; this one is {status}"
            ))),
        }
    }

    /// Recomputes the totals of invoices associated with a changed line item or payment.
    pub(super) fn recalculate_invoices_of(
        &mut self,
        kind: ObjectKind,
        id: u64,
        ctx: &mut WriteCtx,
    ) {
        if !matches!(kind, ObjectKind::LineItem | ObjectKind::CommercePayment) {
            return;
        }
        for invoice in self.associated_ids(kind, id, ObjectKind::Invoice) {
            self.recalculate_invoice(invoice, ctx);
        }
    }

    /// After an association change: recompute the invoice's totals if one side is an invoice.
    pub(super) fn after_association_change(
        &mut self,
        from: ObjectKind,
        from_id: u64,
        to: ObjectKind,
        to_id: u64,
        ctx: &mut WriteCtx,
    ) {
        for (k, id) in [(from, from_id), (to, to_id)] {
            if k == ObjectKind::Invoice {
                self.recalculate_invoice(id, ctx);
            }
        }
    }

    /// Totals: `hs_amount_billed` = sum of line-item amounts, `hs_amount_paid` = sum of
    /// associated payments that `succeeded`, `hs_balance_due` = billed - paid. An open invoice
    /// whose balance reaches zero becomes `paid` (docs/hubspot.md §2.9: "associate completed
    /// payment records with invoices to mark them as paid"; the calculation is UNVERIFIED).
    pub(super) fn recalculate_invoice(&mut self, invoice: u64, ctx: &mut WriteCtx) {
        let kind = ObjectKind::Invoice;
        let Some(record) = self.record(kind, invoice).filter(|r| !r.is_archived()) else {
            return;
        };
        let sum = |ids: Vec<u64>, k: ObjectKind, prop: &str, only_succeeded: bool| -> Decimal {
            ids.into_iter()
                .filter_map(|id| self.record(k, id))
                .filter(|r| {
                    !only_succeeded
                        || r.properties
                            .get("hs_latest_status")
                            .is_some_and(|s| s == "succeeded")
                })
                .filter_map(|r| r.properties.get(prop)?.parse::<Decimal>().ok())
                .sum()
        };
        let billed = sum(
            self.associated_ids(kind, invoice, ObjectKind::LineItem),
            ObjectKind::LineItem,
            "amount",
            false,
        );
        let paid = sum(
            self.associated_ids(kind, invoice, ObjectKind::CommercePayment),
            ObjectKind::CommercePayment,
            "hs_initial_amount",
            true,
        );
        let status = record.properties.get("hs_invoice_status").cloned();
        let text = |mut d: Decimal| {
            d.rescale(2);
            Some(d.to_string())
        };
        self.set_system(kind, invoice, "hs_amount_billed", text(billed), ctx);
        self.set_system(kind, invoice, "hs_amount_paid", text(paid), ctx);
        self.set_system(kind, invoice, "hs_balance_due", text(billed - paid), ctx);
        if status.as_deref() == Some("open") && billed > Decimal::ZERO && paid >= billed {
            self.set_system(kind, invoice, "hs_invoice_status", Some("paid".into()), ctx);
        }
    }
}
