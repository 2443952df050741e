//! The deal side of QBO invoicing: which deal a QBO invoice belongs to, its stage, and the five
//! "latest QuickBooks invoice" deal properties. Pure; the I/O lives in `engine::invoicing::invoices`.

pub mod properties;
pub mod resolution;
pub mod stage;

pub use properties::{deal_property_definitions, latest_invoice_deal_properties};
pub use resolution::{
    DEAL_MATCH_PROPERTIES, DEAL_WARNING_FIELD, DealCandidate, DealReference, OpenDealChoice,
    ambiguous_deal_message, choose_open_deal, deal_tag, deal_warning_fix, parse_deal_reference,
};
pub use stage::{InvoiceStage, invoice_stage, is_voided};
