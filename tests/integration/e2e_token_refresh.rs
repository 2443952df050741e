//! End to end, token refresh in the local runtime (`hqsync sync`): the stack holds OAuth refresh
//! tokens for both sandboxes; after time jumps past the access tokens' expiry changes still
//! sync, the vault keeps QBO's rotated refresh token across runs, and a dead refresh token makes
//! the connection reconnect-required until the configuration brings a new one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hqsync::engine::sync::GatewayPair;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalSandboxAccounts, LocalStack, PipelineOptions, StateLocation,
    VendorEndpoints,
};
use hqsync::model::{ConnectionId, ConnectionSettings, NativeValues, ObjectKind, Record, Side};
use hqsync::ports::{Clock, ConnectionStatus, CreateRequest, SideTokens, SystemClock};
use hqsync::quickbooks::{OAuthClient, OAuthError};
use hqsync::tokens::quickbooks_token_url_at;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use hqsync_tests::quickbooks::start_quickbooks_sandbox;
use secrecy::{ExposeSecret, SecretString};

use crate::e2e_stack::{eventually, text, values};

const CONTACT: ObjectKind = ObjectKind::Contact;
/// Past both vendors' access-token lifetimes (HubSpot 30 min, QBO 1 h).
const PAST_EXPIRY_MS: i64 = 2 * 3600 * 1000;

/// Wall time plus an offset the test moves forward with the sandboxes' clocks.
#[derive(Default)]
struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// Both sandboxes (OAuth as documented: strict QBO rotation, 30-minute HubSpot tokens) and the
/// runtime's clock, moved together.
struct Accounts {
    hubspot: HubspotSandbox,
    quickbooks: QuickbooksSandbox,
    clock: Arc<ShiftedClock>,
    http: reqwest::Client,
    /// A person's clients (the sandboxes' dev tokens, which never expire).
    user: GatewayPair,
}

impl Accounts {
    async fn start() -> Accounts {
        let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            ..HubspotSandboxConfig::default()
        })
        .await;
        let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
            strict_refresh_rotation: true,
            ..QuickbooksSandboxConfig::default()
        })
        .await;
        let user = Self::sandbox_endpoints(&hubspot, &quickbooks, true)
            .gateways(&ConnectionSettings::default(), Arc::new(SystemClock))
            .expect("user clients");
        Accounts {
            hubspot,
            quickbooks,
            clock: Arc::default(),
            http: reqwest::Client::new(),
            user,
        }
    }

    /// The sandboxes' accounts; with `dev_tokens` false the access tokens are left empty.
    fn sandbox_endpoints(
        hubspot: &HubspotSandbox,
        quickbooks: &QuickbooksSandbox,
        dev_tokens: bool,
    ) -> VendorEndpoints {
        let token = |dev: &str| SecretString::from(if dev_tokens { dev } else { "" }.to_owned());
        VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: hubspot.base_url(),
            portal_id: hubspot.config().portal_id.to_string(),
            hubspot_token: token(&hubspot.config().dev_token),
            hubspot_client_secret: SecretString::from(hubspot.config().client_secret.clone()),
            quickbooks_base_url: quickbooks.base_url(),
            realm_id: quickbooks.config().realm_id.clone(),
            quickbooks_token: token(&quickbooks.config().dev_token),
            quickbooks_verifier_token: SecretString::from(
                quickbooks.config().verifier_token.clone(),
            ),
        })
        .expect("sandbox endpoints")
    }

    /// The configuration of `hqsync sync` with OAuth on both sides and no access tokens:
    /// HubSpot's app refresh token, and `qbo_refresh_token` for QBO.
    fn refreshing_endpoints(&self, qbo_refresh_token: &SecretString) -> VendorEndpoints {
        let hs = self.hubspot.config();
        let qb = self.quickbooks.config();
        Self::sandbox_endpoints(&self.hubspot, &self.quickbooks, false)
            .with_hubspot_refresh(
                SecretString::from(hs.refresh_token.clone()),
                hs.client_id.clone(),
            )
            .with_quickbooks_refresh(
                qbo_refresh_token.clone(),
                qb.client_id.clone(),
                SecretString::from(qb.client_secret.clone()),
            )
    }

    /// A QBO refresh token as after the user's consent.
    async fn qbo_consent(&self) -> SecretString {
        let body: serde_json::Value = self
            .http
            .post(format!(
                "{}/_sandbox/oauth/connect",
                self.quickbooks.base_url()
            ))
            .send()
            .await
            .expect("connect")
            .json()
            .await
            .expect("token pair");
        SecretString::from(
            body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        )
    }

    /// A refresh at Intuit's endpoint by someone other than the stack (it rotates `token` away).
    async fn qbo_refresh_elsewhere(&self, token: &SecretString) -> Result<(), OAuthError> {
        let qb = self.quickbooks.config();
        let base = reqwest::Url::parse(&self.quickbooks.base_url()).expect("base URL");
        OAuthClient::with_token_url(
            quickbooks_token_url_at(&base),
            qb.client_id.clone(),
            SecretString::from(qb.client_secret.clone()),
        )
        .refresh(token)
        .await
        .map(|_| ())
    }

    /// Moves both sandboxes and the runtime `ms` into the future.
    async fn advance(&self, ms: i64) {
        for base in [self.hubspot.base_url(), self.quickbooks.base_url()] {
            let answer = self
                .http
                .put(format!("{base}/_sandbox/clock"))
                .json(&serde_json::json!({ "advanceMs": ms }))
                .send()
                .await
                .expect("clock");
            assert!(answer.status().is_success(), "{base}: {}", answer.status());
        }
        self.clock.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// A run of `hqsync sync` on the state in `dir`: opened, loops started (no initial sync).
    async fn run(&self, dir: &Path, endpoints: VendorEndpoints) -> LocalStack {
        let mut stack = LocalStack::open_with_clock(
            ConnectionId::new(LOCAL_CONNECTION_ID).unwrap(),
            endpoints,
            ConnectionSettings::default(),
            &StateLocation::Sqlite {
                dir: dir.to_owned(),
            },
            self.clock.clone(),
        )
        .await
        .expect("open the local stack");
        stack.start_pipeline(PipelineOptions {
            idle_wait: Duration::from_millis(100),
            poll_interval: Some(Duration::from_secs(1)),
            ..PipelineOptions::default()
        });
        stack
    }

    async fn create(&self, side: Side, values: NativeValues) -> Record {
        self.user
            .side(side)
            .create(
                CONTACT,
                vec![CreateRequest {
                    idempotency_key: uuid::Uuid::new_v4().to_string(),
                    values,
                }],
            )
            .await
            .expect("create call")
            .pop()
            .expect("one result")
            .expect("created")
    }

    async fn read(&self, side: Side, id: &str) -> Option<Record> {
        self.user
            .side(side)
            .read(CONTACT, &[id.to_owned()])
            .await
            .expect("read")
            .pop()
    }

    async fn shutdown(self) {
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
    }
}

fn state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("hqsync-e2e-refresh-{}", uuid::Uuid::new_v4()))
}

async fn tokens(stack: &LocalStack, side: Side) -> SideTokens {
    stack
        .vault
        .tokens(stack.connection_id(), side)
        .await
        .expect("vault")
        .expect("tokens stored")
}

/// The id of the record linked to `side`'s `id`, if any.
async fn partner(stack: &LocalStack, side: Side, id: &str) -> Option<String> {
    stack
        .ctx
        .store
        .get_link(stack.connection_id(), CONTACT, side, id)
        .await
        .expect("store")
        .map(|link| link.id(side.other()).to_owned())
}

async fn status(stack: &LocalStack) -> ConnectionStatus {
    stack
        .stored_connection()
        .await
        .expect("store")
        .expect("connection stored")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refreshed_and_the_rotated_refresh_token_outlives_the_run() {
    let accounts = Accounts::start().await;
    let dir = state_dir();
    let consented = accounts.qbo_consent().await;
    let config = accounts.refreshing_endpoints(&consented);

    // First run: no access tokens configured, so the initial sync starts with a refresh.
    let stack = accounts.run(&dir, config.clone()).await;
    stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .expect("initial sync on refreshed tokens");
    let first_qbo = tokens(&stack, Side::Quickbooks).await;
    let first_hubspot = tokens(&stack, Side::Hubspot).await;
    assert_ne!(
        first_qbo.refresh_token.expose_secret(),
        consented.expose_secret(),
        "QBO rotated the refresh token and the vault holds the new one"
    );
    assert!(!first_hubspot.access_token.expose_secret().is_empty());
    assert!(first_qbo.access_expires_at > accounts.clock.now());

    // Both access tokens expire; a HubSpot contact still reaches QBO.
    accounts.advance(PAST_EXPIRY_MS).await;
    let emmy = accounts
        .create(
            Side::Hubspot,
            values(&[
                ("email", "emmy@refresh.example"),
                ("firstname", "Emmy"),
                ("lastname", "Noether"),
            ]),
        )
        .await;
    let customer = eventually(
        "the contact becomes a QBO customer after expiry",
        || async { partner(&stack, Side::Hubspot, &emmy.id).await },
    )
    .await;
    let customer = accounts
        .read(Side::Quickbooks, &customer)
        .await
        .expect("the linked customer");
    assert_eq!(
        text(&customer, "PrimaryEmailAddr.Address"),
        "emmy@refresh.example"
    );
    let second_qbo = tokens(&stack, Side::Quickbooks).await;
    let second_hubspot = tokens(&stack, Side::Hubspot).await;
    assert_ne!(
        second_qbo.refresh_token.expose_secret(),
        first_qbo.refresh_token.expose_secret()
    );
    assert_ne!(
        second_hubspot.access_token.expose_secret(),
        first_hubspot.access_token.expose_secret()
    );
    assert!(second_qbo.access_expires_at > accounts.clock.now());
    assert!(second_hubspot.access_expires_at > accounts.clock.now());
    // Strict rotation: the previous refresh token is dead, so only the vault's one works.
    assert!(matches!(
        accounts
            .qbo_refresh_elsewhere(&first_qbo.refresh_token)
            .await,
        Err(OAuthError::InvalidGrant { .. })
    ));
    assert_eq!(status(&stack).await, ConnectionStatus::Active);
    stack.shutdown().await;

    // Next run, same configuration (its consented token died long ago): the vault's rotated
    // token carries on, and a QBO customer reaches HubSpot after another expiry.
    let stack = accounts.run(&dir, config).await;
    assert_eq!(stack.connection.status, ConnectionStatus::Active);
    assert_eq!(
        tokens(&stack, Side::Quickbooks)
            .await
            .refresh_token
            .expose_secret(),
        second_qbo.refresh_token.expose_secret(),
        "reopening with the same configuration keeps the rotated token"
    );
    accounts.advance(PAST_EXPIRY_MS).await;
    let katherine = accounts
        .create(
            Side::Quickbooks,
            values(&[
                ("DisplayName", "Katherine Johnson"),
                ("GivenName", "Katherine"),
                ("FamilyName", "Johnson"),
                ("PrimaryEmailAddr.Address", "katherine@refresh.example"),
            ]),
        )
        .await;
    let contact = eventually(
        "the customer becomes a HubSpot contact in run 2",
        || async { partner(&stack, Side::Quickbooks, &katherine.id).await },
    )
    .await;
    let contact = accounts
        .read(Side::Hubspot, &contact)
        .await
        .expect("the linked contact");
    assert_eq!(text(&contact, "email"), "katherine@refresh.example");
    assert_ne!(
        tokens(&stack, Side::Quickbooks)
            .await
            .refresh_token
            .expose_secret(),
        second_qbo.refresh_token.expose_secret(),
        "run 2 refreshed with the token run 1 stored"
    );
    stack.shutdown().await;
    accounts.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_refresh_token_makes_the_connection_reconnect_required_until_a_new_one() {
    let accounts = Accounts::start().await;
    let dir = state_dir();
    let config = accounts.refreshing_endpoints(&accounts.qbo_consent().await);
    let stack = accounts.run(&dir, config.clone()).await;
    stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .expect("initial sync");

    // Someone else refreshes with the stack's token: QBO rotates it away from under the stack.
    let held = tokens(&stack, Side::Quickbooks).await.refresh_token;
    accounts
        .qbo_refresh_elsewhere(&held)
        .await
        .expect("the other refresh");
    accounts.advance(PAST_EXPIRY_MS).await;
    let alan = accounts
        .create(
            Side::Hubspot,
            values(&[
                ("email", "alan@refresh.example"),
                ("firstname", "Alan"),
                ("lastname", "Turing"),
            ]),
        )
        .await;
    eventually("the connection becomes reconnect-required", || async {
        (status(&stack).await == ConnectionStatus::ReconnectRequired).then_some(())
    })
    .await;
    assert_eq!(
        partner(&stack, Side::Hubspot, &alan.id).await,
        None,
        "nothing syncs without tokens"
    );
    let reason = stack
        .gateways()
        .await
        .err()
        .expect("no gateways")
        .to_string();
    assert!(reason.contains("reconnect"), "{reason}");
    stack.shutdown().await;

    // The same configuration again: still reconnect-required (no new refresh token).
    let stack = accounts.run(&dir, config).await;
    assert_eq!(stack.connection.status, ConnectionStatus::ReconnectRequired);
    stack.shutdown().await;

    // Reconnected: a new consent in the configuration makes the connection active, and the
    // contact that waited syncs (its job is retried once the paused-retry delay has passed).
    let reconnected = accounts.refreshing_endpoints(&accounts.qbo_consent().await);
    let stack = accounts.run(&dir, reconnected).await;
    assert_eq!(stack.connection.status, ConnectionStatus::Active);
    accounts.advance(PAST_EXPIRY_MS).await;
    let customer = eventually("the waiting contact syncs after reconnecting", || async {
        partner(&stack, Side::Hubspot, &alan.id).await
    })
    .await;
    assert!(accounts.read(Side::Quickbooks, &customer).await.is_some());
    assert_eq!(status(&stack).await, ConnectionStatus::Active);
    stack.shutdown().await;
    accounts.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// QBO revokes every access token it issued, long before their stored expiry.
async fn expire_qbo_access_tokens(accounts: &Accounts) {
    let answer = accounts
        .http
        .post(format!(
            "{}/_sandbox/oauth/expire",
            accounts.quickbooks.base_url()
        ))
        .send()
        .await
        .expect("expire");
    assert!(answer.status().is_success(), "{}", answer.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_refused_before_its_expiry_is_refreshed_once_and_syncing_goes_on() {
    let accounts = Accounts::start().await;
    let dir = state_dir();
    let stack = accounts
        .run(
            &dir,
            accounts.refreshing_endpoints(&accounts.qbo_consent().await),
        )
        .await;
    stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .expect("initial sync");
    let before = tokens(&stack, Side::Quickbooks).await;
    assert!(
        before.access_expires_at > accounts.clock.now() + chrono::Duration::minutes(30),
        "the stored expiry is far away, so only the 401 can ask for a refresh"
    );

    expire_qbo_access_tokens(&accounts).await;
    let lise = accounts
        .create(
            Side::Quickbooks,
            values(&[
                ("DisplayName", "Lise Meitner"),
                ("GivenName", "Lise"),
                ("FamilyName", "Meitner"),
                ("PrimaryEmailAddr.Address", "lise@refresh.example"),
            ]),
        )
        .await;
    let contact = eventually(
        "the customer reaches HubSpot through the refreshed token",
        || async { partner(&stack, Side::Quickbooks, &lise.id).await },
    )
    .await;
    assert!(accounts.read(Side::Hubspot, &contact).await.is_some());
    let after = tokens(&stack, Side::Quickbooks).await;
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret(),
        "the refused token was replaced"
    );
    assert_ne!(
        after.refresh_token.expose_secret(),
        before.refresh_token.expose_secret(),
        "the rotated refresh token was stored"
    );
    assert_eq!(status(&stack).await, ConnectionStatus::Active);
    stack.shutdown().await;
    accounts.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_whose_refresh_fails_makes_the_connection_reconnect_required() {
    let accounts = Accounts::start().await;
    let dir = state_dir();
    let stack = accounts
        .run(
            &dir,
            accounts.refreshing_endpoints(&accounts.qbo_consent().await),
        )
        .await;
    stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .expect("initial sync");
    // The refresh token is rotated away elsewhere and the access token revoked: the 401's one
    // refresh is refused (invalid_grant).
    let held = tokens(&stack, Side::Quickbooks).await.refresh_token;
    accounts
        .qbo_refresh_elsewhere(&held)
        .await
        .expect("the other refresh");
    expire_qbo_access_tokens(&accounts).await;
    accounts
        .create(
            Side::Quickbooks,
            values(&[
                ("DisplayName", "Rosalind Franklin"),
                ("PrimaryEmailAddr.Address", "rosalind@refresh.example"),
            ]),
        )
        .await;
    eventually(
        "the refused token turns the connection reconnect-required",
        || async { (status(&stack).await == ConnectionStatus::ReconnectRequired).then_some(()) },
    )
    .await;
    stack.shutdown().await;
    accounts.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
