//! `QboClient::send_invoice`: `POST /invoice/{id}/send[?sendTo=]` (docs/quickbooks.md §5.6),
//! which e-mails an invoice; used by the workflow action's "send e-mail" option.

use reqwest::Method;

use super::client::Body;
use super::entities::{Entity, Invoice};
use super::{QboClient, QboError};

impl QboClient {
    /// E-mails the invoice (to `send_to`, else its BillEmail); QBO sets `EmailStatus=EmailSent`
    /// and `DeliveryInfo`. Not idempotent (a repeat sends again), so callers send once.
    pub async fn send_invoice(&self, id: &str, send_to: Option<&str>) -> Result<Invoice, QboError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(QboError::InvalidRequest(format!("invoice id {id:?}")));
        }
        let path = format!("{}/{id}/send", Invoice::PATH);
        let params: Vec<(&str, &str)> = send_to.map(|to| ("sendTo", to)).into_iter().collect();
        self.send(Method::POST, &path, &params, Body::None, false)
            .await?
            .entity(Invoice::NAME)
    }
}
