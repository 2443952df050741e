//! QBO invoices mirrored one-way into HubSpot invoices: pure planning (`amounts`,
//! `properties`, `lines`, `write_plan`) separate from the I/O that applies it (`mirror` for one
//! invoice, `create` for its first write, `group` for a job group's invoices in batches).

pub mod amounts;
mod create;
pub mod error;
mod group;
pub mod lines;
pub mod mirror;
pub mod properties;
pub mod settings;
mod write_plan;

pub use error::{InvoiceSyncError, UnlinkedRecords};
pub use mirror::{InvoiceMirror, MirrorOutcome, MirroredInvoice};
pub use settings::InvoiceSyncSettings;
