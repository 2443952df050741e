//! The receivables port over `QboClient`: each read is one query statement (docs/quickbooks.md
//! §6), `Balance` and `CustomerRef` being filterable invoice properties.

use async_trait::async_trait;

use crate::ports::invoicing::QboReceivables;
use crate::quickbooks::entities::{Invoice, Payment};
use crate::quickbooks::{QboClient, QboError, Query};

#[async_trait]
impl QboReceivables for QboClient {
    async fn open_invoices_of(&self, customer_id: &str) -> Result<Vec<Invoice>, QboError> {
        self.query_all::<Invoice>(
            Query::select("Invoice")
                .eq("CustomerRef", customer_id)
                .gt("Balance", "0"),
        )
        .await
    }

    async fn latest_payment_of(&self, customer_id: &str) -> Result<Option<Payment>, QboError> {
        let query = Query::select("Payment")
            .eq("CustomerRef", customer_id)
            .gt("TotalAmt", "0")
            .order_by("TxnDate", true)
            .page(1, 1)?;
        Ok(self
            .query::<Payment>(&query)
            .await?
            .items
            .into_iter()
            .next())
    }

    async fn all_open_invoices(&self) -> Result<Vec<Invoice>, QboError> {
        self.query_all::<Invoice>(Query::select("Invoice").gt("Balance", "0"))
            .await
    }
}
