//! The initial sync's report as tables: counts per two-way kind (links, creates and updates per
//! side, collisions, excluded, failed), the mirrored kinds' backfill, and the engine's samples.

use comfy_table::Table;
use hqsync::engine::sync::initial_sync::{InitialSyncReport, KindPreview};
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

/// The mirrored kinds' backfill (QBO invoices and payments queued for the worker), if any ran.
pub fn mirrored_table(report: &InitialSyncReport) -> Option<Table> {
    if report.mirrored.is_empty() {
        return None;
    }
    let queued = if report.dry_run {
        "would queue"
    } else {
        "jobs queued"
    };
    let mut t = table(&["kind (from QBO)", "QBO records", queued]);
    for m in &report.mirrored {
        let would = if report.dry_run {
            m.qbo_records
        } else {
            m.queued
        };
        t.add_row(vec![
            m.label(),
            m.qbo_records.to_string(),
            would.to_string(),
        ]);
    }
    Some(t)
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

/// Under the `company` customer model, which contacts fall under which company customer.
pub fn contact_merges_table(report: &InitialSyncReport) -> Option<Table> {
    let merges = report.contact_merges.as_ref()?;
    let mut t = table(&["company", "contacts", "e-mails", "QBO customer"]);
    for m in &merges.examples {
        t.add_row(vec![
            m.company.clone(),
            m.contacts.to_string(),
            m.emails.join(", "),
            m.customer.words(),
        ]);
    }
    Some(t)
}

/// One line of totals over `contact_merges`, when there is one.
pub fn contact_merges_line(report: &InitialSyncReport) -> Option<String> {
    let m = report.contact_merges.as_ref()?;
    Some(format!(
        "contacts under company customers: {} contacts of {} companies ({} with several); \
         into existing customers {}, new customers {}, none {}",
        m.contacts,
        m.companies,
        m.companies_with_several_contacts,
        m.into_existing_customer,
        m.into_new_customer,
        m.into_no_customer
    ))
}

/// Prints the tables under `title`.
pub fn print_report(title: &str, report: &InitialSyncReport) {
    println!("\n{title}");
    println!("{}", counts_table(report));
    if let Some(mirrored) = mirrored_table(report) {
        println!("{mirrored}");
    }
    if let Some(samples) = samples_table(report) {
        println!("{samples}");
    }
    if let Some(line) = contact_merges_line(report) {
        println!("{line}");
    }
    if let Some(merges) = contact_merges_table(report).filter(|t| t.row_count() > 0) {
        println!("{merges}");
    }
}

#[cfg(test)]
mod tests {
    use hqsync::engine::sync::initial_sync::MirroredPreview;
    use hqsync::model::ObjectKind;

    use super::*;

    fn report(dry_run: bool) -> InitialSyncReport {
        InitialSyncReport {
            dry_run,
            kinds: Vec::new(),
            mirrored: vec![MirroredPreview {
                kind: ObjectKind::Invoice,
                form: None,
                qbo_records: 7,
                queued: if dry_run { 0 } else { 6 },
            }],
            contact_merges: None,
        }
    }

    #[test]
    fn the_mirrored_backfill_says_what_was_or_would_be_queued() {
        let applied = mirrored_table(&report(false)).unwrap().to_string();
        assert!(applied.contains("jobs queued") && applied.contains("invoice"));
        assert!(applied.contains('7') && applied.contains('6'), "{applied}");
        let preview = mirrored_table(&report(true)).unwrap().to_string();
        assert!(preview.contains("would queue"), "{preview}");
        assert!(!preview.contains("jobs queued"));
        assert!(mirrored_table(&InitialSyncReport::default()).is_none());
    }

    #[test]
    fn contact_merges_print_under_the_company_model_only() {
        use hqsync::engine::sync::contact_merges::{ContactMerge, ContactMerges, CustomerTarget};
        assert!(contact_merges_table(&report(true)).is_none());
        assert!(contact_merges_line(&report(true)).is_none());
        let mut with = report(true);
        with.contact_merges = Some(ContactMerges {
            companies: 1,
            contacts: 2,
            companies_with_several_contacts: 1,
            into_new_customer: 1,
            examples: vec![ContactMerge {
                company_id: "11".into(),
                company: "Initech".into(),
                contacts: 2,
                emails: vec![
                    "peter@initech.example".into(),
                    "milton@initech.example".into(),
                ],
                customer: CustomerTarget::Creates {
                    display_name: "Initech".into(),
                },
            }],
            ..ContactMerges::default()
        });
        let table = contact_merges_table(&with).unwrap().to_string();
        assert!(
            table.contains("peter@initech.example, milton@initech.example"),
            "{table}"
        );
        assert!(
            table.contains("creates QBO customer \"Initech\""),
            "{table}"
        );
        let line = contact_merges_line(&with).unwrap();
        assert!(
            line.contains("2 contacts of 1 companies (1 with several)"),
            "{line}"
        );
    }
}
