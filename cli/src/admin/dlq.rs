//! `hqsync dlq list|redrive`: the jobs that exhausted their attempts (the dead letters) and
//! sending them back to the lane each came from.

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiArgs;
use crate::render::json::objects_table;

#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: DlqAction,
}

/// A job lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lane {
    Live,
    Bulk,
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Live => "live",
            Lane::Bulk => "bulk",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DlqAction {
    /// The dead letters (of one lane, or both).
    List {
        #[arg(long, value_enum)]
        lane: Option<Lane>,
    },
    /// Send dead letters back to their lane: the given ids, else all (of --lane).
    Redrive {
        #[arg(long, value_enum)]
        lane: Option<Lane>,
        /// Dead-letter ids (from `hqsync dlq list`).
        ids: Vec<String>,
    },
}

/// The body of `POST /api/dead-letters/redrive`: only what was asked for.
pub fn redrive_body(lane: Option<Lane>, ids: &[String]) -> Value {
    let mut body = json!({});
    if let Some(lane) = lane {
        body["lane"] = lane.as_str().into();
    }
    if !ids.is_empty() {
        body["ids"] = ids.into();
    }
    body
}

pub async fn run(args: DlqArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.api.sign_in().await?;
    match args.action {
        DlqAction::List { lane } => {
            let path = match lane {
                Some(lane) => format!("/api/dead-letters?lane={}", lane.as_str()),
                None => "/api/dead-letters".to_owned(),
            };
            let letters: Vec<Value> = client.get(&path).await?;
            match objects_table(&letters) {
                Some(t) => writeln!(out, "{t}")?,
                None => writeln!(out, "No dead letters.")?,
            }
        }
        DlqAction::Redrive { lane, ids } => {
            #[derive(Deserialize)]
            struct Redriven {
                redriven: u64,
            }
            let answer: Redriven = client
                .post("/api/dead-letters/redrive", &redrive_body(lane, &ids))
                .await?;
            writeln!(
                out,
                "Redrove {} dead letter(s) to the lane each came from.",
                answer.redriven
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redrive_body_has_only_what_was_asked_for() {
        assert_eq!(redrive_body(None, &[]), json!({}));
        assert_eq!(
            redrive_body(Some(Lane::Bulk), &["a".into()]),
            json!({"lane": "bulk", "ids": ["a"]})
        );
    }
}
