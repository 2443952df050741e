//! Progress bars for the initial sync: one spinner per side while listing, one bar per kind
//! while planning and applying, fed by the engine's `SyncProgress` callbacks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use hqsync::engine::sync::initial_sync::SyncProgress;
use hqsync::model::{ObjectKind, Side};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::side_name;

/// Bars keyed by what they show; created on the first report about them.
pub struct SyncBars {
    multi: MultiProgress,
    listing: Mutex<BTreeMap<(ObjectKind, Side), ProgressBar>>,
    syncing: Mutex<BTreeMap<ObjectKind, ProgressBar>>,
    verb: &'static str,
}

impl SyncBars {
    /// `verb` says what the sync bar measures ("planned", "synced").
    pub fn new(verb: &'static str) -> Self {
        SyncBars {
            multi: MultiProgress::new(),
            listing: Mutex::default(),
            syncing: Mutex::default(),
            verb,
        }
    }

    pub fn report(&self, progress: SyncProgress) {
        match progress {
            SyncProgress::Listing {
                kind,
                side,
                records,
            } => {
                let Ok(mut bars) = self.listing.lock() else {
                    return;
                };
                let bar = bars.entry((kind, side)).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar
                });
                bar.set_message(format!(
                    "listed {records} {} {}s",
                    side_name(side),
                    kind.vendor_name(side)
                ));
                bar.tick();
            }
            SyncProgress::Syncing { kind, done, total } => {
                let Ok(mut bars) = self.syncing.lock() else {
                    return;
                };
                let verb = self.verb;
                let bar = bars.entry(kind).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new(total as u64));
                    bar.set_style(
                        ProgressStyle::with_template(&format!(
                            "  {{bar:30}} {{pos}}/{{len}} {kind} records {verb}"
                        ))
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar
                });
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        }
    }

    /// Leaves the bars on screen in their final state.
    pub fn finish(&self) {
        if let Ok(bars) = self.listing.lock() {
            bars.values().for_each(ProgressBar::finish);
        }
        if let Ok(bars) = self.syncing.lock() {
            bars.values().for_each(ProgressBar::finish);
        }
    }
}
