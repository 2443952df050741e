//! The company's sales tax setup (docs/quickbooks.md §17.3): seeded TaxAgency, TaxRate and
//! TaxCode entities for the US and the non-US ("global") model, the country switch, and codes.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::fields::{flag_or_true, get_path, money_field, ref_id};
use super::{ChangeOp, Company};
use crate::quickbooks::entity_kind::{EntityKind, IdKey};
use crate::quickbooks::state::txn_totals::Rate;

/// Tax agencies: (Id, DisplayName, belongs to the non-US model).
const AGENCIES: &[(u64, &str, bool)] = &[
    (
        1,
        "California Department of Tax and Fee Administration",
        false,
    ),
    (2, "Canada Revenue Agency", true),
    (3, "Revenu Quebec", true),
];

/// Tax rates: (Id, Name, RateValue in percent, agency Id, non-US model). Rate 3 at 8 % is the
/// docs invoice sample's `TaxRateRef` (fixture `invoice-read-response.json`).
const RATES: &[(u64, &str, &str, u64, bool)] = &[
    (3, "California", "8", 1, false),
    (4, "GST", "5", 2, true),
    (5, "HST ON", "13", 2, true),
    (6, "GST/HST Zero-rated", "0", 2, true),
    (7, "QST", "9.975", 3, true),
];

/// Tax codes: (Id, Name, Taxable, rate Ids, non-US model). `TAX`/`NON` are the US pseudo codes
/// and `2` the US code the invoice sample's `TxnTaxCodeRef` names (§4.6).
const CODES: &[(&str, &str, bool, &[u64], bool)] = &[
    ("TAX", "TAX", true, &[], false),
    ("NON", "NON", false, &[], false),
    ("2", "California", true, &[3], false),
    ("4", "GST", true, &[4], true),
    ("5", "HST ON", true, &[5], true),
    ("6", "Exempt", false, &[6], true),
    ("7", "GST/QST QC", true, &[4, 7], true),
];

/// The US pseudo code for taxable lines (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales).
pub const TAXABLE_PSEUDO_CODE: &str = "TAX";
/// The US pseudo code for non-taxable lines, the default of a line without one (UNVERIFIED).
pub const NON_TAXABLE_PSEUDO_CODE: &str = "NON";

/// Seeds every agency, rate and code; those of the model the company does not use are
/// inactive (name lists hide them, §6) until [`set_country`] switches.
pub fn seed(company: &mut Company, now_ms: i64) {
    for (id, name, _) in AGENCIES {
        let body = json!({"DisplayName": name, "TaxTrackedOnSales": true,
                          "TaxTrackedOnPurchases": false});
        insert(
            company,
            EntityKind::TaxAgency,
            IdKey::Num(*id),
            body,
            now_ms,
        );
    }
    for (id, name, percent, agency, global) in RATES {
        let rate = super::fields::money(&Value::String((*percent).to_owned())).unwrap_or_default();
        let body = json!({"Name": name, "Description": name, "Active": !global,
            "RateValue": super::fields::money_value(rate), "AgencyRef": {"value": agency.to_string()},
            "SpecialTaxType": "NONE", "DisplayType": "ReadOnly"});
        insert(company, EntityKind::TaxRate, IdKey::Num(*id), body, now_ms);
    }
    for (id, name, taxable, rates, global) in CODES {
        let details: Vec<Value> = rates
            .iter()
            .enumerate()
            .map(|(order, rate)| {
                let rate_name = RATES.iter().find(|r| r.0 == *rate).map_or("", |r| r.1);
                json!({"TaxRateRef": {"value": rate.to_string(), "name": rate_name},
                       "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": order})
            })
            .collect();
        let body = json!({
            "Name": name, "Description": name, "Active": !global, "Taxable": taxable,
            "TaxGroup": rates.len() > 1 || *id == "2", "Hidden": false,
            "SalesTaxRateList": {"TaxRateDetail": details},
            "PurchaseTaxRateList": {"TaxRateDetail": []}
        });
        insert(company, EntityKind::TaxCode, IdKey::parse(id), body, now_ms);
    }
}

fn insert(company: &mut Company, kind: EntityKind, id: IdKey, body: Value, now_ms: i64) {
    if let Value::Object(body) = body {
        company.insert_new(kind, Some(id), body, now_ms);
    }
}

/// Whether the company uses the US sales tax model: `CompanyInfo.Country` is the US
/// (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales
/// describes the other model).
pub fn is_us(company: &Company) -> bool {
    let country = company
        .get(EntityKind::CompanyInfo, "1")
        .and_then(|c| c.body.get("Country")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "US".into());
    matches!(country.to_ascii_uppercase().as_str(), "US" | "USA")
}

/// `Preferences.TaxPrefs.UsingSalesTax` (the non-US page requires it for tax to be computed).
pub fn using_sales_tax(company: &Company) -> bool {
    company
        .get(EntityKind::Preferences, "1")
        .and_then(|p| get_path(&p.body, "TaxPrefs.UsingSalesTax")?.as_bool())
        .unwrap_or(true)
}

/// The US transaction tax code used when a transaction names none:
/// `Preferences.TaxPrefs.TaxGroupCodeRef` (captured in `preferences-read-response.json`; that it
/// acts as the default is UNVERIFIED, docs/quickbooks.md §17.3).
pub fn default_us_code(company: &Company) -> Option<String> {
    let prefs = company.get(EntityKind::Preferences, "1")?;
    let tax = prefs.body.get("TaxPrefs")?.as_object()?;
    ref_id(tax, "TaxGroupCodeRef")
}

/// An active tax code by Id, with its sales rates.
pub struct Code {
    pub id: String,
    pub taxable: bool,
    pub rates: Vec<Rate>,
}

pub fn code(company: &Company, id: &str) -> Option<Code> {
    let stored = company
        .get(EntityKind::TaxCode, id)
        .filter(|c| flag_or_true(&c.body, "Active"))?;
    let taxable = matches!(stored.body.get("Taxable"), Some(Value::Bool(true)));
    let rates = get_path(&stored.body, "SalesTaxRateList.TaxRateDetail")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let rate_id = ref_id(d.as_object()?, "TaxRateRef")?;
            let rate = company.get(EntityKind::TaxRate, &rate_id)?;
            Some(Rate {
                percent: money_field(&rate.body, "RateValue").unwrap_or(Decimal::ZERO),
                id: rate_id,
            })
        })
        .collect();
    Some(Code {
        id: id.to_owned(),
        taxable,
        rates,
    })
}

/// Switches the country (`CompanyInfo.Country`, an Update) and with it the tax model: the
/// other model's agencies' rates and codes become inactive, silently (not in CDC, §7).
pub fn set_country(company: &mut Company, country: &str, now_ms: i64) {
    if let Some(info) = company.get(EntityKind::CompanyInfo, "1") {
        let mut body = info.body.clone();
        body.insert("Country".into(), country.to_ascii_uppercase().into());
        company.replace(EntityKind::CompanyInfo, "1", body, ChangeOp::Update, now_ms);
    }
    let global = !is_us(company);
    for (id, _, _, _, is_global) in RATES {
        company.patch_silently(
            EntityKind::TaxRate,
            &id.to_string(),
            "Active",
            (*is_global == global).into(),
        );
    }
    for (id, _, _, _, is_global) in CODES {
        company.patch_silently(
            EntityKind::TaxCode,
            id,
            "Active",
            (*is_global == global).into(),
        );
    }
}
