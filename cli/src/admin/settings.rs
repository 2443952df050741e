//! `hqsync settings get|set`: a connection's settings as TOML in the shape of `[settings]` in
//! `hqsync.toml`; a TOML or JSON file in, validated here before it is sent (and by the server).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use hqsync::model::ConnectionSettings;
use serde::Deserialize;

use super::{ApiArgs, ConnectionArg, path_segment};

#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: SettingsAction,
}

#[derive(Debug, Subcommand)]
pub enum SettingsAction {
    /// Print the connection's settings as TOML (the `[settings]` table of hqsync.toml).
    Get {
        #[command(flatten)]
        connection: ConnectionArg,
    },
    /// Replace the connection's settings with FILE (TOML, or JSON when it ends in .json or
    /// starts with `{`; a `[settings]` table inside, as in hqsync.toml, is taken as the
    /// settings).
    Set {
        /// The settings document.
        file: PathBuf,
        #[command(flatten)]
        connection: ConnectionArg,
    },
}

/// Why a settings file is refused before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum SettingsFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message} (nothing was sent)")]
    Invalid { path: PathBuf, message: String },
}

fn is_json(path: &Path, text: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{')
}

/// Reads, parses and validates a settings file (`ConnectionSettings::validate`, the check the
/// server runs too).
pub fn read_settings_file(path: &Path) -> Result<ConnectionSettings, SettingsFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_settings(path, &text)
}

/// `text` as settings: the document itself, or its `settings` table when it has one.
pub fn parse_settings(path: &Path, text: &str) -> Result<ConnectionSettings, SettingsFileError> {
    let invalid = |message: String| SettingsFileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let settings = if is_json(path, text) {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        if let Some(inner) = value.get_mut("settings").filter(|v| v.is_object()) {
            value = inner.take();
        }
        ConnectionSettings::deserialize(value)
            .map_err(|e| invalid(format!("not valid settings: {e}")))?
    } else {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| invalid(format!("not valid TOML: {e}")))?;
        if let Some(toml::Value::Table(inner)) = table.remove("settings") {
            table = inner;
        } else if let Some(other) = table.get("settings") {
            return Err(invalid(format!(
                "`settings` must be a table, not {}",
                other.type_str()
            )));
        }
        ConnectionSettings::deserialize(toml::Value::Table(table))
            .map_err(|e| invalid(format!("not valid settings: {e}")))?
    };
    settings.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(settings)
}

/// Settings as the TOML document `settings set` reads back.
pub fn settings_toml(connection: &str, settings: &ConnectionSettings) -> anyhow::Result<String> {
    let body = toml::to_string(settings).context("settings as TOML")?;
    Ok(format!(
        "# Settings of connection {connection} (the [settings] table of hqsync.toml).\n\
         # Change and send back with `hqsync settings set FILE --connection {connection}`.\n{body}"
    ))
}

pub async fn run(args: SettingsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.action {
        SettingsAction::Get { connection } => {
            let client = args.api.sign_in().await?;
            let id = connection.resolve(&client).await?;
            let settings: ConnectionSettings = client
                .get(&format!("/api/connections/{}/settings", path_segment(&id)))
                .await?;
            write!(out, "{}", settings_toml(&id, &settings)?)?;
        }
        SettingsAction::Set { file, connection } => {
            // Checked before signing in, so a bad file fails fast and nothing is sent.
            let settings = read_settings_file(&file)?;
            let client = args.api.sign_in().await?;
            let id = connection.resolve(&client).await?;
            let stored: ConnectionSettings = client
                .put(
                    &format!("/api/connections/{}/settings", path_segment(&id)),
                    &settings,
                )
                .await?;
            if stored != settings {
                writeln!(
                    out,
                    "Saved; the server stored these settings for {id} (they differ from the file):\n{}",
                    settings_toml(&id, &stored)?
                )?;
            } else {
                writeln!(
                    out,
                    "Saved the settings of connection {id} from {}.",
                    file.display()
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hqsync::model::{ObjectKind, SyncState};

    #[test]
    fn toml_json_and_a_settings_table_read_the_same() {
        let bare =
            parse_settings(Path::new("s.toml"), "[product]\nstate = \"disabled\"\n").unwrap();
        let wrapped = parse_settings(
            Path::new("hqsync.toml"),
            "[settings.product]\nstate = \"disabled\"\n",
        )
        .unwrap();
        let json =
            parse_settings(Path::new("s.json"), r#"{"product": {"state": "disabled"}}"#).unwrap();
        assert_eq!(bare.state(ObjectKind::Product), SyncState::Disabled);
        assert_eq!(bare, wrapped);
        assert_eq!(bare, json);
        assert_eq!(
            parse_settings(Path::new("empty.toml"), "").unwrap(),
            ConnectionSettings::default()
        );
    }

    #[test]
    fn invalid_settings_name_the_field_and_are_not_sent() {
        let err = parse_settings(
            Path::new("s.toml"),
            "[invoices]\ndeal_reference_field = \" \"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("invoices.deal_reference_field"), "{err}");
        assert!(err.contains("nothing was sent"), "{err}");
        let unknown = parse_settings(Path::new("s.toml"), "[contactz]\n")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("contactz"), "{unknown}");
    }

    #[test]
    fn printed_settings_read_back_unchanged() {
        let settings = parse_settings(
            Path::new("s.toml"),
            "[contact]\ndirection = \"to_quickbooks\"\n[invoices]\ndoc_number_prefix = \"Q-\"\n",
        )
        .unwrap();
        let printed = settings_toml("c1", &settings).unwrap();
        assert_eq!(
            parse_settings(Path::new("back.toml"), &printed).unwrap(),
            settings
        );
    }
}
