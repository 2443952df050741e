//! The bookkeeping tokens in a HubSpot invoice's `qbo_payment_notes`: `p<id>`/`x<id>` for notes
//! written and `r<qboPaymentId>=<hsPaymentId>` for the payment record created, each once.

use crate::engine::invoicing::invoices::properties::QBO_PAYMENT_NOTES;
use crate::hubspot::PropertyWrites;

/// Prefix of a payment-record token.
const RECORD_PREFIX: char = 'r';

/// The tokens of one invoice, in the order they were written (space separated on HubSpot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentTokens(Vec<String>);

impl PaymentTokens {
    /// From the invoice's properties (absent property: no tokens).
    pub fn of(properties: &PropertyWrites) -> Self {
        Self::parse(properties.get(QBO_PAYMENT_NOTES).map_or("", String::as_str))
    }

    pub fn parse(value: &str) -> Self {
        PaymentTokens(value.split_whitespace().map(str::to_owned).collect())
    }

    /// The property value to write back.
    pub fn value(&self) -> String {
        self.0.join(" ")
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    /// Adds `token` unless present.
    pub fn insert(&mut self, token: String) {
        if !self.contains(&token) {
            self.0.push(token);
        }
    }

    fn record_key(qbo_payment_id: &str) -> String {
        format!("{RECORD_PREFIX}{qbo_payment_id}=")
    }

    /// The HubSpot payment record created for QBO payment `qbo_payment_id`, if any.
    pub fn record_of(&self, qbo_payment_id: &str) -> Option<&str> {
        let key = Self::record_key(qbo_payment_id);
        self.0
            .iter()
            .find_map(|t| t.strip_prefix(&key))
            .filter(|id| !id.is_empty())
    }

    /// Remembers the HubSpot payment record of QBO payment `qbo_payment_id`.
    pub fn set_record(&mut self, qbo_payment_id: &str, hubspot_payment_id: &str) {
        self.remove_record(qbo_payment_id);
        self.0.push(format!(
            "{}{hubspot_payment_id}",
            Self::record_key(qbo_payment_id)
        ));
    }

    /// Forgets the record of `qbo_payment_id` (after archiving it).
    pub fn remove_record(&mut self, qbo_payment_id: &str) {
        let key = Self::record_key(qbo_payment_id);
        self.0.retain(|t| !t.starts_with(&key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_tokens_round_trip_beside_note_tokens() {
        let mut tokens = PaymentTokens::parse("p7  x7\tp71");
        assert!(tokens.contains("p7") && tokens.contains("x7") && !tokens.contains("p"));
        assert_eq!(tokens.record_of("7"), None);
        tokens.set_record("7", "383552769679");
        tokens.set_record("71", "5");
        assert_eq!(tokens.record_of("7"), Some("383552769679"));
        assert_eq!(tokens.record_of("71"), Some("5"));
        assert_eq!(tokens.value(), "p7 x7 p71 r7=383552769679 r71=5");
        let reread = PaymentTokens::parse(&tokens.value());
        assert_eq!(reread, tokens);
        tokens.remove_record("7");
        assert_eq!(tokens.record_of("7"), None);
        assert_eq!(tokens.record_of("71"), Some("5"));
        tokens.insert("p7".into());
        assert_eq!(tokens.value(), "p7 x7 p71 r71=5");
    }

    #[test]
    fn a_malformed_record_token_is_no_record() {
        let tokens = PaymentTokens::parse("r9= r8");
        assert_eq!(tokens.record_of("9"), None);
        assert_eq!(tokens.record_of("8"), None);
    }
}
