//! `hqsync connect`: starts the OAuth connect flow. Against a local `hqsync dev` it follows the
//! redirects itself and prints the new connection; otherwise it prints the URL to open.

use std::io::Write;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hqsync::model::Side;
use url::Url;

use super::{ApiArgs, ConnectionSummary, path_segment};
use crate::admin_client::redirects::{FlowEnd, follow};
use crate::admin_client::{is_loopback, parse_api};

/// The QBO environment a new connection's company lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// The built-in sandboxes of `hqsync dev`.
    Local,
    /// An Intuit sandbox company.
    Sandbox,
    /// A real QuickBooks Online company.
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// Where the QBO company is. Default: local when --api is this machine; required otherwise.
    #[arg(long, value_enum)]
    pub environment: Option<Environment>,
    /// Reconnect one side of this existing connection (links and cursors kept).
    #[arg(long, requires = "side")]
    pub connection: Option<String>,
    /// The side to reconnect (with --connection).
    #[arg(long, requires = "connection")]
    pub side: Option<Side>,
}

/// `{api}/connect?environment=..[&connection=..&side=..]`.
pub fn connect_url(api: &Url, args: &ConnectArgs, environment: Environment) -> Url {
    let mut url = Url::parse(&format!("{}/connect", api.as_str().trim_end_matches('/')))
        .unwrap_or_else(|_| api.clone());
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("environment", environment.as_str());
        if let (Some(connection), Some(side)) = (&args.connection, args.side) {
            query.append_pair("connection", connection);
            query.append_pair("side", side.as_str());
        }
    }
    url
}

pub async fn run(args: ConnectArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let api = parse_api(args.api.api())?;
    let environment = match args.environment {
        Some(e) => e,
        None if is_loopback(&api) => Environment::Local,
        None => anyhow::bail!(
            "--api {api} is not this machine: pass --environment sandbox or production"
        ),
    };
    let url = connect_url(&api, &args, environment);
    if environment != Environment::Local {
        writeln!(
            out,
            "Open this URL in a browser signed in to the admin API at {api} (the vendors' consent \
             pages need a person):\n  {url}"
        )?;
        return Ok(());
    }
    let client = args.api.sign_in().await?;
    match follow(&client, url).await? {
        FlowEnd::Connection { id } => {
            let connection: ConnectionSummary = client
                .get(&format!("/api/connections/{}", path_segment(&id)))
                .await
                .with_context(|| format!("reading the new connection {id}"))?;
            writeln!(out, "Connected: {}", connection.describe())?;
            writeln!(
                out,
                "Next: `hqsync preview --connection {id}`, then `hqsync initial-sync --connection {id}`."
            )?;
            Ok(())
        }
        FlowEnd::Page { status, text } => {
            anyhow::bail!("the connect flow stopped ({status}): {text}")
        }
    }
}
