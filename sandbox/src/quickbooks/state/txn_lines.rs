//! A sales transaction's `Line` array as QBO rebuilds it (docs/quickbooks.md §4.4, §17): items,
//! quantities, tax codes and discounts checked and resolved for `txn_totals`, results written back.

use serde_json::{Map, Value, json};

use super::Company;
use super::fields::{
    flag_or_true, get_path, money, money_field, money_value, ref_id, ref_value, text,
};
use super::tax::{self, NON_TAXABLE_PSEUDO_CODE, TAXABLE_PSEUDO_CODE};
use super::txn_totals::{self, Discount, Line, Rate, TaxMode, Totals, round_cents};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The item id of the shipping line (`Preferences.SalesFormsPrefs.AllowShipping`, §17.1).
pub const SHIPPING_ITEM_ID: &str = "SHIPPING_ITEM_ID";

/// The discount account of the docs company (`SalesFormsPrefs.DefaultDiscountAccount` "86" in
/// `preferences-read-response.json`; the estimate sample names it "Discounts given").
const DEFAULT_DISCOUNT_ACCOUNT: (&str, &str) = ("86", "Discounts given");

/// The non-US refusal of a taxable line without a tax code, as captured from a Canadian
/// company (fixture `error-6000-business-validation.json`).
const MISSING_TAX_CODE: &str =
    "Make sure all your transactions have a GST/HST rate before you save.";

/// `GlobalTaxCalculation` (non-US companies, §17.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalTaxCalculation {
    TaxExcluded,
    TaxInclusive,
    NotApplicable,
}

impl GlobalTaxCalculation {
    fn parse(body: &Map<String, Value>) -> Result<Self, Fault> {
        // UNVERIFIED (§17.4): the default when absent; TaxExcluded as in the QBO UI.
        match text(body, "GlobalTaxCalculation").unwrap_or("TaxExcluded") {
            "TaxExcluded" => Ok(Self::TaxExcluded),
            "TaxInclusive" => Ok(Self::TaxInclusive),
            "NotApplicable" => Ok(Self::NotApplicable),
            other => Err(Fault::invalid_enumeration("GlobalTaxCalculation", other)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::TaxExcluded => "TaxExcluded",
            Self::TaxInclusive => "TaxInclusive",
            Self::NotApplicable => "NotApplicable",
        }
    }
}

/// How the transaction is taxed.
enum Model {
    /// US: lines say TAX or NON; the rates are the transaction code's (`None`: no tax).
    Us {
        code: Option<tax::Code>,
        named: bool,
    },
    Global(GlobalTaxCalculation),
}

/// The rebuilt lines and what was computed from them.
pub struct Priced {
    pub lines: Vec<Value>,
    pub totals: Totals,
    pub tax_detail: Value,
    pub apply_tax_after_discount: Option<bool>,
    pub global: Option<&'static str>,
}

impl Priced {
    /// Writes `Line`, `TotalAmt`, `TxnTaxDetail` and the tax switches into `body`.
    pub fn apply(&self, body: &mut Map<String, Value>) {
        body.insert("Line".into(), Value::Array(self.lines.clone()));
        body.insert("TotalAmt".into(), money_value(self.totals.total));
        body.insert("TxnTaxDetail".into(), self.tax_detail.clone());
        match self.apply_tax_after_discount {
            Some(flag) => body.insert("ApplyTaxAfterDiscount".into(), flag.into()),
            None => body.remove("ApplyTaxAfterDiscount"),
        };
        match self.global {
            Some(g) => body.insert("GlobalTaxCalculation".into(), g.into()),
            None => body.remove("GlobalTaxCalculation"),
        };
    }
}

/// Prices `body`'s lines. `existing` are the stored lines (their Ids are kept); `current_code`
/// the stored `TxnTaxCodeRef` an update keeps unless it sends another.
pub fn price(
    company: &Company,
    body: &Map<String, Value>,
    existing: Option<&Value>,
    current_code: Option<String>,
) -> Result<Priced, Fault> {
    let lines = body
        .get("Line")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Fault::required_param("Line"))?;
    let model = model(company, body, current_code)?;
    let existing_ids: Vec<u64> = existing
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l.get("Id")?.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut next_id = existing_ids.iter().copied().max().unwrap_or(0) + 1;
    let mut out: Vec<Map<String, Value>> = Vec::new();
    let mut resolved: Vec<(usize, Line)> = Vec::new();
    let mut numbered = 0;
    let mut any_taxable = false;
    for line in lines {
        let Some(line) = line.as_object() else {
            return Err(Fault::invalid_property("Line"));
        };
        let detail_type = text(line, "DetailType").unwrap_or("SalesItemLineDetail");
        if detail_type == "SubTotalLineDetail" {
            continue;
        }
        let mut line = line.clone();
        if detail_type == "DiscountLineDetail" {
            // The docs samples show discount lines without Id or LineNum.
            line.remove("Id");
            line.remove("LineNum");
            resolved.push((out.len(), Line::Discount(discount_line(&mut line)?)));
            out.push(line);
            continue;
        }
        let id = text(&line, "Id")
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|id| *id > 0 && existing_ids.contains(id))
            .unwrap_or_else(|| {
                next_id += 1;
                next_id - 1
            });
        numbered += 1;
        line.insert("Id".into(), id.to_string().into());
        line.insert("LineNum".into(), numbered.into());
        if detail_type == "SalesItemLineDetail"
            && let Some((sale, taxable)) = sales_line(company, &model, &mut line)?
        {
            any_taxable |= taxable;
            resolved.push((out.len(), sale));
        }
        out.push(line);
    }
    let mode = mode(company, body, &model);
    let only: Vec<Line> = resolved.iter().map(|(_, l)| l.clone()).collect();
    let totals =
        txn_totals::compute(&only, mode).map_err(|e| Fault::business_validation(&e.to_string()))?;
    // Computed discount amounts go back onto their lines.
    let mut discounts = totals.discounts.iter();
    for (at, line) in &resolved {
        if matches!(line, Line::Discount(_))
            && let Some(amount) = discounts.next()
        {
            out[*at].insert("Amount".into(), money_value(*amount));
        }
    }
    // QBO's subtotal line: before the first discount or shipping line, else last (samples).
    let subtotal_at = resolved
        .iter()
        .find(|(_, l)| matches!(l, Line::Discount(_) | Line::Sale { shipping: true, .. }))
        .map_or(out.len(), |(at, _)| *at);
    let mut lines: Vec<Value> = out.into_iter().map(Value::Object).collect();
    lines.insert(
        subtotal_at,
        json!({"DetailType": "SubTotalLineDetail", "Amount": money_value(totals.subtotal),
               "SubTotalLineDetail": {}}),
    );
    let tax_detail = tax_detail(&model, &totals, any_taxable);
    let (apply_tax_after_discount, global) = match model {
        Model::Us { .. } => (Some(mode.after_discount), None),
        Model::Global(g) => (None, Some(g.name())),
    };
    Ok(Priced {
        lines,
        totals,
        tax_detail,
        apply_tax_after_discount,
        global,
    })
}

fn model(
    company: &Company,
    body: &Map<String, Value>,
    current_code: Option<String>,
) -> Result<Model, Fault> {
    if !tax::is_us(company) {
        return GlobalTaxCalculation::parse(body).map(Model::Global);
    }
    let sent = body
        .get("TxnTaxDetail")
        .and_then(Value::as_object)
        .and_then(|d| ref_id(d, "TxnTaxCodeRef"));
    let named = sent.is_some() || current_code.is_some();
    let Some(id) = sent
        .or(current_code)
        .or_else(|| tax::default_us_code(company))
    else {
        return Ok(Model::Us { code: None, named });
    };
    let code = tax::code(company, &id)
        .ok_or_else(|| Fault::invalid_reference("TxnTaxDetail.TxnTaxCodeRef"))?;
    Ok(Model::Us {
        code: tax::using_sales_tax(company).then_some(code),
        named,
    })
}

/// §17.2: US transactions take `ApplyTaxAfterDiscount` as sent, else the company default; the
/// non-US model always taxes the discounted amounts (UNVERIFIED).
fn mode(company: &Company, body: &Map<String, Value>, model: &Model) -> TaxMode {
    match model {
        Model::Us { .. } => TaxMode {
            inclusive: false,
            after_discount: body
                .get("ApplyTaxAfterDiscount")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| company.tax_after_discount_default()),
        },
        Model::Global(g) => TaxMode {
            inclusive: *g == GlobalTaxCalculation::TaxInclusive,
            after_discount: true,
        },
    }
}

/// `DiscountLineDetail` (§17.2): `PercentBased` needs `DiscountPercent`, otherwise `Amount`
/// (legacy 6090 when neither is there).
fn discount_line(line: &mut Map<String, Value>) -> Result<Discount, Fault> {
    let mut detail = line
        .get("DiscountLineDetail")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let discount = if matches!(detail.get("PercentBased"), Some(Value::Bool(true))) {
        let percent = detail
            .get("DiscountPercent")
            .and_then(money)
            .ok_or_else(Fault::discount_line_incomplete)?;
        detail.insert("DiscountPercent".into(), money_value(percent));
        Discount::Percent(percent)
    } else {
        let amount = money_field(line, "Amount").ok_or_else(Fault::discount_line_incomplete)?;
        detail.insert("PercentBased".into(), false.into());
        Discount::Amount(amount)
    };
    detail
        .entry("DiscountAccountRef")
        .or_insert_with(|| ref_value(DEFAULT_DISCOUNT_ACCOUNT.0, Some(DEFAULT_DISCOUNT_ACCOUNT.1)));
    line.insert("DiscountLineDetail".into(), Value::Object(detail));
    Ok(discount)
}

/// Checks one `SalesItemLineDetail` line and resolves it; `None` for a line without `ItemRef`
/// (§4.4: documentation, its Amount is ignored). The flag says whether it is taxable.
fn sales_line(
    company: &Company,
    model: &Model,
    line: &mut Map<String, Value>,
) -> Result<Option<(Line, bool)>, Fault> {
    // §17.5: amounts are kept to the cent (UNVERIFIED for more decimals than that).
    let amount = round_cents(
        money_field(line, "Amount").ok_or_else(|| Fault::required_param("Line.Amount"))?,
    );
    line.insert("Amount".into(), money_value(amount));
    let mut detail = line
        .get("SalesItemLineDetail")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(item_id) = ref_id(&detail, "ItemRef") else {
        line.insert("SalesItemLineDetail".into(), Value::Object(detail));
        return Ok(None);
    };
    let qty = detail.get("Qty").and_then(money);
    let shipping = item_id == SHIPPING_ITEM_ID;
    if shipping {
        // §17.1: the shipping line exists only with AllowShipping on; otherwise the id is an
        // unknown item (UNVERIFIED answer, 2500 as for any unknown item).
        if !allow_shipping(company) {
            return Err(Fault::invalid_reference("Line.SalesItemLineDetail.ItemRef"));
        }
    } else {
        let item = company
            .get(EntityKind::Item, &item_id)
            .filter(|i| flag_or_true(&i.body, "Active"))
            .ok_or_else(|| Fault::invalid_reference("Line.SalesItemLineDetail.ItemRef"))?;
        if text(&item.body, "Type") == Some("Inventory") && qty.is_none() {
            // §17.1: an inventory line moves stock, so it needs a quantity (the fault's code
            // is UNVERIFIED; 2020 naming the field).
            return Err(Fault::required_param("Line.SalesItemLineDetail.Qty"));
        }
        detail.insert(
            "ItemRef".into(),
            ref_value(&item_id, item.body.get("Name").and_then(Value::as_str)),
        );
    }
    let unit_price = detail.get("UnitPrice").and_then(money);
    if let (Some(q), Some(p)) = (qty, unit_price)
        && round_cents(q * p) != round_cents(amount)
    {
        // §4.4: the stand-in rejects Amount != Qty x UnitPrice with legacy 6070.
        return Err(Fault::amount_calculation(&amount.to_string()));
    }
    if let Some(q) = qty {
        detail.insert("Qty".into(), money_value(q));
    }
    if let Some(p) = unit_price {
        detail.insert("UnitPrice".into(), money_value(p));
    }
    let (rates, taxable) = line_rates(company, model, &mut detail)?;
    line.insert("SalesItemLineDetail".into(), Value::Object(detail));
    Ok(Some((
        Line::Sale {
            amount,
            rates,
            shipping,
        },
        taxable,
    )))
}

/// The rates that tax a line, from its `TaxCodeRef` (§17.3).
fn line_rates(
    company: &Company,
    model: &Model,
    detail: &mut Map<String, Value>,
) -> Result<(Vec<Rate>, bool), Fault> {
    let sent = ref_id(detail, "TaxCodeRef");
    match model {
        Model::Us { code, .. } => {
            let id = sent.unwrap_or_else(|| NON_TAXABLE_PSEUDO_CODE.to_owned());
            // §17.3: US lines say only TAX or NON (legacy 6100 otherwise).
            let taxable = match id.as_str() {
                TAXABLE_PSEUDO_CODE => true,
                NON_TAXABLE_PSEUDO_CODE => false,
                other => return Err(Fault::invalid_line_tax_code(other)),
            };
            detail.insert("TaxCodeRef".into(), json!({"value": id}));
            let rates = match code {
                Some(c) if taxable => c.rates.clone(),
                _ => Vec::new(),
            };
            Ok((rates, taxable))
        }
        Model::Global(GlobalTaxCalculation::NotApplicable) => Ok((Vec::new(), false)),
        Model::Global(_) => {
            let id = sent.ok_or_else(|| Fault::business_validation(MISSING_TAX_CODE))?;
            let code = tax::code(company, &id)
                .ok_or_else(|| Fault::invalid_reference("Line.SalesItemLineDetail.TaxCodeRef"))?;
            detail.insert("TaxCodeRef".into(), json!({"value": id}));
            let rates = if code.taxable { code.rates } else { Vec::new() };
            Ok((rates, code.taxable))
        }
    }
}

/// `Preferences.SalesFormsPrefs.AllowShipping`.
fn allow_shipping(company: &Company) -> bool {
    company
        .get(EntityKind::Preferences, "1")
        .and_then(|p| get_path(&p.body, "SalesFormsPrefs.AllowShipping")?.as_bool())
        .unwrap_or(false)
}

/// `TxnTaxDetail` as the samples show it (§17.3): US `TxnTaxCodeRef` when one applies, then
/// `TotalTax` and a `TaxLine` per rate.
fn tax_detail(model: &Model, totals: &Totals, any_taxable: bool) -> Value {
    let mut detail = Map::new();
    if let Model::Us {
        code: Some(code),
        named,
    } = model
        && (*named || any_taxable)
    {
        detail.insert("TxnTaxCodeRef".into(), json!({"value": code.id}));
    }
    detail.insert("TotalTax".into(), money_value(totals.total_tax));
    let tax_lines: Vec<Value> = totals
        .tax_lines
        .iter()
        .map(|t| {
            json!({"DetailType": "TaxLineDetail", "Amount": money_value(t.amount),
                   "TaxLineDetail": {"NetAmountTaxable": money_value(t.net_taxable),
                       "TaxPercent": money_value(t.percent),
                       "TaxRateRef": {"value": t.rate_id}, "PercentBased": true}})
        })
        .collect();
    if !tax_lines.is_empty() {
        detail.insert("TaxLine".into(), Value::Array(tax_lines));
    }
    Value::Object(detail)
}

#[cfg(test)]
mod tests;
