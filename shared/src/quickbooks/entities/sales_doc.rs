//! `Estimate` and `SalesReceipt` (docs/quickbooks.md §17.7): the same lines, totals, customer,
//! DocNumber and notes as an `Invoice`, so each is the invoice shape under its own entity name.

use serde::{Deserialize, Serialize};

use super::{Entity, Invoice};

macro_rules! invoice_shaped {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $path:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $ty(pub Invoice);

        impl Entity for $ty {
            const NAME: &'static str = $name;
            const PATH: &'static str = $path;
            fn id(&self) -> Option<&str> {
                self.0.id.as_deref()
            }
            fn sync_token(&self) -> Option<&str> {
                self.0.sync_token.as_deref()
            }
        }
    };
}

invoice_shaped!(
    /// An estimate (quote): `TxnStatus` `Pending` until accepted or converted; an
    /// `ExpirationDate` instead of a due date; no `Balance`.
    Estimate,
    "Estimate",
    "estimate"
);
invoice_shaped!(
    /// A sales receipt: paid when made (`Balance` 0), deposited to `DepositToAccountRef`.
    SalesReceipt,
    "SalesReceipt",
    "salesreceipt"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_reads_and_writes_as_the_invoice_shape() {
        let wire = r#"{"Id":"41","DocNumber":"1001","TxnStatus":"Pending","ExpirationDate":"2026-06-01","TotalAmt":31.5,"CustomerRef":{"value":"3"}}"#;
        let estimate: Estimate = serde_json::from_str(wire).unwrap();
        assert_eq!(estimate.id(), Some("41"));
        assert_eq!(estimate.0.total_amt, Some("31.5".parse().unwrap()));
        assert_eq!(estimate.0.extra["TxnStatus"], "Pending");
        let back = serde_json::to_value(&estimate).unwrap();
        assert_eq!(back["ExpirationDate"], "2026-06-01");
        assert_eq!(back["CustomerRef"]["value"], "3");
    }
}
