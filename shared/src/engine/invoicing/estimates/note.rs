//! An estimate's one deal note (its number, status, total, expiry, the invoice it became), the
//! note saying it was deleted, and the deal's bookkeeping of them:
//! `e<estimate>=<note>@<SyncToken>#<number>` tokens in `qbo_estimate_notes`.

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

/// The note saying estimate `number` is gone (a deleted estimate cannot be read, so nothing
/// else about it is known any more).
pub fn deleted_note_html(number: &str) -> String {
    format!(
        "<p><strong>Estimate {} was deleted in QuickBooks</strong></p>",
        escape(number)
    )
}

/// What the deal remembers of one estimate's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteToken {
    /// The HubSpot note showing the estimate.
    pub note: String,
    /// The estimate's `SyncToken` the note shows.
    pub version: String,
    /// The estimate's number as people know it, for the note saying it was deleted; absent in
    /// tokens written before it was kept.
    pub number: Option<String>,
}

/// The deal's notes per estimate: which HubSpot note shows it, for which version and number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstimateNotes(BTreeMap<String, NoteToken>);

impl EstimateNotes {
    /// From the deal's `qbo_estimate_notes` value (absent: none; foreign tokens are ignored).
    pub fn parse(value: Option<&str>) -> Self {
        let notes = value
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|t| {
                let (estimate, rest) = t.strip_prefix('e')?.split_once('=')?;
                let (note, rest) = rest.split_once('@')?;
                let (version, number) = match rest.split_once('#') {
                    Some((version, number)) => (version, decode(number)),
                    None => (rest, None),
                };
                let token = NoteToken {
                    note: note.to_owned(),
                    version: version.to_owned(),
                    number,
                };
                Some((estimate.to_owned(), token))
            })
            .collect();
        EstimateNotes(notes)
    }

    /// The property value to write back.
    pub fn value(&self) -> String {
        self.0
            .iter()
            .map(|(estimate, t)| {
                let number = t
                    .number
                    .as_deref()
                    .map(|n| format!("#{}", encode(n)))
                    .unwrap_or_default();
                format!("e{estimate}={}@{}{number}", t.note, t.version)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The note of `estimate` and the version it shows.
    pub fn note(&self, estimate: &str) -> Option<(&str, &str)> {
        self.0
            .get(estimate)
            .map(|t| (t.note.as_str(), t.version.as_str()))
    }

    /// Records that `note` now shows `version` of `estimate`, numbered `number`.
    pub fn set(&mut self, estimate: &str, note: &str, version: &str, number: &str) {
        let token = NoteToken {
            note: note.to_owned(),
            version: version.to_owned(),
            number: Some(number.to_owned()),
        };
        self.0.insert(estimate.to_owned(), token);
    }

    /// Forgets `estimate` (deleted in QBO), answering what was remembered of it.
    pub fn remove(&mut self, estimate: &str) -> Option<NoteToken> {
        self.0.remove(estimate)
    }

    /// The estimates noted on the deal, newest (highest QBO id) first.
    pub fn newest_first(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.0.keys().cloned().collect();
        ids.sort_by_key(|id| std::cmp::Reverse(id.parse::<u64>().unwrap_or(0)));
        ids
    }
}

/// A number inside a whitespace-separated token: form-urlencoded (no space, `#` or `@` left).
fn encode(number: &str) -> String {
    url::form_urlencoded::byte_serialize(number.as_bytes()).collect()
}

fn decode(encoded: &str) -> Option<String> {
    let pair = format!("n={encoded}");
    let (_, number) = url::form_urlencoded::parse(pair.as_bytes()).next()?;
    Some(number.into_owned())
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
        notes.set("41", "900", "2", "EST 1001#a");
        assert_eq!(notes.value(), "e41=900@2#EST+1001%23a e7=901@3");
        let again = EstimateNotes::parse(Some(&notes.value()));
        assert_eq!(again, notes, "the number survives its encoding");
        assert_eq!(notes.newest_first(), ["41", "7"]);
        let gone = notes.remove("41").unwrap();
        assert_eq!(gone.number.as_deref(), Some("EST 1001#a"));
        assert_eq!(notes.remove("7").unwrap().number, None, "an older token");
        assert_eq!(notes.value(), "");
        assert_eq!(EstimateNotes::parse(None), EstimateNotes::default());
        assert_eq!(
            deleted_note_html("<7>"),
            "<p><strong>Estimate &lt;7&gt; was deleted in QuickBooks</strong></p>"
        );
    }
}
