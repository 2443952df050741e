//! Why an invoice, payment or action could not be mirrored: a reason a user can act on
//! ("needs attention"), or a vendor failure to retry.

use crate::hubspot::HubspotError;
use crate::quickbooks::QboError;

#[derive(Debug, thiserror::Error)]
pub enum InvoiceSyncError {
    /// Cannot proceed until someone fixes the data; the text says what to do.
    #[error("needs attention: {0}")]
    NeedsAttention(String),
    #[error("HubSpot: {0}")]
    Hubspot(#[from] HubspotError),
    #[error("QuickBooks: {0}")]
    Quickbooks(#[from] QboError),
}
