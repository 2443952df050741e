//! QBO credit memos and refund receipts mirrored onto HubSpot (docs/quickbooks.md §4.9): the
//! invoices they credit re-mirrored (balance and status follow QBO's) and one deal note each.

pub mod group;
pub mod mirror;
pub mod note;
pub mod tokens;

pub use mirror::{CreditMirror, CreditSyncReport, uses_credit};
pub use note::{CreditEvent, CreditForm, CreditNote, credit_note_html};
pub use tokens::CreditTokens;
