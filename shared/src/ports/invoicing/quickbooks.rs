//! The QuickBooks side of the invoicing flows: invoice and payment reads, the invoice create
//! (with a `requestid`) and send, and the customer/item set-up the workflow action may need.

use async_trait::async_trait;

use crate::model::DocKind;
use crate::quickbooks::entities::{
    Account, CompanyInfo, Customer, Invoice, Item, Payment, Preferences,
};
use crate::quickbooks::{QboError, RequestId};

type Result<T> = std::result::Result<T, QboError>;

/// QBO invoices.
#[async_trait]
pub trait QboInvoices: Send + Sync {
    /// `NotFound` when deleted.
    async fn read_invoice(&self, id: &str) -> Result<Invoice>;
    /// Repeats with the same `request_id` return the first create (docs/quickbooks.md §5.1).
    async fn create_invoice(&self, invoice: &Invoice, request_id: &RequestId) -> Result<Invoice>;
    /// E-mails the invoice (to `send_to` when given) and returns it as sent.
    async fn send_invoice(&self, id: &str, send_to: Option<&str>) -> Result<Invoice>;
    /// Creates an invoice, estimate or sales receipt (all invoice-shaped, docs/quickbooks.md
    /// §17.7); repeats with the same `request_id` return the first create while QBO remembers it.
    async fn create_sales_doc(
        &self,
        kind: DocKind,
        doc: &Invoice,
        request_id: &RequestId,
    ) -> Result<Invoice>;
    /// `NotFound` when deleted.
    async fn read_sales_doc(&self, kind: DocKind, id: &str) -> Result<Invoice>;
    /// Every document of `kind` for customer `customer_id` (`CustomerRef` is filterable, §17.7).
    async fn customer_sales_docs(&self, kind: DocKind, customer_id: &str) -> Result<Vec<Invoice>>;
}

/// QBO payments.
#[async_trait]
pub trait QboPayments: Send + Sync {
    /// `NotFound` when deleted.
    async fn read_payment(&self, id: &str) -> Result<Payment>;
}

/// The company's set-up the workflow action consults.
#[async_trait]
pub trait QboCompanySetup: Send + Sync {
    async fn preferences(&self) -> Result<Preferences>;
    /// Every income account (for items the action creates).
    async fn income_accounts(&self) -> Result<Vec<Account>>;
    /// The company's name and country (US companies use the `TAX`/`NON` pseudo tax codes,
    /// others a real TaxCode per line, docs/quickbooks.md §17.3).
    async fn company_info(&self) -> Result<CompanyInfo>;
}

/// Customers and items the workflow action creates for unlinked contacts and products.
#[async_trait]
pub trait QboCatalog: Send + Sync {
    async fn create_customer(
        &self,
        customer: &Customer,
        request_id: &RequestId,
    ) -> Result<Customer>;
    async fn create_item(&self, item: &Item, request_id: &RequestId) -> Result<Item>;
    /// Items by id (missing ids are absent), for their `SalesTaxCodeRef` and `Taxable`.
    async fn read_items(&self, ids: &[String]) -> Result<Vec<Item>>;
}

/// Everything the invoicing flows need from one QBO company.
pub trait QboInvoicing:
    QboInvoices
    + QboPayments
    + super::QboCredits
    + super::QboReceivables
    + QboCompanySetup
    + QboCatalog
    + std::fmt::Debug
{
}

impl<T> QboInvoicing for T where
    T: QboInvoices
        + QboPayments
        + super::QboCredits
        + super::QboReceivables
        + QboCompanySetup
        + QboCatalog
        + std::fmt::Debug
{
}
