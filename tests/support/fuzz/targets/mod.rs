//! The fuzz targets, one per inbound surface (docs/testing.md §1), and what they share: the
//! `Target` trait, the fixed clock, a connection store for routing and the fixture seeds.

mod hubspot_events;
mod hubspot_signature;
mod qbo_events;
mod qbo_query;
mod qbo_signature;
mod settings;
mod signed_request;
mod workflow_action;

use chrono::{DateTime, TimeZone, Utc};
use rand::rngs::StdRng;
use secrecy::SecretString;

use hqsync::adapters::memory::MemoryStore;
use hqsync::model::{Connection, ConnectionId, ConnectionSettings};
use hqsync::ports::{ConnectionRecord, ConnectionStatus, Connections};

/// One surface under fuzz: generates inputs and runs the production entry point on them.
pub trait Target {
    /// The `--target` name.
    fn name(&self) -> &'static str;
    /// One new input: a fixture seed mutated structurally and/or byte-wise, or generated.
    fn generate(&self, rng: &mut StdRng) -> Vec<u8>;
    /// Runs the production code on `input` (the runner wraps this in `catch_unwind`): `Ok`
    /// with the outcome's kind (`ok ...` or the error variant), `Err` naming a broken property.
    fn run(&self, input: &[u8]) -> Result<String, String>;
}

/// Every target, in the order the runner reports them.
pub fn all_targets() -> Vec<Box<dyn Target>> {
    vec![
        Box::new(hubspot_events::HubspotEvents::new()),
        Box::new(hubspot_signature::HubspotSignature::new()),
        Box::new(qbo_events::QboEvents::new()),
        Box::new(qbo_signature::QboSignature::new()),
        Box::new(workflow_action::WorkflowAction::new()),
        Box::new(settings::Settings::new()),
        Box::new(qbo_query::QboQuery::new()),
    ]
}

/// The target called `name`, if any.
pub fn target_by_name(name: &str) -> Option<Box<dyn Target>> {
    all_targets().into_iter().find(|t| t.name() == name)
}

/// The fixed "now" every target verifies against (signatures' 5-minute window).
pub const NOW_MS: i64 = 1_790_000_000_000;

pub fn now() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(NOW_MS)
        .single()
        .expect("valid time")
}

/// The secrets inputs are signed with; a property checks no error message ever shows them.
pub const HUBSPOT_SECRET: &str = "fuzz-hubspot-client-secret-7f3a";
pub const QBO_VERIFIER_TOKEN: &str = "fuzz-qbo-verifier-token-91c2";

pub fn hubspot_secret() -> SecretString {
    SecretString::from(HUBSPOT_SECRET)
}

pub fn qbo_token() -> SecretString {
    SecretString::from(QBO_VERIFIER_TOKEN)
}

/// A single-threaded runtime for the async entry points (all in-memory, nothing waits).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// A store with connections for the portals and realms the fixtures use, so deliveries are
/// routed into jobs rather than all "unknown tenant".
pub fn routing_store(runtime: &tokio::runtime::Runtime) -> MemoryStore {
    let store = MemoryStore::new();
    let pairs = [
        ("62515", "1234567890123456"),
        ("145883449", "310687"),
        ("49547190", "1234567890"),
    ];
    runtime.block_on(async {
        for (i, (portal, realm)) in pairs.iter().enumerate() {
            let record = ConnectionRecord {
                connection: Connection {
                    id: ConnectionId::new(format!("fuzz-{i}")).expect("valid id"),
                    hubspot_portal_id: (*portal).into(),
                    qbo_realm_id: (*realm).into(),
                    settings: ConnectionSettings::default(),
                },
                environment: "local".into(),
                status: ConnectionStatus::Active,
            };
            store.put_connection(&record).await.expect("put connection");
        }
    });
    store
}

/// The bytes of `tests/fixtures/{vendor}/{name}`.
pub fn fixture(vendor: &str, name: &str) -> Vec<u8> {
    crate::fixtures::text(vendor, name).into_bytes()
}

/// A short label for an error: its variant name (the text before `(` or `{`), never its
/// message, so outcome kinds stay few.
pub fn variant(debug: &str) -> String {
    debug
        .split(['(', '{', ' '])
        .next()
        .unwrap_or(debug)
        .to_owned()
}
