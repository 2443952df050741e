//! The totals QBO computes for a sales transaction (docs/quickbooks.md §17): subtotal, discount,
//! shipping, one tax line per rate and `TotalAmt`, from lines already resolved. Pure arithmetic.

use rust_decimal::{Decimal, RoundingStrategy};

/// One sales tax rate (`TaxRate.Id`, `RateValue` in percent), docs/quickbooks.md §17.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub id: String,
    pub percent: Decimal,
}

/// A resolved line: a sales line (its amount and the rates that tax it, none when not taxable;
/// `shipping` for the `SHIPPING_ITEM_ID` line) or a discount line (§17.1, §17.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Sale {
        amount: Decimal,
        rates: Vec<Rate>,
        shipping: bool,
    },
    Discount(Discount),
}

/// `DiscountLineDetail`: `PercentBased` with `DiscountPercent`, or a fixed `Amount` (§17.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    Percent(Decimal),
    Amount(Decimal),
}

/// How tax is applied (§17.3, §17.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaxMode {
    /// `GlobalTaxCalculation = TaxInclusive`: line amounts already hold the tax.
    pub inclusive: bool,
    /// Tax is computed on the discounted amounts (`ApplyTaxAfterDiscount`, §17.2).
    pub after_discount: bool,
}

/// One `TxnTaxDetail.TaxLine` (§17.3): a rate, the amount it taxed and the tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLine {
    pub rate_id: String,
    pub percent: Decimal,
    pub net_taxable: Decimal,
    pub amount: Decimal,
}

/// Everything QBO derives from the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Σ sales lines other than shipping: the `SubTotalLineDetail` amount.
    pub subtotal: Decimal,
    /// Each discount line's amount, in line order.
    pub discounts: Vec<Decimal>,
    pub discount: Decimal,
    pub shipping: Decimal,
    pub tax_lines: Vec<TaxLine>,
    pub total_tax: Decimal,
    /// `TotalAmt`.
    pub total: Decimal,
}

/// Totals QBO refuses to produce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    /// UNVERIFIED (docs/quickbooks.md §17.2): no captured answer for a discount above the
    /// subtotal; the sandbox refuses it rather than produce a negative total.
    #[error("The discount ({discount}) is more than the subtotal ({subtotal}).")]
    DiscountExceedsSubtotal {
        discount: Decimal,
        subtotal: Decimal,
    },
}

/// Rounds to the cent, half away from zero (docs/quickbooks.md §17.5: UNVERIFIED, the Intuit
/// samples are consistent with it; the one place to change if QBO rounds otherwise).
pub fn round_cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The taxed base of a group of lines sharing one set of rates.
struct Group<'a> {
    rates: &'a [Rate],
    base: Decimal,
}

/// Computes the totals of `lines` under `mode` (docs/quickbooks.md §17).
pub fn compute(lines: &[Line], mode: TaxMode) -> Result<Totals, TotalsError> {
    let mut subtotal = Decimal::ZERO;
    let mut shipping = Decimal::ZERO;
    for line in lines {
        if let Line::Sale {
            amount,
            shipping: s,
            ..
        } = line
        {
            if *s {
                shipping += *amount;
            } else {
                subtotal += *amount;
            }
        }
    }
    let discounts: Vec<Decimal> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Discount(Discount::Percent(p)) => {
                Some(round_cents(subtotal * *p / Decimal::ONE_HUNDRED))
            }
            Line::Discount(Discount::Amount(a)) => Some(round_cents(*a)),
            Line::Sale { .. } => None,
        })
        .collect();
    let discount: Decimal = discounts.iter().copied().sum();
    // A credit-heavy (negative) subtotal may carry its percent discount; only a positive
    // discount above the subtotal is refused.
    if discount > Decimal::ZERO && discount > subtotal {
        return Err(TotalsError::DiscountExceedsSubtotal { discount, subtotal });
    }
    // §17.2: after discount, each non-shipping line carries its share of the discount.
    let factor = if mode.after_discount && !subtotal.is_zero() {
        (subtotal - discount) / subtotal
    } else {
        Decimal::ONE
    };
    let mut groups: Vec<Group<'_>> = Vec::new();
    for line in lines {
        let Line::Sale {
            amount,
            rates,
            shipping,
        } = line
        else {
            continue;
        };
        if rates.is_empty() {
            continue;
        }
        let base = if *shipping { *amount } else { *amount * factor };
        match groups.iter_mut().find(|g| g.rates == rates.as_slice()) {
            Some(g) => g.base += base,
            None => groups.push(Group { rates, base }),
        }
    }
    let mut tax_lines: Vec<TaxLine> = Vec::new();
    for group in &groups {
        for (rate, net, tax) in group_tax(group, mode.inclusive) {
            match tax_lines.iter_mut().find(|t| t.rate_id == rate.id) {
                Some(t) => {
                    t.net_taxable += net;
                    t.amount += tax;
                }
                None => tax_lines.push(TaxLine {
                    rate_id: rate.id.clone(),
                    percent: rate.percent,
                    net_taxable: net,
                    amount: tax,
                }),
            }
        }
    }
    let total_tax: Decimal = tax_lines.iter().map(|t| t.amount).sum();
    let added_tax = if mode.inclusive {
        Decimal::ZERO
    } else {
        total_tax
    };
    Ok(Totals {
        subtotal,
        discounts,
        discount,
        shipping,
        total: subtotal - discount + shipping + added_tax,
        tax_lines,
        total_tax,
    })
}

/// `(rate, net taxed, tax)` for each rate of a group. Exclusive: tax = net × rate. Inclusive
/// (§17.4): the gross base holds the tax of every rate of the group; the net is
/// gross × 100 / (100 + Σ rates), and the last rate takes the rounding remainder.
fn group_tax<'a>(group: &Group<'a>, inclusive: bool) -> Vec<(&'a Rate, Decimal, Decimal)> {
    let base = round_cents(group.base);
    if !inclusive {
        return group
            .rates
            .iter()
            .map(|r| {
                (
                    r,
                    base,
                    round_cents(base * r.percent / Decimal::ONE_HUNDRED),
                )
            })
            .collect();
    }
    let combined: Decimal = group.rates.iter().map(|r| r.percent).sum();
    let net = round_cents(base * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + combined));
    let mut left = base - net;
    let mut out = Vec::new();
    for (i, r) in group.rates.iter().enumerate() {
        let tax = if i + 1 == group.rates.len() {
            left
        } else {
            round_cents(net * r.percent / Decimal::ONE_HUNDRED)
        };
        left -= tax;
        out.push((r, net, tax));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().expect("decimal literal")
    }

    fn rate(id: &str, percent: &str) -> Rate {
        Rate {
            id: id.into(),
            percent: dec(percent),
        }
    }

    fn sale(amount: &str, rates: &[Rate]) -> Line {
        Line::Sale {
            amount: dec(amount),
            rates: rates.to_vec(),
            shipping: false,
        }
    }

    #[test]
    fn the_docs_invoice_taxes_335_25_at_8_percent() {
        // Fixture invoice-read-response.json: three TAX lines, TxnTaxCodeRef 2 -> rate 3 (8 %).
        let ca = [rate("3", "8")];
        let lines = [sale("275", &ca), sale("12.75", &ca), sale("47.5", &ca)];
        let t = compute(&lines, TaxMode::default()).unwrap();
        assert_eq!(t.subtotal, dec("335.25"));
        assert_eq!(t.tax_lines.len(), 1);
        assert_eq!(t.tax_lines[0].net_taxable, dec("335.25"));
        assert_eq!(t.tax_lines[0].amount, dec("26.82"));
        assert_eq!(t.total, dec("362.07"));
    }

    #[test]
    fn the_docs_estimate_takes_ten_percent_off() {
        // Fixture estimate-read-response-discount.json: 35.00 NON, 10 % -> 3.50, total 31.50.
        let lines = [
            sale("35", &[]),
            Line::Discount(Discount::Percent(dec("10"))),
        ];
        let t = compute(&lines, TaxMode::default()).unwrap();
        assert_eq!(t.discounts, [dec("3.5")]);
        assert_eq!(t.total_tax, Decimal::ZERO);
        assert_eq!(t.total, dec("31.5"));
    }

    #[test]
    fn discount_before_or_after_tax_changes_the_taxed_base() {
        let ca = [rate("3", "8")];
        let lines = [
            sale("100", &ca),
            sale("50", &[]),
            Line::Discount(Discount::Percent(dec("10"))),
        ];
        let before = compute(&lines, TaxMode::default()).unwrap();
        assert_eq!(before.tax_lines[0].net_taxable, dec("100"));
        assert_eq!(before.total_tax, dec("8"));
        assert_eq!(before.total, dec("143"));
        let after = compute(
            &lines,
            TaxMode {
                after_discount: true,
                ..TaxMode::default()
            },
        )
        .unwrap();
        assert_eq!(after.tax_lines[0].net_taxable, dec("90"));
        assert_eq!(after.total_tax, dec("7.2"));
        assert_eq!(after.total, dec("142.2"));
    }

    #[test]
    fn shipping_is_neither_subtotal_nor_discounted_but_can_be_taxed() {
        let ca = [rate("3", "8")];
        let lines = [
            sale("100", &ca),
            Line::Discount(Discount::Amount(dec("20"))),
            Line::Sale {
                amount: dec("10"),
                rates: ca.to_vec(),
                shipping: true,
            },
        ];
        let t = compute(
            &lines,
            TaxMode {
                after_discount: true,
                ..TaxMode::default()
            },
        )
        .unwrap();
        assert_eq!(t.subtotal, dec("100"));
        assert_eq!(t.shipping, dec("10"));
        assert_eq!(t.tax_lines[0].net_taxable, dec("90"));
        assert_eq!(t.total, dec("97.2"));
    }

    #[test]
    fn rates_shared_by_codes_make_one_tax_line_each() {
        // A GST/QST-style group code (5 % + 9.975 %) next to a GST-only line.
        let gst = rate("4", "5");
        let qst = rate("7", "9.975");
        let lines = [
            sale("100", &[gst.clone(), qst.clone()]),
            sale("40", std::slice::from_ref(&gst)),
        ];
        let t = compute(&lines, TaxMode::default()).unwrap();
        assert_eq!(t.tax_lines.len(), 2);
        assert_eq!(t.tax_lines[0].net_taxable, dec("140"));
        assert_eq!(t.tax_lines[0].amount, dec("7"));
        assert_eq!(t.tax_lines[1].amount, dec("9.98"), "9.975 rounds half up");
        assert_eq!(t.total, dec("156.98"));
    }

    #[test]
    fn tax_inclusive_amounts_hold_their_tax() {
        let hst = [rate("5", "13")];
        let t = compute(
            &[sale("113", &hst)],
            TaxMode {
                inclusive: true,
                after_discount: true,
            },
        )
        .unwrap();
        assert_eq!(t.tax_lines[0].net_taxable, dec("100"));
        assert_eq!(t.total_tax, dec("13"));
        assert_eq!(t.total, dec("113"));
    }

    #[test]
    fn a_discount_above_the_subtotal_is_refused() {
        let err = compute(
            &[sale("10", &[]), Line::Discount(Discount::Amount(dec("11")))],
            TaxMode::default(),
        )
        .unwrap_err();
        assert!(matches!(err, TotalsError::DiscountExceedsSubtotal { .. }));
    }

    #[test]
    fn a_negative_subtotal_takes_its_percent_discount() {
        let t = compute(
            &[
                sale("-20", &[]),
                Line::Discount(Discount::Percent(dec("10"))),
            ],
            TaxMode::default(),
        )
        .unwrap();
        assert_eq!(t.discount, dec("-2"));
        assert_eq!(t.total, dec("-18"));
    }

    #[test]
    fn half_cents_round_away_from_zero() {
        assert_eq!(round_cents(dec("0.125")), dec("0.13"));
        assert_eq!(round_cents(dec("0.135")), dec("0.14"));
        assert_eq!(round_cents(dec("-0.125")), dec("-0.13"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any mix of rates, modes and discounts: cents everywhere, one tax line per rate
        /// summing to `total_tax`, and `total` = subtotal − discount + shipping (+ tax when
        /// exclusive); an inclusive tax never exceeds the taxed amounts.
        #[test]
        fn totals_are_cents_and_add_up(
            sales in proptest::collection::vec((1i64..1_000_000, 0usize..4, proptest::bool::ANY), 1..10),
            percent in 0i64..=100,
            inclusive in proptest::bool::ANY,
            after_discount in proptest::bool::ANY,
        ) {
            let codes: [Vec<Rate>; 4] = [
                vec![],
                vec![rate("3", "8")],
                vec![rate("5", "13")],
                vec![rate("4", "5"), rate("7", "9.975")],
            ];
            let mut lines: Vec<Line> = sales
                .iter()
                .map(|(cents, code, shipping)| Line::Sale {
                    amount: Decimal::new(*cents, 2),
                    rates: codes[*code].clone(),
                    shipping: *shipping,
                })
                .collect();
            lines.push(Line::Discount(Discount::Percent(Decimal::from(percent))));
            let t = compute(&lines, TaxMode { inclusive, after_discount }).unwrap();
            for d in [t.subtotal, t.discount, t.shipping, t.total_tax, t.total] {
                proptest::prop_assert_eq!(d, round_cents(d));
            }
            let line_sum: Decimal = t.tax_lines.iter().map(|l| l.amount).sum();
            proptest::prop_assert_eq!(line_sum, t.total_tax);
            let mut ids: Vec<&str> = t.tax_lines.iter().map(|l| l.rate_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            proptest::prop_assert_eq!(ids.len(), t.tax_lines.len());
            let added = if inclusive { Decimal::ZERO } else { t.total_tax };
            proptest::prop_assert_eq!(t.total, t.subtotal - t.discount + t.shipping + added);
            proptest::prop_assert!(t.total >= Decimal::ZERO);
            if inclusive {
                proptest::prop_assert!(t.total_tax <= t.subtotal + t.shipping);
            }
        }
    }
}
