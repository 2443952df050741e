//! QBO invoices mirrored one-way into HubSpot invoices: pure planning (`amounts`,
//! `properties`, `lines`) separate from the I/O that applies it (`mirror`).

pub mod amounts;
pub mod error;
pub mod lines;
pub mod mirror;
pub mod properties;
pub mod settings;

pub use error::{InvoiceSyncError, UnlinkedRecords};
pub use mirror::{InvoiceMirror, MirrorOutcome, MirroredInvoice};
pub use settings::InvoiceSyncSettings;
