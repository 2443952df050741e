//! The deal side of QBO invoicing: which deal a QBO invoice belongs to, its stage, and the five
//! "latest QuickBooks invoice" deal properties. Pure but `lookup` (resolution's port reads).

pub mod lookup;
pub mod properties;
pub mod resolution;
pub mod stage;

pub use lookup::{resolve_by_contact, resolve_by_owner};
pub use properties::{deal_property_definitions, latest_invoice_deal_properties};
pub use resolution::{
    DEAL_MATCH_PROPERTIES, DEAL_WARNING_FIELD, DealCandidate, DealReference, LINE_MATCH_PROPERTIES,
    LineKey, OpenDealChoice, ambiguous_deal_message, choose_open_deal, choose_open_deal_by_lines,
    deal_line_keys, deal_tag, deal_warning_fix, invoice_line_keys, open_deal_outcome,
    parse_deal_reference, same_line_items_message,
};
pub use stage::{InvoiceStage, invoice_stage, is_voided};
