//! How a record's sync outcome reads on the console's health and activity pages: a failure's
//! vendor code, message and fix, a conflict's field with both values and the rule, an exclusion.

use maud::{Markup, html};

use crate::model::Side;
use crate::ports::{ConflictNote, SyncOutcome};

/// The outcome's label in words (the `data-outcome` attribute carries the stable label).
pub fn outcome_words(outcome: &SyncOutcome, needs_attention: bool) -> &'static str {
    match outcome {
        SyncOutcome::Failed(_) if needs_attention => "Needs attention",
        SyncOutcome::Failed(_) => "Failing",
        SyncOutcome::Synced { .. } => "In sync",
        SyncOutcome::Conflict { .. } => "In sync after a conflict",
        SyncOutcome::Excluded { .. } => "Excluded",
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "HubSpot",
        Side::Quickbooks => "QuickBooks",
    }
}

/// The details of `outcome`: what the vendor said and what to do, or what was settled.
pub fn outcome_detail(outcome: &SyncOutcome) -> Markup {
    match outcome {
        SyncOutcome::Failed(detail) => html! {
            p.vendor-message {
                @if let Some(code) = &detail.code { code { (code) } " " }
                (detail.message)
            }
            @if let Some(fix) = detail.fix() {
                p.fix { strong { "Fix: " } (fix) }
            }
        },
        SyncOutcome::Conflict { conflicts } => conflict_list(conflicts),
        SyncOutcome::Excluded { filter } => html! { p { "Excluded by " (filter) } },
        SyncOutcome::Synced { note, warnings } => html! {
            @if let Some(note) = note { p { (note) } }
            @for warning in warnings {
                p.warning { (warning.field) " (" (side_name(warning.side)) " side): " (warning.message) }
            }
        },
    }
}

/// Each conflicting field: its HubSpot and QuickBooks values, the side kept and the rule.
pub fn conflict_list(conflicts: &[ConflictNote]) -> Markup {
    html! {
        ul.conflicts {
            @for note in conflicts {
                li data-field=(note.field) {
                    strong { (note.field) } ": HubSpot "
                    q.hubspot-value { (note.hubspot_value.as_deref().unwrap_or("(empty)")) }
                    ", QuickBooks "
                    q.quickbooks-value { (note.quickbooks_value.as_deref().unwrap_or("(empty)")) }
                    "; kept " (side_name(note.winner)) "'s value ("
                    span.rule { (note.rule) } ")"
                }
            }
        }
    }
}
