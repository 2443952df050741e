//! A customer's derived open balances (docs/quickbooks.md §4.1): `Balance`, its own open A/R,
//! and `BalanceWithJobs`, that plus every sub-customer's, kept current after each transaction.

use super::Company;
use super::customer_tree::{children, parent_of};
use super::fields::{money_field, money_value, ref_id};
use crate::quickbooks::entity_kind::EntityKind;
use rust_decimal::Decimal;

/// A customer's `Balance`: "the current open balance (unpaid amount) for that customer"
/// (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer):
/// the opening balance given at create, plus its invoices' open `Balance`, less its credit
/// memos' remaining credit (§17.5) and its payments' `UnappliedAmt` (money received but not yet
/// applied is a credit on the customer's account,
/// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment).
/// Only the customer's own transactions count; sub-customers' are in `BalanceWithJobs`.
pub fn own_balance(company: &Company, customer_id: &str) -> Decimal {
    let sum_of = |kind: EntityKind, field: &str| -> Decimal {
        company
            .table(kind)
            .filter(|(_, e)| ref_id(&e.body, "CustomerRef").as_deref() == Some(customer_id))
            .filter_map(|(_, e)| money_field(&e.body, field))
            .sum()
    };
    company.opening_balance(customer_id) + sum_of(EntityKind::Invoice, "Balance")
        - sum_of(EntityKind::CreditMemo, "Balance")
        - sum_of(EntityKind::Payment, "UnappliedAmt")
}

/// Recomputes `Balance` of `customer_id` and `BalanceWithJobs` of it and each of its parents
/// ("cumulative open balance amount for the Customer (or Job) and all its sub-jobs", read-only,
/// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
/// Derived, so no new customer version and no webhook.
pub fn refresh_customer_balance(company: &mut Company, customer_id: &str) {
    if company.get(EntityKind::Customer, customer_id).is_none() {
        return;
    }
    let own = own_balance(company, customer_id);
    company.patch_silently(
        EntityKind::Customer,
        customer_id,
        "Balance",
        money_value(own),
    );
    let mut node = Some(customer_id.to_owned());
    let mut hops = 0;
    while let Some(id) = node {
        refresh_with_jobs(company, &id);
        node = parent_of(company, &id);
        hops += 1;
        if hops > super::customer_tree::MAX_LEVEL + 1 {
            break;
        }
    }
}

/// `BalanceWithJobs` of one customer from its `Balance` and its children's `BalanceWithJobs`.
fn refresh_with_jobs(company: &mut Company, id: &str) {
    let stored = |id: &str, field: &str| -> Decimal {
        company
            .get(EntityKind::Customer, id)
            .and_then(|c| money_field(&c.body, field))
            .unwrap_or_default()
    };
    let total = stored(id, "Balance")
        + children(company, id)
            .iter()
            .map(|child| stored(child, "BalanceWithJobs"))
            .sum::<Decimal>();
    company.patch_silently(
        EntityKind::Customer,
        id,
        "BalanceWithJobs",
        money_value(total),
    );
}
