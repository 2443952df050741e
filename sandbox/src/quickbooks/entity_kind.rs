//! The QBO entity kinds the sandbox serves, their names in paths, queries and webhooks, and
//! which properties each one has and can be filtered on (docs/quickbooks.md §4, §6).

use std::fmt;

/// An entity kind (docs/quickbooks.md §1 URI pattern, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    Customer,
    Vendor,
    Employee,
    Item,
    Account,
    TaxCode,
    TaxRate,
    TaxAgency,
    Invoice,
    Payment,
    Estimate,
    SalesReceipt,
    CreditMemo,
    RefundReceipt,
    Preferences,
    CompanyInfo,
}

impl EntityKind {
    pub const ALL: [EntityKind; 16] = [
        EntityKind::Customer,
        EntityKind::Vendor,
        EntityKind::Employee,
        EntityKind::Item,
        EntityKind::Account,
        EntityKind::TaxCode,
        EntityKind::TaxRate,
        EntityKind::TaxAgency,
        EntityKind::Invoice,
        EntityKind::Payment,
        EntityKind::Estimate,
        EntityKind::SalesReceipt,
        EntityKind::CreditMemo,
        EntityKind::RefundReceipt,
        EntityKind::Preferences,
        EntityKind::CompanyInfo,
    ];

    /// The name as in responses and queries (`Customer`).
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Customer => "Customer",
            EntityKind::Vendor => "Vendor",
            EntityKind::Employee => "Employee",
            EntityKind::Item => "Item",
            EntityKind::Account => "Account",
            EntityKind::TaxCode => "TaxCode",
            EntityKind::TaxRate => "TaxRate",
            EntityKind::TaxAgency => "TaxAgency",
            EntityKind::Invoice => "Invoice",
            EntityKind::Payment => "Payment",
            EntityKind::Estimate => "Estimate",
            EntityKind::SalesReceipt => "SalesReceipt",
            EntityKind::CreditMemo => "CreditMemo",
            EntityKind::RefundReceipt => "RefundReceipt",
            EntityKind::Preferences => "Preferences",
            EntityKind::CompanyInfo => "CompanyInfo",
        }
    }

    /// Parses a name case-insensitively (query entity names are case-insensitive, §6).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Name lists return only active records unless the query says otherwise (§6).
    pub fn is_name_list(self) -> bool {
        matches!(
            self,
            EntityKind::Customer
                | EntityKind::Vendor
                | EntityKind::Employee
                | EntityKind::Item
                | EntityKind::Account
                | EntityKind::TaxCode
                | EntityKind::TaxRate
        )
    }

    /// CDC covers every entity here except the tax entities (§7 lists the unsupported ones).
    pub fn in_cdc(self) -> bool {
        !matches!(
            self,
            EntityKind::TaxCode | EntityKind::TaxRate | EntityKind::TaxAgency
        )
    }

    /// The sales transactions whose totals the sandbox computes (docs/quickbooks.md §17).
    pub fn is_sales_form(self) -> bool {
        matches!(
            self,
            EntityKind::Invoice
                | EntityKind::Estimate
                | EntityKind::SalesReceipt
                | EntityKind::CreditMemo
                | EntityKind::RefundReceipt
        )
    }

    /// Properties a query `WHERE`/`ORDERBY` may use (the "filterable" traits listed in §6).
    pub fn filterable(self) -> &'static [&'static str] {
        match self {
            EntityKind::Customer => &[
                "Id",
                "DisplayName",
                "GivenName",
                "MiddleName",
                "FamilyName",
                "CompanyName",
                "FullyQualifiedName",
                "PrimaryEmailAddr",
                "PrintOnCheckName",
                "Active",
                "Balance",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Item => &[
                "Id",
                "Name",
                "Sku",
                "Type",
                "Active",
                "FullyQualifiedName",
                "Taxable",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Invoice => &[
                "Id",
                "DocNumber",
                "TxnDate",
                "DueDate",
                "CustomerRef",
                "Balance",
                "TotalAmt",
                "SalesTermRef",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Payment => &[
                "Id",
                "CustomerRef",
                "TxnDate",
                "PaymentRefNum",
                "TotalAmt",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Account => &[
                "Id",
                "Name",
                "AccountType",
                "AccountSubType",
                "Classification",
                "Active",
                "FullyQualifiedName",
                "CurrentBalance",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::TaxCode => &["Id", "Name", "Active", "Taxable", "TaxGroup"],
            EntityKind::TaxRate => &["Id", "Name", "Active", "RateValue", "AgencyRef"],
            EntityKind::TaxAgency => &["Id", "DisplayName"],
            EntityKind::Estimate
            | EntityKind::SalesReceipt
            | EntityKind::CreditMemo
            | EntityKind::RefundReceipt => &[
                "Id",
                "DocNumber",
                "TxnDate",
                "CustomerRef",
                "TotalAmt",
                "Balance",
                "TxnStatus",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Vendor | EntityKind::Employee => &[
                "Id",
                "DisplayName",
                "GivenName",
                "FamilyName",
                "Active",
                "MetaData.CreateTime",
                "MetaData.LastUpdatedTime",
            ],
            EntityKind::Preferences | EntityKind::CompanyInfo => {
                &["Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"]
            }
        }
    }

    /// Further properties the entity has that are not filterable (naming one in `WHERE` is
    /// "not queryable", §6.1; any other name is "not found").
    pub fn other_properties(self) -> &'static [&'static str] {
        match self {
            EntityKind::Customer => &[
                "SyncToken",
                "Title",
                "Suffix",
                "PrimaryPhone",
                "Mobile",
                "AlternatePhone",
                "Fax",
                "BillAddr",
                "ShipAddr",
                "Notes",
                "WebAddr",
                "BalanceWithJobs",
                "CurrencyRef",
                "Taxable",
                "DefaultTaxCodeRef",
                "PreferredDeliveryMethod",
                "Job",
                "ParentRef",
                "BillWithParent",
            ],
            EntityKind::Item => &[
                "SyncToken",
                "Description",
                "PurchaseDesc",
                "UnitPrice",
                "PurchaseCost",
                "IncomeAccountRef",
                "ExpenseAccountRef",
                "AssetAccountRef",
                "TrackQtyOnHand",
                "QtyOnHand",
                "InvStartDate",
            ],
            EntityKind::Invoice => &[
                "SyncToken",
                "Line",
                "LinkedTxn",
                "PrivateNote",
                "CustomerMemo",
                "BillEmail",
                "BillAddr",
                "ShipAddr",
                "CurrencyRef",
                "EmailStatus",
                "PrintStatus",
                "TxnTaxDetail",
                "ApplyTaxAfterDiscount",
                "GlobalTaxCalculation",
                "ExchangeRate",
                "HomeTotalAmt",
                "HomeBalance",
            ],
            EntityKind::Estimate
            | EntityKind::SalesReceipt
            | EntityKind::CreditMemo
            | EntityKind::RefundReceipt => &[
                "SyncToken",
                "Line",
                "LinkedTxn",
                "PrivateNote",
                "CustomerMemo",
                "BillEmail",
                "BillAddr",
                "ShipAddr",
                "CurrencyRef",
                "EmailStatus",
                "PrintStatus",
                "TxnTaxDetail",
                "ApplyTaxAfterDiscount",
                "GlobalTaxCalculation",
                "ExchangeRate",
                "HomeTotalAmt",
                "RemainingCredit",
                "DepositToAccountRef",
            ],
            EntityKind::TaxCode => &[
                "SyncToken",
                "Description",
                "Hidden",
                "SalesTaxRateList",
                "PurchaseTaxRateList",
            ],
            EntityKind::TaxRate => &[
                "SyncToken",
                "Description",
                "SpecialTaxType",
                "DisplayType",
                "EffectiveTaxRate",
            ],
            EntityKind::TaxAgency => &["SyncToken", "TaxTrackedOnSales", "TaxTrackedOnPurchases"],
            EntityKind::Payment => &[
                "SyncToken",
                "Line",
                "UnappliedAmt",
                "PrivateNote",
                "PaymentMethodRef",
                "DepositToAccountRef",
                "CurrencyRef",
                "DocNumber",
            ],
            EntityKind::Vendor | EntityKind::Employee => &["SyncToken", "PrimaryEmailAddr"],
            _ => &["SyncToken"],
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An entity Id: numeric for everything the sandbox creates, text for the US pseudo tax codes
/// (`TAX`, `NON`, §4.6). Ordered numerically, so `ORDERBY Id` and CDC order by creation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKey {
    Num(u64),
    Text(String),
}

impl IdKey {
    pub fn parse(s: &str) -> Self {
        s.trim()
            .parse::<u64>()
            .map_or_else(|_| IdKey::Text(s.trim().to_owned()), IdKey::Num)
    }
}

impl fmt::Display for IdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdKey::Num(n) => write!(f, "{n}"),
            IdKey::Text(t) => f.write_str(t),
        }
    }
}
