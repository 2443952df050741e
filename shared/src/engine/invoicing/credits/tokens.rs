//! The credit bookkeeping in a HubSpot invoice's `qbo_payment_notes` (beside the payment
//! tokens): `c<id>` once a credit memo's note exists, `n<id>=<note>.<note>` the notes written,
//! `v<id>` once they say it was undone; `f`, `m`, `w` likewise for refund receipts;
//! `k<memo>=<payment>.<payment>` the payments that applied a credit memo here.

use super::note::CreditForm;
use crate::engine::invoicing::invoices::properties::QBO_PAYMENT_NOTES;
use crate::hubspot::PropertyWrites;

/// The tokens of one invoice, in the order they were written (space separated on HubSpot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditTokens(Vec<String>);

impl CreditTokens {
    /// From the invoice's properties (absent property: no tokens).
    pub fn of(properties: &PropertyWrites) -> Self {
        CreditTokens(
            properties
                .get(QBO_PAYMENT_NOTES)
                .map_or("", String::as_str)
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The property value to write back (every token, the payment flow's too).
    pub fn value(&self) -> String {
        self.0.join(" ")
    }

    fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    fn push(&mut self, token: String) {
        if !self.contains(&token) {
            self.0.push(token);
        }
    }

    /// The token searched for to find the invoices a form was noted on.
    pub fn noted_token(form: CreditForm, id: &str) -> String {
        format!("{}{id}", form.letter())
    }

    fn notes_key(form: CreditForm, id: &str) -> String {
        let letter = match form {
            CreditForm::CreditMemo => 'n',
            CreditForm::RefundReceipt => 'm',
        };
        format!("{letter}{id}=")
    }

    fn removed_token(form: CreditForm, id: &str) -> String {
        let letter = match form {
            CreditForm::CreditMemo => 'v',
            CreditForm::RefundReceipt => 'w',
        };
        format!("{letter}{id}")
    }

    /// Whether the form's note was written on this invoice.
    pub fn noted(&self, form: CreditForm, id: &str) -> bool {
        self.contains(&Self::noted_token(form, id))
    }

    /// Whether its notes already say it was undone.
    pub fn removal_noted(&self, form: CreditForm, id: &str) -> bool {
        self.contains(&Self::removed_token(form, id))
    }

    /// The HubSpot notes written for the form.
    pub fn notes(&self, form: CreditForm, id: &str) -> Vec<String> {
        self.ids_after(&Self::notes_key(form, id))
    }

    /// Records the form's notes (`notes` may be empty: an invoice on no deal).
    pub fn set_noted(&mut self, form: CreditForm, id: &str, notes: &[String]) {
        self.push(Self::noted_token(form, id));
        let key = Self::notes_key(form, id);
        self.0.retain(|t| !t.starts_with(&key));
        if !notes.is_empty() {
            self.0.push(format!("{key}{}", notes.join(".")));
        }
    }

    /// The `.`-separated ids of the token that starts with `key` (none without one).
    fn ids_after(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .find_map(|t| t.strip_prefix(key))
            .map(|ids| {
                ids.split('.')
                    .filter(|i| !i.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn appliers_key(memo_id: &str) -> String {
        format!("k{memo_id}=")
    }

    /// The QBO payments recorded as applying credit memo `memo_id` to this invoice.
    pub fn applied_by(&self, memo_id: &str) -> Vec<String> {
        self.ids_after(&Self::appliers_key(memo_id))
    }

    /// Records `payments` among those applying credit memo `memo_id` here; whether any was new.
    pub fn add_applied_by(&mut self, memo_id: &str, payments: &[String]) -> bool {
        let mut all = self.applied_by(memo_id);
        let before = all.len();
        for payment in payments {
            if !all.contains(payment) {
                all.push(payment.clone());
            }
        }
        if all.len() == before {
            return false;
        }
        let key = Self::appliers_key(memo_id);
        self.0.retain(|t| !t.starts_with(&key));
        self.0.push(format!("{key}{}", all.join(".")));
        true
    }

    /// The credit memos payment `payment_id` is recorded as applying here.
    pub fn memos_applied_by(&self, payment_id: &str) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|t| t.strip_prefix('k')?.split_once('='))
            .filter(|(_, payments)| payments.split('.').any(|p| p == payment_id))
            .map(|(memo, _)| memo.to_owned())
            .collect()
    }

    /// Records that the notes now say the form was undone.
    pub fn set_removal_noted(&mut self, form: CreditForm, id: &str) {
        self.push(Self::removed_token(form, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_beside_the_payment_tokens() {
        let mut props = PropertyWrites::new();
        props.insert(QBO_PAYMENT_NOTES.into(), "p7 r7=55".into());
        let mut tokens = CreditTokens::of(&props);
        let memo = CreditForm::CreditMemo;
        assert!(!tokens.noted(memo, "9"));
        tokens.set_noted(memo, "9", &["101".into(), "102".into()]);
        assert!(tokens.noted(memo, "9"));
        assert!(!tokens.noted(CreditForm::RefundReceipt, "9"));
        assert_eq!(tokens.notes(memo, "9"), ["101", "102"]);
        assert!(!tokens.removal_noted(memo, "9"));
        tokens.set_removal_noted(memo, "9");
        assert!(tokens.removal_noted(memo, "9"));
        assert_eq!(tokens.value(), "p7 r7=55 c9 n9=101.102 v9");
        assert!(tokens.add_applied_by("9", &["7".into()]));
        assert!(
            !tokens.add_applied_by("9", &["7".into()]),
            "already recorded"
        );
        assert!(tokens.add_applied_by("9", &["8".into()]));
        assert_eq!(tokens.applied_by("9"), ["7", "8"]);
        assert_eq!(tokens.memos_applied_by("8"), ["9"]);
        assert!(tokens.memos_applied_by("55").is_empty());
        assert!(tokens.value().ends_with("v9 k9=7.8"), "{}", tokens.value());
        assert_eq!(
            CreditTokens::noted_token(CreditForm::RefundReceipt, "4"),
            "f4"
        );
    }
}
