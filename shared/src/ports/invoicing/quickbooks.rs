//! The QuickBooks side of the invoicing flows: invoice and payment reads, the invoice create
//! (with a `requestid`) and send, and the customer/item set-up the workflow action may need.

use async_trait::async_trait;

use crate::quickbooks::entities::{Account, Customer, Invoice, Item, Payment, Preferences};
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
}

/// Everything the invoicing flows need from one QBO company.
pub trait QboInvoicing:
    QboInvoices + QboPayments + super::QboCredits + QboCompanySetup + QboCatalog + std::fmt::Debug
{
}

impl<T> QboInvoicing for T where
    T: QboInvoices
        + QboPayments
        + super::QboCredits
        + QboCompanySetup
        + QboCatalog
        + std::fmt::Debug
{
}
