//! What every company has before any customer exists (docs/quickbooks.md §4.3, §4.6): the
//! default chart of accounts, tax codes, Preferences (with `CustomTxnNumbers`) and CompanyInfo.

use serde_json::{Map, Value, json};

use super::{ChangeOp, Company, check_update};
use crate::quickbooks::entity_kind::{EntityKind, IdKey};
use crate::quickbooks::fault::Fault;

/// The default chart of accounts: (Id, Name, AccountType, AccountSubType, Classification).
/// Ids and names follow the docs' sample company (item fixtures reference 1, 79, 80, 81).
pub const DEFAULT_ACCOUNTS: &[(u64, &str, &str, &str, &str)] = &[
    (1, "Services", "Income", "ServiceFeeIncome", "Revenue"),
    (
        4,
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
        "Asset",
    ),
    (
        33,
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
        "Liability",
    ),
    (35, "Checking", "Bank", "Checking", "Asset"),
    (
        79,
        "Sales of Product Income",
        "Income",
        "SalesOfProductIncome",
        "Revenue",
    ),
    (
        80,
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
        "Expense",
    ),
    (
        81,
        "Inventory Asset",
        "Other Current Asset",
        "Inventory",
        "Asset",
    ),
    (
        86,
        "Discounts given",
        "Income",
        "DiscountsRefundsGiven",
        "Revenue",
    ),
    (
        84,
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        "Asset",
    ),
];

/// Id of the default income account for service items.
pub const SERVICES_INCOME_ACCOUNT_ID: &str = "1";

pub fn seed(company: &mut Company, now_ms: i64) {
    for (id, name, account_type, sub_type, classification) in DEFAULT_ACCOUNTS {
        let body = json!({
            "Name": name, "FullyQualifiedName": name, "AccountType": account_type,
            "AccountSubType": sub_type, "Classification": classification, "Active": true,
            "SubAccount": false, "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0,
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"}
        });
        insert(company, EntityKind::Account, IdKey::Num(*id), body, now_ms);
    }
    // §4.6, §17.3: tax agencies, rates and codes of both tax models.
    super::tax::seed(company, now_ms);
    insert(
        company,
        EntityKind::Preferences,
        IdKey::Num(1),
        preferences(),
        now_ms,
    );
    insert(
        company,
        EntityKind::CompanyInfo,
        IdKey::Num(1),
        company_info(),
        now_ms,
    );
}

fn insert(company: &mut Company, kind: EntityKind, id: IdKey, body: Value, now_ms: i64) {
    if let Value::Object(body) = body {
        company.insert_new(kind, Some(id), body, now_ms);
    }
}

/// Preferences of a new US company (shape of fixture `preferences-read-response.json`).
fn preferences() -> Value {
    json!({
        "AccountingInfoPrefs": {"TrackDepartments": false, "ClassTrackingPerTxn": false,
            "ClassTrackingPerTxnLine": false, "CustomerTerminology": "Customers"},
        "ProductAndServicesPrefs": {"ForSales": true, "ForPurchase": true,
            "QuantityWithPriceAndRate": true, "QuantityOnHand": true},
        "SalesFormsPrefs": {"CustomTxnNumbers": false, "AllowDeposit": false,
            "AllowDiscount": true, "DefaultDiscountAccount": "86", "AllowEstimates": true, "AllowServiceDate": false,
            "AllowShipping": false, "DefaultTerms": {"value": "3"}, "UsingPriceLevels": false,
            "ETransactionEnabledStatus": "NotApplicable", "IPNSupportEnabled": false},
        "VendorAndPurchasesPrefs": {"TrackingByCustomer": true, "BillableExpenseTracking": true},
        "TaxPrefs": {"UsingSalesTax": true, "TaxGroupCodeRef": {"value": "2"}},
        "CurrencyPrefs": {"MultiCurrencyEnabled": false, "HomeCurrency": {"value": "USD"}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": false},
        "OtherPrefs": {"NameValue": [
            {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": "Thank you for your business."},
            {"Name": "UncategorizedIncomeAccountId", "Value": "1"}
        ]}
    })
}

/// CompanyInfo of the sandbox company (shape of fixture `companyinfo-read-response.json`;
/// address `Country` in ISO alpha-3 per the 2025 change, §1).
fn company_info() -> Value {
    let addr = json!({"Line1": "100 Sandbox Way", "City": "Mountain View",
        "CountrySubDivisionCode": "CA", "PostalCode": "94043", "Country": "USA", "Id": "1"});
    json!({
        "CompanyName": "HQSync Sandbox Company", "LegalName": "HQSync Sandbox Company",
        "CompanyAddr": addr, "CustomerCommunicationAddr": addr, "LegalAddr": addr,
        "Country": "US", "SupportedLanguages": "en", "FiscalYearStartMonth": "January",
        "CompanyStartDate": "2026-01-01", "Email": {"Address": "owner@sandbox.example"},
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"}, "WebAddr": {},
        "NameValue": [
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "ItemCategoriesFeature", "Value": "false"},
            {"Name": "NeoEnabled", "Value": "true"}
        ]
    })
}

/// The singleton entity (Id 1) of `kind`.
pub fn singleton(company: &Company, kind: EntityKind) -> Value {
    company
        .get(kind, "1")
        .map(|e| Value::Object(e.body.clone()))
        .unwrap_or(Value::Null)
}

pub fn custom_txn_numbers(company: &Company) -> bool {
    company
        .get(EntityKind::Preferences, "1")
        .and_then(|p| {
            p.body
                .get("SalesFormsPrefs")?
                .get("CustomTxnNumbers")?
                .as_bool()
        })
        .unwrap_or(false)
}

pub fn set_custom_txn_numbers(company: &mut Company, on: bool, now_ms: i64) {
    set_sales_forms_flag(company, "CustomTxnNumbers", on, now_ms);
}

/// Sets one boolean of `Preferences.SalesFormsPrefs`, recorded as a Preferences Update.
pub fn set_sales_forms_flag(company: &mut Company, flag: &str, on: bool, now_ms: i64) {
    let Some(stored) = company.get(EntityKind::Preferences, "1") else {
        return;
    };
    let mut body = stored.body.clone();
    if let Some(Value::Object(sales)) = body.get_mut("SalesFormsPrefs") {
        sales.insert(flag.into(), on.into());
    }
    company.replace(EntityKind::Preferences, "1", body, ChangeOp::Update, now_ms);
}

/// `POST /preferences` (§4.6): a sparse update merges sub-aggregates field by field.
pub fn update_preferences(
    company: &mut Company,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let mut request = body;
    request.entry("Id").or_insert("1".into());
    let current = check_update(company, EntityKind::Preferences, "1", &request)?;
    let mut merged = current.clone();
    for (k, v) in request {
        if ["Id", "SyncToken", "MetaData", "domain", "sparse"].contains(&k.as_str()) {
            continue;
        }
        match (merged.get_mut(&k), v) {
            (Some(Value::Object(existing)), Value::Object(patch)) => {
                for (pk, pv) in patch {
                    existing.insert(pk, pv);
                }
            }
            (_, v) => {
                merged.insert(k, v);
            }
        }
    }
    Ok(company.replace(
        EntityKind::Preferences,
        "1",
        merged,
        ChangeOp::Update,
        now_ms,
    ))
}
