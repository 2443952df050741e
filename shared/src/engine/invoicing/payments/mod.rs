//! QBO payments mirrored onto HubSpot: each paid invoice's balance/status properties,
//! exactly once per payment event a note on each associated deal's timeline, and, where the
//! portal allows it (detected), one HubSpot payment record per invoice paid.

pub mod batch_writes;
pub mod capability;
pub mod cash;
pub mod group;
pub mod mirror;
pub mod note;
pub mod records;
pub mod report_lists;
pub mod tokens;

pub use capability::{PaymentRecordsCapability, PaymentRecordsState, is_portal_refusal};
pub use mirror::{GroupAnswers, PaymentMirror, PaymentSyncReport};
pub use note::{PaymentEvent, PaymentNote, payment_note_html};
pub use records::{PaymentRecordFacts, payment_method_type, payment_record_properties};
pub use tokens::PaymentTokens;

#[cfg(test)]
mod group_tests;
