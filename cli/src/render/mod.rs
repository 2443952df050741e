//! Terminal output of the `hqsync` commands: tables (comfy-table) and progress bars (indicatif).
//! Everything printed is built from engine reports, the store or the vendors' answers.

pub mod json;
pub mod preview;
pub mod progress;
pub mod records;
pub mod status;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use hqsync::model::Side;

/// A table with the house style and `header`.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// "HubSpot" / "QuickBooks", for people.
pub fn side_name(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "HubSpot",
        Side::Quickbooks => "QuickBooks",
    }
}
