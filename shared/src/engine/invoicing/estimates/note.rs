//! An estimate's one deal note (its number, status, total, expiry, the invoice it became) and
//! the deal's bookkeeping of it: `e<estimate>=<note>@<SyncToken>` tokens in `qbo_estimate_notes`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::facts::{EstimateFacts, EstimateStatus};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The note body (`hs_note_body` is HTML, docs/hubspot.md §2.10).
pub fn estimate_note_html(facts: &EstimateFacts) -> String {
    let money = |d: Decimal| {
        let mut cents = d.round_dp(2);
        cents.rescale(2);
        format!("{cents} {}", escape(&facts.currency))
    };
    let number = escape(&facts.number);
    let headline = match (&facts.converted_to, facts.status) {
        (Some(invoice), _) => format!(
            "QuickBooks estimate {number} converted to invoice {}",
            escape(invoice)
        ),
        (None, EstimateStatus::Pending) => {
            format!("QuickBooks estimate {number} sent for approval")
        }
        (None, status) => format!(
            "QuickBooks estimate {number} is {}",
            status.label().to_lowercase()
        ),
    };
    let mut rows = vec![
        format!("<p><strong>{headline}</strong></p><ul>"),
        format!("<li>Status: {}</li>", facts.status.label()),
        format!("<li>Total: {}</li>", money(facts.total)),
    ];
    if let Some(date) = facts.expires {
        rows.push(format!("<li>Expires: {date}</li>"));
    }
    if let Some(invoice) = &facts.converted_to {
        rows.push(format!("<li>Invoice: {}</li>", escape(invoice)));
    }
    rows.push(format!(
        "<li><a href=\"{}\">Open in QuickBooks</a></li></ul>",
        escape(&facts.url)
    ));
    rows.concat()
}

/// The deal's notes per estimate: which HubSpot note shows it and for which version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstimateNotes(BTreeMap<String, (String, String)>);

impl EstimateNotes {
    /// From the deal's `qbo_estimate_notes` value (absent: none; foreign tokens are ignored).
    pub fn parse(value: Option<&str>) -> Self {
        let notes = value
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|t| {
                let (estimate, rest) = t.strip_prefix('e')?.split_once('=')?;
                let (note, version) = rest.split_once('@')?;
                Some((estimate.to_owned(), (note.to_owned(), version.to_owned())))
            })
            .collect();
        EstimateNotes(notes)
    }

    /// The property value to write back.
    pub fn value(&self) -> String {
        self.0
            .iter()
            .map(|(estimate, (note, version))| format!("e{estimate}={note}@{version}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The note of `estimate` and the version it shows.
    pub fn note(&self, estimate: &str) -> Option<(&str, &str)> {
        self.0
            .get(estimate)
            .map(|(note, version)| (note.as_str(), version.as_str()))
    }

    /// Records that `note` now shows `version` of `estimate`.
    pub fn set(&mut self, estimate: &str, note: &str, version: &str) {
        self.0
            .insert(estimate.to_owned(), (note.to_owned(), version.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> EstimateFacts {
        EstimateFacts {
            id: "41".into(),
            number: "1001".into(),
            version: "0".into(),
            status: EstimateStatus::Pending,
            total: "31.5".parse().unwrap(),
            currency: "USD".into(),
            expires: "2026-06-01".parse().ok(),
            url: "https://app.qbo.intuit.com/app/estimate?txnId=41".into(),
            converted_to: None,
        }
    }

    #[test]
    fn the_note_says_what_the_estimate_is_and_what_it_became() {
        let pending = estimate_note_html(&facts());
        assert!(
            pending.contains("estimate 1001 sent for approval"),
            "{pending}"
        );
        assert!(pending.contains("31.50 USD") && pending.contains("Expires: 2026-06-01"));
        let converted = estimate_note_html(&EstimateFacts {
            status: EstimateStatus::Closed,
            converted_to: Some("1002".into()),
            ..facts()
        });
        assert!(
            converted.contains("estimate 1001 converted to invoice 1002")
                && converted.contains("Status: Closed"),
            "{converted}"
        );
        let rejected = estimate_note_html(&EstimateFacts {
            status: EstimateStatus::Rejected,
            number: "<b>".into(),
            ..facts()
        });
        assert!(
            rejected.contains("estimate &lt;b&gt; is rejected"),
            "{rejected}"
        );
    }

    #[test]
    fn the_bookkeeping_round_trips_and_a_new_version_replaces_the_old() {
        let mut notes = EstimateNotes::parse(Some("e41=900@0 junk e7=901@3"));
        assert_eq!(notes.note("41"), Some(("900", "0")));
        assert_eq!(notes.note("8"), None);
        notes.set("41", "900", "2");
        assert_eq!(notes.value(), "e41=900@2 e7=901@3");
        assert_eq!(EstimateNotes::parse(None), EstimateNotes::default());
    }
}
