//! The initial sync's report as tables: counts per kind (links, creates and updates per side,
//! collisions, excluded, failed) and the engine's samples of each category.

use comfy_table::Table;
use hqsync::engine::initial_sync::{InitialSyncReport, KindPreview};
use hqsync::model::Side;

use super::table;

fn count(map: &std::collections::BTreeMap<Side, usize>, side: Side) -> String {
    map.get(&side).copied().unwrap_or(0).to_string()
}

/// One row per kind.
pub fn counts_table(report: &InitialSyncReport) -> Table {
    let mut t = table(&[
        "kind",
        "HubSpot",
        "QBO",
        "linked before",
        "new links",
        "create in HubSpot",
        "create in QBO",
        "update HubSpot",
        "update QBO",
        "deactivate",
        "collisions",
        "ambiguous",
        "excluded",
        "failed",
        "deferred",
    ]);
    for kind in &report.kinds {
        t.add_row(row(kind));
    }
    t
}

fn row(k: &KindPreview) -> Vec<String> {
    let deactivations: usize = k.deactivations.values().sum();
    vec![
        k.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        k.hubspot_records.to_string(),
        k.qbo_records.to_string(),
        k.already_linked.to_string(),
        k.new_links.to_string(),
        count(&k.creates, Side::Hubspot),
        count(&k.creates, Side::Quickbooks),
        count(&k.updates, Side::Hubspot),
        count(&k.updates, Side::Quickbooks),
        deactivations.to_string(),
        k.collisions.to_string(),
        k.ambiguous.to_string(),
        k.excluded.to_string(),
        k.failed.to_string(),
        k.deferred.to_string(),
    ]
}

/// The engine's examples: one row per kind, category and sample.
pub fn samples_table(report: &InitialSyncReport) -> Option<Table> {
    let mut t = table(&["kind", "what", "example"]);
    let mut any = false;
    for kind in &report.kinds {
        let name = kind.kind.map(|k| k.as_str()).unwrap_or_default();
        for (category, samples) in &kind.samples {
            for sample in samples {
                any = true;
                t.add_row(vec![
                    name.to_owned(),
                    category.replace('_', " "),
                    sample.clone(),
                ]);
            }
        }
    }
    any.then_some(t)
}

/// Prints both tables under `title`.
pub fn print_report(title: &str, report: &InitialSyncReport) {
    println!("\n{title}");
    println!("{}", counts_table(report));
    if let Some(samples) = samples_table(report) {
        println!("{samples}");
    }
}
