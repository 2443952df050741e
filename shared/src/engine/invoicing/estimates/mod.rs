//! QBO estimates mirrored onto their HubSpot deal (docs/hubspot.md §2.13): the deal's "latest
//! QuickBooks estimate" properties and one note per estimate, rewritten as the estimate moves.

pub mod facts;
pub mod mirror;
pub mod note;
pub mod properties;

pub use facts::{EstimateFacts, EstimateStatus};
pub use mirror::{EstimateMirror, EstimateSyncReport, NoteChange};
pub use note::{EstimateNotes, estimate_note_html};
pub use properties::{estimate_deal_definitions, latest_estimate_properties};

#[cfg(test)]
mod deletion_tests;
