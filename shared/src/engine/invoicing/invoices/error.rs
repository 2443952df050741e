//! Why an invoice, payment or action could not be mirrored: records it waits for, a reason a
//! user can act on ("needs attention"), or a vendor failure to retry.

use crate::hubspot::HubspotError;
use crate::hubspot::batch::BatchItemError;
use crate::hubspot::error::ApiErrorBody;
use crate::model::CustomerModel;
use crate::quickbooks::QboError;

/// QBO records an invoice refers to that have no HubSpot counterpart yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlinkedRecords {
    /// The invoice's customer: `(Id, DisplayName)`.
    pub customer: Option<(String, Option<String>)>,
    /// Item Ids of its lines (only when the product sync links items, see
    /// `InvoiceSyncSettings::require_linked_items`).
    pub items: Vec<String>,
    /// The connection's customer model: which HubSpot object the customer waits for.
    pub customer_model: CustomerModel,
}

impl UnlinkedRecords {
    pub fn is_empty(&self) -> bool {
        self.customer.is_none() && self.items.is_empty()
    }
}

impl std::fmt::Display for UnlinkedRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some((id, name)) = &self.customer {
            parts.push(format!(
                "QuickBooks customer {} ({id}) is not linked to a HubSpot {}",
                name.as_deref().unwrap_or("?"),
                self.customer_model.customer_kind()
            ));
        }
        if !self.items.is_empty() {
            parts.push(format!(
                "QuickBooks items {} are not linked to HubSpot products",
                self.items.join(", ")
            ));
        }
        write!(f, "{}", parts.join("; "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InvoiceSyncError {
    /// Waits for the contact/product sync to link these records (the worker syncs them first).
    #[error("{0}; sync them first")]
    Unlinked(UnlinkedRecords),
    /// Cannot proceed until someone fixes the data; the text says what to do.
    #[error("needs attention: {0}")]
    NeedsAttention(String),
    #[error("HubSpot: {0}")]
    Hubspot(#[from] HubspotError),
    #[error("QuickBooks: {0}")]
    Quickbooks(#[from] QboError),
}

/// A batch input's failure as the error one call would have answered (the vendor's message
/// kept), so the job records it as it would a single call's.
pub fn item_error(e: &BatchItemError) -> HubspotError {
    let body = Box::new(ApiErrorBody {
        message: Some(e.message.clone()),
        category: e.category.clone(),
        ..ApiErrorBody::default()
    });
    match e.category.as_deref() {
        _ if e.retryable => HubspotError::Transient {
            status: e.status.unwrap_or(503),
            retry_after: None,
            body,
        },
        Some("VALIDATION_ERROR") => HubspotError::Validation {
            properties: e.properties.clone(),
            body,
        },
        Some("CONFLICT") => HubspotError::Conflict {
            existing_id: e.existing_id.clone(),
            body,
        },
        Some("OBJECT_NOT_FOUND") => HubspotError::NotFound { body },
        _ => HubspotError::Api {
            status: e.status.unwrap_or(400),
            body,
        },
    }
}
