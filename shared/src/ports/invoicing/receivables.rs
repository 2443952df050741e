//! The QuickBooks reads the receivables flow makes (docs/hubspot.md §4.1): one customer's open
//! invoices and latest payment, and every open invoice of the company for the daily sweep.

use async_trait::async_trait;

use crate::quickbooks::QboError;
use crate::quickbooks::entities::{Invoice, Payment};

/// QBO reads of what customers owe.
#[async_trait]
pub trait QboReceivables: Send + Sync {
    /// The customer's invoices with `Balance > 0` (one query:
    /// `select * from Invoice where CustomerRef = '…' and Balance > '0'`).
    async fn open_invoices_of(&self, customer_id: &str) -> Result<Vec<Invoice>, QboError>;
    /// The customer's latest payment by `TxnDate` with a non-zero total (voided payments are
    /// zeroed, docs/quickbooks.md §5.5), if any (one query).
    async fn latest_payment_of(&self, customer_id: &str) -> Result<Option<Payment>, QboError>;
    /// Every invoice of the company with `Balance > 0` (one query per 1000).
    async fn all_open_invoices(&self) -> Result<Vec<Invoice>, QboError>;
}
