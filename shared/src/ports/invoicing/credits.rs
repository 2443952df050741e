//! The QuickBooks credit forms the credits flow reads (docs/quickbooks.md §4.9): credit memos
//! and refund receipts, each `NotFound` once deleted.

use async_trait::async_trait;

use crate::quickbooks::QboError;
use crate::quickbooks::entities::{CreditMemo, RefundReceipt};

/// QBO credit memos and refund receipts.
#[async_trait]
pub trait QboCredits: Send + Sync {
    /// `NotFound` when deleted.
    async fn read_credit_memo(&self, id: &str) -> Result<CreditMemo, QboError>;
    /// `NotFound` when deleted.
    async fn read_refund_receipt(&self, id: &str) -> Result<RefundReceipt, QboError>;
}
