//! `hqsync initial-sync`: starts a connection's initial sync on the server (fanned out on the
//! bulk queue) and shows its progress until it is done; a failed run exits non-zero.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::{ApiArgs, ConnectionArg, path_segment};
use crate::admin_client::{AdminClient, AdminError};
use crate::render::table;

#[derive(Debug, Args)]
pub struct InitialSyncArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub connection: ConnectionArg,
    /// How often to ask for progress, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub poll_interval_ms: u64,
}

/// `GET /api/connections/{id}/initial-sync`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Progress {
    pub run_id: String,
    /// running, done or failed.
    pub state: String,
    #[serde(default)]
    pub kinds: Vec<KindProgress>,
    #[serde(default)]
    pub pending_jobs: u64,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KindProgress {
    pub kind: String,
    #[serde(default)]
    pub listed: u64,
    #[serde(default)]
    pub queued: u64,
    #[serde(default)]
    pub done: u64,
    #[serde(default)]
    pub failed: u64,
}

/// kind, listed, queued, done, failed.
pub fn progress_table(progress: &Progress) -> comfy_table::Table {
    let mut t = table(&["kind", "listed", "queued", "done", "failed"]);
    for k in &progress.kinds {
        t.add_row(vec![
            k.kind.clone(),
            k.listed.to_string(),
            k.queued.to_string(),
            k.done.to_string(),
            k.failed.to_string(),
        ]);
    }
    t
}

/// One bar per kind: records finished (done or failed) of those queued.
struct Bars {
    multi: MultiProgress,
    kinds: BTreeMap<String, ProgressBar>,
    pending: ProgressBar,
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::new();
        let pending = multi.add(ProgressBar::new_spinner());
        Bars {
            multi,
            kinds: BTreeMap::new(),
            pending,
        }
    }

    fn show(&mut self, progress: &Progress) {
        let style = ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        for k in &progress.kinds {
            let bar = self.kinds.entry(k.kind.clone()).or_insert_with(|| {
                let bar = self.multi.insert_before(&self.pending, ProgressBar::new(0));
                bar.set_style(style.clone());
                bar.set_prefix(k.kind.clone());
                bar
            });
            bar.set_length(k.queued.max(k.listed));
            bar.set_position(k.done + k.failed);
            bar.set_message(format!("listed {}, failed {}", k.listed, k.failed));
        }
        self.pending.set_message(format!(
            "run {}: {}, {} jobs pending on the bulk queue",
            progress.run_id, progress.state, progress.pending_jobs
        ));
        self.pending.tick();
    }

    fn finish(&self) {
        for bar in self.kinds.values() {
            bar.finish();
        }
        self.pending.finish_and_clear();
    }
}

/// Starts the run; one already running is followed instead (409).
async fn start(client: &AdminClient, path: &str) -> anyhow::Result<Option<String>> {
    match client
        .call::<Value, ()>(reqwest::Method::POST, path, None)
        .await
    {
        Ok(answer) => Ok(answer
            .get("run_id")
            .and_then(Value::as_str)
            .map(str::to_owned)),
        Err(AdminError::Api {
            status: StatusCode::CONFLICT,
            ..
        }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn run(args: InitialSyncArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    let id = args.connection.resolve(&client).await?;
    let path = format!("/api/connections/{}/initial-sync", path_segment(&id));
    match start(&client, &path).await? {
        Some(run_id) => writeln!(out, "Started initial sync {run_id} of {id}.")?,
        None => writeln!(
            out,
            "An initial sync of {id} is already running; following it."
        )?,
    }
    let mut bars = Bars::new();
    let interval = Duration::from_millis(args.poll_interval_ms.max(10));
    let last = loop {
        let progress: Progress = client.get(&path).await?;
        bars.show(&progress);
        if progress.state != "running" {
            break progress;
        }
        tokio::time::sleep(interval).await;
    };
    bars.finish();
    writeln!(out, "{}", progress_table(&last))?;
    match last.state.as_str() {
        "done" => {
            writeln!(out, "Initial sync {} of {id} is done.", last.run_id)?;
            Ok(())
        }
        state => anyhow::bail!(
            "initial sync {} of {id} ended {state}{}; `hqsync status --connection {id}` shows \
             the records that failed",
            last.run_id,
            last.error.map(|e| format!(": {e}")).unwrap_or_default()
        ),
    }
}
