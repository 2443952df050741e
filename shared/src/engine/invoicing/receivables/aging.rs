//! The receivables calculator: from a customer's open invoices, its last payment and an as-of
//! date, the open balance, the overdue amount, the five aging buckets and the open count.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::quickbooks::entities::{Invoice, Payment};

/// One open invoice as the calculator needs it (QBO `Balance` > 0, docs/quickbooks.md §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub balance: Decimal,
    /// Ages from `DueDate`; an invoice without one ages from its `TxnDate`.
    pub due_date: Option<NaiveDate>,
    pub txn_date: Option<NaiveDate>,
}

impl OpenInvoice {
    /// The open part of a QBO invoice; `None` when nothing is open (paid, voided, credit).
    pub fn from_invoice(invoice: &Invoice) -> Option<Self> {
        let balance = invoice.balance.unwrap_or_default();
        (balance > Decimal::ZERO).then_some(OpenInvoice {
            balance,
            due_date: invoice.due_date,
            txn_date: invoice.txn_date,
        })
    }

    /// An open amount due on `due_date`; `None` unless something is open.
    pub fn from_parts(balance: Decimal, due_date: Option<NaiveDate>) -> Option<Self> {
        (balance > Decimal::ZERO).then_some(OpenInvoice {
            balance,
            due_date,
            txn_date: None,
        })
    }

    /// Days past due on `as_of` (0 or less: not yet due).
    pub fn days_past_due(&self, as_of: NaiveDate) -> i64 {
        self.due_date
            .or(self.txn_date)
            .map_or(0, |due| (as_of - due).num_days())
    }
}

/// The customer's most recent payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastPayment {
    pub date: NaiveDate,
    pub amount: Decimal,
}

impl LastPayment {
    /// The latest of `payments` by `TxnDate` (voided ones, of amount 0, do not count).
    pub fn latest<'a>(payments: impl IntoIterator<Item = &'a Payment>) -> Option<Self> {
        payments
            .into_iter()
            .filter_map(|p| {
                let amount = p.total_amt.unwrap_or_default();
                Some(LastPayment {
                    date: p.txn_date?,
                    amount,
                })
                .filter(|_| amount > Decimal::ZERO)
            })
            .max_by_key(|p| p.date)
    }
}

/// Open balances by days past due: the A/R aging report's columns (current, 1–30, 31–60,
/// 61–90, over 90 days past due).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgingBuckets {
    pub current: Decimal,
    pub days_1_30: Decimal,
    pub days_31_60: Decimal,
    pub days_61_90: Decimal,
    pub over_90: Decimal,
}

impl AgingBuckets {
    fn add(&mut self, days_past_due: i64, amount: Decimal) {
        let bucket = match days_past_due {
            i64::MIN..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.over_90,
        };
        *bucket += amount;
    }

    /// Everything past due.
    pub fn overdue(&self) -> Decimal {
        self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90
    }

    pub fn total(&self) -> Decimal {
        self.current + self.overdue()
    }
}

/// What a customer owes on one date, in its currency (QBO invoices are in their customer's
/// currency, docs/quickbooks.md §17.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receivables {
    pub currency: String,
    pub balance: Decimal,
    pub overdue: Decimal,
    pub aging: AgingBuckets,
    pub open_invoices: usize,
    pub last_payment: Option<LastPayment>,
}

/// The receivables of a customer whose open invoices are `open`, on `as_of`.
pub fn receivables(
    open: &[OpenInvoice],
    last_payment: Option<LastPayment>,
    currency: &str,
    as_of: NaiveDate,
) -> Receivables {
    let mut aging = AgingBuckets::default();
    for invoice in open {
        aging.add(invoice.days_past_due(as_of), invoice.balance);
    }
    Receivables {
        currency: currency.to_owned(),
        balance: aging.total(),
        overdue: aging.overdue(),
        aging,
        open_invoices: open.len(),
        last_payment,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn open(balance: &str, due: &str) -> OpenInvoice {
        OpenInvoice {
            balance: balance.parse().unwrap(),
            due_date: Some(date(due)),
            txn_date: None,
        }
    }

    #[test]
    fn each_bucket_edge_falls_where_the_aging_report_puts_it() {
        let as_of = date("2026-06-30");
        let cases = [
            ("2026-06-30", "current"),
            ("2026-07-15", "current"),
            ("2026-06-29", "1-30"),
            ("2026-05-31", "1-30"),
            ("2026-05-30", "31-60"),
            ("2026-05-01", "31-60"),
            ("2026-04-30", "61-90"),
            ("2026-04-01", "61-90"),
            ("2026-03-31", "over 90"),
        ];
        for (due, bucket) in cases {
            let r = receivables(&[open("10", due)], None, "USD", as_of);
            let a = &r.aging;
            let got = [
                (a.current, "current"),
                (a.days_1_30, "1-30"),
                (a.days_31_60, "31-60"),
                (a.days_61_90, "61-90"),
                (a.over_90, "over 90"),
            ]
            .into_iter()
            .find(|(v, _)| !v.is_zero())
            .map(|(_, name)| name);
            assert_eq!(got, Some(bucket), "due {due}");
        }
    }

    #[test]
    fn balance_overdue_and_count_sum_the_open_invoices() {
        let invoices = [
            open("100.10", "2026-07-01"),
            open("20", "2026-06-20"),
            open("5.05", "2026-01-01"),
        ];
        let paid = LastPayment {
            date: date("2026-06-01"),
            amount: "42".parse().unwrap(),
        };
        let r = receivables(&invoices, Some(paid.clone()), "EUR", date("2026-06-30"));
        assert_eq!(r.balance, "125.15".parse().unwrap());
        assert_eq!(r.overdue, "25.05".parse().unwrap());
        assert_eq!(r.aging.days_1_30, "20".parse().unwrap());
        assert_eq!(r.aging.over_90, "5.05".parse().unwrap());
        assert_eq!(r.open_invoices, 3);
        assert_eq!(r.currency, "EUR");
        assert_eq!(r.last_payment, Some(paid));
    }

    #[test]
    fn an_invoice_without_a_due_date_ages_from_its_date_and_paid_ones_are_not_open() {
        let no_due = OpenInvoice {
            balance: "7".parse().unwrap(),
            due_date: None,
            txn_date: Some(date("2026-06-01")),
        };
        assert_eq!(no_due.days_past_due(date("2026-06-11")), 10);
        let paid = Invoice {
            balance: Some(Decimal::ZERO),
            ..Invoice::default()
        };
        assert_eq!(OpenInvoice::from_invoice(&paid), None);
    }

    #[test]
    fn the_last_payment_is_the_latest_by_date_and_voided_ones_do_not_count() {
        let pay = |d: &str, amount: &str| Payment {
            txn_date: Some(date(d)),
            total_amt: Some(amount.parse().unwrap()),
            ..Payment::default()
        };
        let payments = [
            pay("2026-05-01", "10"),
            pay("2026-06-02", "0"),
            pay("2026-05-20", "30"),
        ];
        assert_eq!(
            LastPayment::latest(&payments),
            Some(LastPayment {
                date: date("2026-05-20"),
                amount: "30".parse().unwrap()
            })
        );
        assert_eq!(LastPayment::latest(&[]), None);
    }

    proptest! {
        #[test]
        fn buckets_always_sum_to_the_balance_and_overdue_is_all_but_current(
            invoices in prop::collection::vec((1i64..10_000_000, -400i64..400), 0..30),
            as_of_offset in 0i64..1000,
        ) {
            let base = date("2026-01-01");
            let open: Vec<OpenInvoice> = invoices
                .iter()
                .map(|(cents, due)| OpenInvoice {
                    balance: Decimal::new(*cents, 2),
                    due_date: Some(base + chrono::Duration::days(*due)),
                    txn_date: None,
                })
                .collect();
            let as_of = base + chrono::Duration::days(as_of_offset);
            let r = receivables(&open, None, "USD", as_of);
            let sum: Decimal = open.iter().map(|i| i.balance).sum();
            prop_assert_eq!(r.balance, sum);
            prop_assert_eq!(r.aging.total(), r.balance);
            prop_assert_eq!(r.overdue, r.balance - r.aging.current);
            prop_assert_eq!(r.open_invoices, open.len());
            // Aging only moves money later with the calendar: a day later nothing is younger.
            let later = receivables(&open, None, "USD", as_of + chrono::Duration::days(1));
            prop_assert!(later.aging.current <= r.aging.current);
            prop_assert!(later.aging.over_90 >= r.aging.over_90);
            prop_assert!(later.overdue >= r.overdue);
        }
    }
}
