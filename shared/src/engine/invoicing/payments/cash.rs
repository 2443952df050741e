//! The cash part of a QBO payment that also applies credit memos (docs/quickbooks.md §4.9):
//! what each invoice got in money, once the memos' credit is taken off in line order.

use rust_decimal::Decimal;

use crate::quickbooks::entities::Payment;

/// Whether the payment brings money, not only credit (`TotalAmt` is the money received).
pub fn has_cash(payment: &Payment) -> bool {
    payment.total_amt.unwrap_or_default() > Decimal::ZERO
}

/// Each invoice the payment applies to with the money it got: the invoice line's amount less
/// the credit memos' credit, spread over the invoices in line order as the credit notes are
/// (`credits::mirror`). For a payment without credit these are its invoice lines as they are;
/// invoices paid by credit alone are left out.
pub fn cash_per_invoice(payment: &Payment) -> Vec<(String, Option<Decimal>)> {
    let mut credit: Decimal = payment
        .line
        .iter()
        .filter(|l| l.linked_txn.iter().any(|t| t.txn_type == "CreditMemo"))
        .filter_map(|l| l.amount)
        .sum();
    let mut out = Vec::new();
    for (invoice, amount) in payment.applied_invoices() {
        let Some(amount) = amount else {
            out.push((invoice.to_owned(), None));
            continue;
        };
        let taken = amount.min(credit.max(Decimal::ZERO));
        credit -= taken;
        let cash = amount - taken;
        if cash > Decimal::ZERO {
            out.push((invoice.to_owned(), Some(cash)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{Line, LinkedTxn};

    fn line(amount: i64, txn_type: &str, id: &str) -> Line {
        Line {
            amount: Some(Decimal::from(amount)),
            linked_txn: vec![LinkedTxn {
                txn_id: id.into(),
                txn_type: txn_type.into(),
                ..LinkedTxn::default()
            }],
            ..Line::default()
        }
    }

    #[test]
    fn the_credit_is_taken_off_in_line_order_and_the_rest_is_cash() {
        // 100 on invoice 10 and 50 on 11, paid with a 30 credit memo and 120 in money.
        let mixed = Payment {
            total_amt: Some(Decimal::from(120)),
            line: vec![
                line(100, "Invoice", "10"),
                line(50, "Invoice", "11"),
                line(30, "CreditMemo", "5"),
            ],
            ..Payment::default()
        };
        assert!(has_cash(&mixed));
        assert_eq!(
            cash_per_invoice(&mixed),
            [
                ("10".to_owned(), Some(Decimal::from(70))),
                ("11".to_owned(), Some(Decimal::from(50)))
            ]
        );
        // Credit alone: no money, no cash part.
        let credit_only = Payment {
            total_amt: Some(Decimal::ZERO),
            line: vec![line(30, "Invoice", "10"), line(30, "CreditMemo", "5")],
            ..Payment::default()
        };
        assert!(!has_cash(&credit_only));
        assert!(cash_per_invoice(&credit_only).is_empty());
        // Without credit every invoice line is cash.
        let plain = Payment {
            total_amt: Some(Decimal::from(40)),
            line: vec![line(40, "Invoice", "10")],
            ..Payment::default()
        };
        assert_eq!(
            cash_per_invoice(&plain),
            [("10".to_owned(), Some(Decimal::from(40)))]
        );
    }
}
