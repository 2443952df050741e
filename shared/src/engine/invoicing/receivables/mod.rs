//! What a QBO customer owes, on the HubSpot record linked to it (docs/hubspot.md §4.1): the
//! pure calculator (`aging`), the property definitions and writes (`properties`).

pub mod aging;
pub mod properties;

pub use aging::{AgingBuckets, LastPayment, OpenInvoice, Receivables, receivables};
