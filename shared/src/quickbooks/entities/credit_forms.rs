//! `CreditMemo` and `RefundReceipt` (docs/quickbooks.md §4.9): credit a customer is owed
//! (used through payments) and money paid back at once; voided or deleted like invoices.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{Line, LinkedTxn, MetaData, Ref};
use super::impl_entity;

/// The members both forms share: they are sales forms with the invoice's lines and totals.
macro_rules! credit_form {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty => $attr:meta,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, rename_all = "PascalCase")]
        pub struct $name {
            #[serde(skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub sync_token: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub meta_data: Option<MetaData>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub doc_number: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub txn_date: Option<NaiveDate>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub customer_ref: Option<Ref>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub line: Vec<Line>,
            /// Read-only, computed from the lines (§17).
            #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
            pub total_amt: Option<Decimal>,
            /// Read-only.
            #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
            pub balance: Option<Decimal>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub currency_ref: Option<Ref>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub private_note: Option<String>,
            /// Read-only links (a credit memo's payments, §4.9).
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub linked_txn: Vec<LinkedTxn>,
            $($(#[$fdoc])* #[$attr] pub $field: $ty,)*
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $name {
            /// Ids of the linked transactions of `txn_type` (`Payment`, `Invoice`).
            pub fn linked(&self, txn_type: &str) -> Vec<String> {
                self.linked_txn
                    .iter()
                    .filter(|l| l.txn_type == txn_type)
                    .map(|l| l.txn_id.clone())
                    .collect()
            }

            /// A void zeroes the form and puts "Voided" in `PrivateNote` (§4.9, §7: there is
            /// no explicit void marker).
            pub fn is_voided(&self) -> bool {
                self.total_amt.unwrap_or_default().is_zero()
                    && self
                        .private_note
                        .as_deref()
                        .is_some_and(|n| n.starts_with("Voided"))
            }
        }
    };
}

credit_form!(
    /// What the company owes a customer until payments use it (§4.9).
    CreditMemo {
        /// Read-only open credit.
        remaining_credit: Option<Decimal> => serde(skip_serializing_if = "Option::is_none", with = "decimal"),
    }
);
impl_entity!(CreditMemo, "CreditMemo", "creditmemo");

credit_form!(
    /// Money paid back to a customer when it is made (§4.9).
    RefundReceipt {
        #[doc = "The account the refund is paid from."]
        deposit_to_account_ref: Option<Ref> => serde(skip_serializing_if = "Option::is_none"),
    }
);
impl_entity!(RefundReceipt, "RefundReceipt", "refundreceipt");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_credit_memo_reads_its_credit_and_payment_links_and_keeps_the_rest() {
        let memo: CreditMemo = serde_json::from_value(json!({
            "Id": "9", "SyncToken": "1", "TotalAmt": 30.0, "RemainingCredit": 0,
            "Balance": 0, "CustomerRef": {"value": "1"}, "Sparkle": true,
            "LinkedTxn": [{"TxnId": "12", "TxnType": "Payment"}],
        }))
        .unwrap();
        assert_eq!(memo.remaining_credit, Some(Decimal::ZERO));
        assert_eq!(memo.linked("Payment"), ["12"]);
        assert!(!memo.is_voided());
        assert_eq!(serde_json::to_value(&memo).unwrap()["Sparkle"], json!(true));
        let voided = CreditMemo {
            total_amt: Some(Decimal::ZERO),
            private_note: Some("Voided - x".into()),
            ..CreditMemo::default()
        };
        assert!(voided.is_voided());
    }
}
