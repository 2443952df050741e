//! The admin-API commands (`connect`, `connections`, `settings`, `preview`, `initial-sync`,
//! `status` over the API, `resync`, `dlq`): their shared flags and the connection they act on.

pub mod connect;
pub mod connections;
pub mod dlq;
pub mod initial_sync;
pub mod preview;
pub mod resync;
pub mod settings;
pub mod status;

use clap::Args;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::admin_client::{AdminClient, AdminError, DEFAULT_API};

/// Where the admin API is and how to sign in to it.
#[derive(Clone, Args)]
pub struct ApiArgs {
    /// The admin API: a local `hqsync dev` (its --listen address; default
    /// http://127.0.0.1:4030) or a deployed stack's URL.
    #[arg(long, env = "HQSYNC_API", global = true)]
    pub api: Option<String>,
    /// The admin password (`hqsync dev` prints it when it generated one). Never printed.
    #[arg(
        long = "admin-password",
        env = "HQSYNC_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub admin_password: Option<String>,
}

impl std::fmt::Debug for ApiArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiArgs")
            .field("api", &self.api)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl ApiArgs {
    /// For tests and callers that build the flags themselves.
    pub fn new(api: &str, password: Option<&str>) -> Self {
        ApiArgs {
            api: Some(api.to_owned()),
            admin_password: password.map(str::to_owned),
        }
    }

    /// The API URL, the default when not given.
    pub fn api(&self) -> &str {
        self.api.as_deref().unwrap_or(DEFAULT_API)
    }

    /// Signs in with the given password, or says how to give one.
    pub async fn sign_in(&self) -> Result<AdminClient, AdminError> {
        let password = self
            .admin_password
            .clone()
            .filter(|p| !p.is_empty())
            .map(SecretString::from)
            .ok_or(AdminError::MissingPassword)?;
        AdminClient::sign_in(self.api(), &password).await
    }
}

/// Which connection a command acts on.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArg {
    /// The connection's id; may be left out when there is only one.
    #[arg(long)]
    pub connection: Option<String>,
}

/// One entry of `GET /api/connections`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionSummary {
    pub id: String,
    #[serde(default)]
    pub portal_id: Option<String>,
    #[serde(default)]
    pub realm_id: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
}

impl ConnectionSummary {
    /// "c1 (HubSpot portal 1 ⇄ QBO realm 2, local, active)".
    pub fn describe(&self) -> String {
        format!(
            "{} (HubSpot portal {} ⇄ QBO realm {}, {}, {})",
            self.id,
            self.portal_id.as_deref().unwrap_or("?"),
            self.realm_id.as_deref().unwrap_or("?"),
            self.environment.as_deref().unwrap_or("?"),
            self.status
        )
    }
}

/// Why no connection could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error("no connections yet: run `hqsync connect` first")]
    None,
    #[error("there are {} connections; pass --connection ID, one of:\n{}", .0.len(), list(.0))]
    Several(Vec<ConnectionSummary>),
}

fn list(connections: &[ConnectionSummary]) -> String {
    connections
        .iter()
        .map(|c| format!("  {}", c.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `given`, or the only connection there is.
pub fn choose(
    given: Option<&str>,
    connections: Vec<ConnectionSummary>,
) -> Result<String, ChooseError> {
    if let Some(id) = given {
        return Ok(id.to_owned());
    }
    let mut connections = connections;
    match connections.len() {
        0 => Err(ChooseError::None),
        1 => Ok(connections.remove(0).id),
        _ => Err(ChooseError::Several(connections)),
    }
}

impl ConnectionArg {
    /// The connection to act on (asks the API for the list only when none was given).
    pub async fn resolve(&self, client: &AdminClient) -> anyhow::Result<String> {
        if let Some(id) = &self.connection {
            return Ok(id.clone());
        }
        let connections: Vec<ConnectionSummary> = client.get("/api/connections").await?;
        Ok(choose(None, connections)?)
    }
}

/// `segment` escaped for a URL path.
pub fn path_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str) -> ConnectionSummary {
        ConnectionSummary {
            id: id.into(),
            portal_id: Some("1".into()),
            realm_id: Some("2".into()),
            environment: Some("local".into()),
            status: "active".into(),
            error: None,
        }
    }

    #[test]
    fn the_only_connection_is_the_default_and_several_are_listed() {
        assert_eq!(choose(None, vec![summary("a")]).unwrap(), "a");
        assert_eq!(choose(Some("b"), vec![summary("a")]).unwrap(), "b");
        assert!(matches!(choose(None, vec![]), Err(ChooseError::None)));
        let err = choose(None, vec![summary("a"), summary("b")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--connection"), "{text}");
        assert!(
            text.contains("  a (HubSpot portal 1 ⇄ QBO realm 2, local, active)"),
            "{text}"
        );
        assert!(text.contains("  b ("), "{text}");
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let args = ApiArgs::new("http://x", Some("hunter2"));
        assert!(!format!("{args:?}").contains("hunter2"));
    }
}
