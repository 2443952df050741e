//! What a QBO customer owes, on the HubSpot record linked to it (docs/hubspot.md §4.1): the
//! pure calculator (`aging`), the properties (`properties`), and keeping them current
//! (`refresh` for customers and the sweep, `deal` for a deal's own invoices).

pub mod aging;
pub mod deal;
pub mod properties;
pub mod refresh;

pub use aging::{AgingBuckets, LastPayment, OpenInvoice, Receivables, receivables};
pub use refresh::{
    CUSTOMER_RECORDS, ReceivablesFlow, ReceivablesReport, ReceivablesSchema, customer_records,
};

#[cfg(test)]
mod refresh_tests;
