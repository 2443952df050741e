//! QBO invoices mirrored one-way into HubSpot invoices: pure planning (`properties`,
//! `lines`) separate from the I/O that applies it (`mirror`).

pub mod error;
pub mod lines;
pub mod mirror;
pub mod properties;
pub mod settings;

pub use error::{InvoiceSyncError, UnlinkedRecords};
pub use mirror::{InvoiceMirror, MirrorOutcome, MirroredInvoice};
pub use settings::InvoiceSyncSettings;
