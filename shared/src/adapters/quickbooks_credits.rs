//! The credits port over `QboClient`: one read per credit memo or refund receipt
//! (docs/quickbooks.md §4.9).

use async_trait::async_trait;

use crate::ports::invoicing::QboCredits;
use crate::quickbooks::entities::{CreditMemo, RefundReceipt};
use crate::quickbooks::{QboClient, QboError};

#[async_trait]
impl QboCredits for QboClient {
    async fn read_credit_memo(&self, id: &str) -> Result<CreditMemo, QboError> {
        self.read::<CreditMemo>(id).await
    }

    async fn read_refund_receipt(&self, id: &str) -> Result<RefundReceipt, QboError> {
        self.read::<RefundReceipt>(id).await
    }
}
