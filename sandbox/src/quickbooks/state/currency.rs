//! A transaction's currency (docs/quickbooks.md §17.6): the home currency and multicurrency
//! preference, the customer's currency, `ExchangeRate` and the home-currency totals.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::fields::{get_path, money, money_field, money_value, ref_id};
use super::txn_totals::round_cents;
use super::{ChangeOp, Company};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The sandbox's exchange-rate table, in US dollars per unit: QBO fills `ExchangeRate` from its
/// own daily rates when a transaction omits it (UNVERIFIED, §17.6); these values are made up.
const USD_PER_UNIT: &[(&str, &str, &str)] = &[
    ("USD", "United States Dollar", "1"),
    ("EUR", "Euro", "1.1"),
    ("GBP", "British Pound Sterling", "1.27"),
    ("CAD", "Canadian Dollar", "0.73"),
    ("AUD", "Australian Dollar", "0.66"),
];

/// `Preferences.CurrencyPrefs.HomeCurrency` (default USD).
pub fn home(company: &Company) -> String {
    company
        .get(EntityKind::Preferences, "1")
        .and_then(|p| {
            get_path(&p.body, "CurrencyPrefs.HomeCurrency.value")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "USD".into())
}

/// `Preferences.CurrencyPrefs.MultiCurrencyEnabled`.
pub fn multicurrency(company: &Company) -> bool {
    company
        .get(EntityKind::Preferences, "1")
        .and_then(|p| get_path(&p.body, "CurrencyPrefs.MultiCurrencyEnabled")?.as_bool())
        .unwrap_or(false)
}

/// Turns multicurrency on (a Preferences Update). Intuit: once enabled it "cannot be
/// disabled" (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies),
/// so turning it off is refused with `Err`.
pub fn set_multicurrency(company: &mut Company, on: bool, now_ms: i64) -> Result<(), String> {
    if multicurrency(company) == on {
        return Ok(());
    }
    if !on {
        return Err("multicurrency cannot be disabled once it has been enabled".into());
    }
    let Some(stored) = company.get(EntityKind::Preferences, "1") else {
        return Err("no preferences".into());
    };
    let mut body = stored.body.clone();
    if let Some(Value::Object(prefs)) = body.get_mut("CurrencyPrefs") {
        prefs.insert("MultiCurrencyEnabled".into(), true.into());
    }
    company.replace(EntityKind::Preferences, "1", body, ChangeOp::Update, now_ms);
    Ok(())
}

fn usd_per_unit(code: &str) -> Option<(&'static str, Decimal)> {
    USD_PER_UNIT
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .and_then(|(_, name, rate)| Some((*name, money(&Value::String((*rate).into()))?)))
}

/// The currency a transaction is in and, when foreign, its rate (home units per foreign unit).
#[derive(Debug, Clone, PartialEq)]
pub struct TxnCurrency {
    pub code: String,
    pub rate: Option<Decimal>,
    multicurrency: bool,
}

/// Resolves a transaction's currency from its `CurrencyRef` (default: the customer's), its
/// `ExchangeRate` (default: the table) and the preferences. UNVERIFIED (§17.6): the codes and
/// wording of the refusals; each is one 6000 here.
pub fn resolve(
    company: &Company,
    body: &Map<String, Value>,
    customer_currency: Option<&str>,
) -> Result<TxnCurrency, Fault> {
    let home = home(company);
    let customer = customer_currency.unwrap_or(&home).to_ascii_uppercase();
    let code = ref_id(body, "CurrencyRef")
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| customer.clone());
    let multicurrency = multicurrency(company);
    if code == home.to_ascii_uppercase() && customer == code {
        return Ok(TxnCurrency {
            code,
            rate: None,
            multicurrency,
        });
    }
    if !multicurrency {
        return Err(Fault::business_validation(&format!(
            "Multicurrency is not turned on for this company, so a transaction can only be in \
             the home currency ({home}), not {code}."
        )));
    }
    if code != customer {
        // §17.6: QBO's wording as a third party reports it for a currency mismatch.
        return Err(Fault::business_validation(
            "The transaction needs to be in the same currency as the A/R and A/P accounts you use.",
        ));
    }
    let rate = match money_field(body, "ExchangeRate").filter(|r| *r > Decimal::ZERO) {
        Some(r) => r,
        None => {
            let (Some((_, foreign)), Some((_, home_rate))) =
                (usd_per_unit(&code), usd_per_unit(&home))
            else {
                return Err(Fault::invalid_reference("CurrencyRef"));
            };
            foreign / home_rate
        }
    };
    Ok(TxnCurrency {
        code,
        rate: Some(rate),
        multicurrency,
    })
}

/// Writes `CurrencyRef`, and with multicurrency on `ExchangeRate` (1 for the home currency,
/// UNVERIFIED) and for a foreign currency `HomeTotalAmt` (and `HomeBalance` when the entity
/// has a balance) = amount × rate, rounded to the cent.
pub fn apply(
    body: &mut Map<String, Value>,
    currency: &TxnCurrency,
    total: Decimal,
    balance: Option<Decimal>,
) {
    let name = usd_per_unit(&currency.code).map(|(n, _)| n);
    let mut reference = json!({"value": currency.code});
    if let Some(name) = name {
        reference["name"] = name.into();
    }
    body.insert("CurrencyRef".into(), reference);
    for f in ["ExchangeRate", "HomeTotalAmt", "HomeBalance"] {
        body.remove(f);
    }
    if !currency.multicurrency {
        return;
    }
    let rate = currency.rate.unwrap_or(Decimal::ONE);
    body.insert("ExchangeRate".into(), money_value(rate));
    if currency.rate.is_some() {
        body.insert(
            "HomeTotalAmt".into(),
            money_value(round_cents(total * rate)),
        );
        if let Some(balance) = balance {
            body.insert(
                "HomeBalance".into(),
                money_value(round_cents(balance * rate)),
            );
        }
    }
}

/// Re-derives `HomeBalance` after the balance changed (payments applied or removed).
pub fn refresh_home_balance(body: &mut Map<String, Value>) {
    if !body.contains_key("HomeBalance") {
        return;
    }
    let (Some(rate), Some(balance)) = (
        money_field(body, "ExchangeRate"),
        money_field(body, "Balance"),
    ) else {
        return;
    };
    body.insert(
        "HomeBalance".into(),
        money_value(round_cents(balance * rate)),
    );
}
