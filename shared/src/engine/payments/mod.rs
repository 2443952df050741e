//! QBO payments mirrored onto HubSpot (issue 6): each paid invoice's balance/status properties
//! and, exactly once per payment event, a note on each associated deal's timeline.

pub mod mirror;
pub mod note;

pub use mirror::{PaymentMirror, PaymentSyncReport};
pub use note::{PaymentEvent, PaymentNote, payment_note_html};
