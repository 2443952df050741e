//! The HubSpot sandbox's configuration: the identity of the fake portal and app, credentials,
//! and the knobs for time, search indexing, rate limits, tokens and webhook delivery.

use std::time::Duration;

use crate::Seed;

/// How the sandbox behaves. `Default` gives the documented defaults (printed by `hqsync sandbox`).
#[derive(Clone)]
pub struct HubspotSandboxConfig {
    /// The portal (hub) id; `portalId` in webhooks, `hub_id` in token responses. Default 62515
    /// (the portal id in HubSpot's own docs examples).
    pub portal_id: u64,
    /// The app id: `appId` in webhooks and `sourceId` of writes made with any accepted token
    /// (hubspot-api-md §5.3). Default 1160452.
    pub app_id: u64,
    /// Static bearer token always accepted (stands in for the app's access token / a private
    /// app token). Default `hqsync-sandbox-dev-token`.
    pub dev_token: String,
    /// OAuth client id the token endpoint expects. Default `hqsync-sandbox-client-id`.
    pub client_id: String,
    /// OAuth client secret: the token endpoint expects it and webhooks are signed with it
    /// (docs/hubspot.md §5.5). Default `hqsync-sandbox-client-secret`.
    pub client_secret: String,
    /// Where change events are POSTed; `None` = no deliveries (settable at runtime too).
    pub webhook_url: Option<String>,
    /// What the portal holds at start and after `POST /_sandbox/reset`.
    pub seed: Seed,
    /// A refresh token the OAuth endpoint accepts. Default `hqsync-sandbox-refresh-token`.
    pub refresh_token: String,
    /// Lifetime of access tokens minted by `/oauth/2026-03/token` in sandbox time.
    /// Default 30 minutes (`expires_in` 1800, docs/hubspot.md §1.3).
    pub access_token_ttl: Duration,
    /// How long an authorization code from `GET /oauth/authorize` stays exchangeable, in
    /// sandbox time. Default 5 minutes (HubSpot: "short-lived", docs/hubspot.md §1.1; the
    /// exact life is UNVERIFIED).
    pub code_ttl: Duration,
    /// Sandbox time per real time (see [`crate::common::SandboxClock`]). Default 1.0.
    pub time_scale: f64,
    /// Sandbox time before a write is visible to search (search is eventually consistent,
    /// docs/hubspot.md §2.4). Default 1 s; 0 makes search see writes at once.
    pub search_index_delay: Duration,
    /// Requests per `burst_window` per portal (docs/hubspot.md §9.1: 110 per 10 s for
    /// public OAuth apps). 0 disables the limit. Default 110.
    pub burst_limit: u32,
    /// Default 10 s.
    pub burst_window: Duration,
    /// Search requests per second per portal (docs/hubspot.md §9.1). 0 disables. Default 5.
    pub search_per_second: u32,
    /// Sandbox time an event waits before delivery (lets batches form). Default 500 ms.
    pub webhook_delay: Duration,
    /// Most events per webhook POST (docs/hubspot.md §5.4: 100). Default 100.
    pub webhook_max_batch: usize,
    /// Waits before each retry after a failed delivery, in sandbox time. Default: 10 retries
    /// spread over about 24 hours (docs/hubspot.md §5.4; the spacing itself is UNVERIFIED).
    pub webhook_retry_schedule: Vec<Duration>,
    /// Seed for the random fault/webhook rates, so runs are reproducible. Default 1.
    pub rng_seed: u64,
    /// Whether the portal is set up to collect payments through HubSpot payments or Stripe,
    /// which the payments API needs (docs/hubspot.md §2.9). Default `false`, like most real
    /// portals; without it creating a `commerce_payments` record is refused. A portal setting,
    /// not data: `POST /_sandbox/reset` keeps it; `PUT /_sandbox/hubspot/portal` changes it.
    pub payment_processing: bool,
    /// docs/hubspot.md §2.11: HubSpot announced that contact merges create a new record with a
    /// new id (both old ids then read as it); older portals keep the primary's id. Default
    /// `false` (the primary keeps its id); `PUT /_sandbox/hubspot/portal
    /// {"mergeNewIds": true}` switches at runtime.
    pub merge_new_ids: bool,
}

/// docs/hubspot.md §5.4: "up to 10 retries spread over 24 hours, with jitter".
/// UNVERIFIED: the exact spacing; this one grows from 1 minute and sums to ~23.8 hours.
pub const DEFAULT_WEBHOOK_RETRY_MINUTES: [u64; 10] = [1, 2, 5, 10, 30, 60, 120, 240, 480, 480];

impl Default for HubspotSandboxConfig {
    fn default() -> Self {
        Self {
            portal_id: 62515,
            app_id: 1_160_452,
            dev_token: "hqsync-sandbox-dev-token".into(),
            client_id: "hqsync-sandbox-client-id".into(),
            client_secret: "hqsync-sandbox-client-secret".into(),
            webhook_url: None,
            seed: Seed::Empty,
            refresh_token: "hqsync-sandbox-refresh-token".into(),
            access_token_ttl: Duration::from_secs(1800),
            code_ttl: Duration::from_secs(300),
            time_scale: 1.0,
            search_index_delay: Duration::from_secs(1),
            burst_limit: 110,
            burst_window: Duration::from_secs(10),
            search_per_second: 5,
            webhook_delay: Duration::from_millis(500),
            webhook_max_batch: 100,
            webhook_retry_schedule: DEFAULT_WEBHOOK_RETRY_MINUTES
                .iter()
                .map(|m| Duration::from_secs(m * 60))
                .collect(),
            rng_seed: 1,
            payment_processing: false,
            merge_new_ids: false,
        }
    }
}

impl std::fmt::Debug for HubspotSandboxConfig {
    /// Secrets are left out; the CLI prints the dev token and secret on purpose, separately.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubspotSandboxConfig")
            .field("portal_id", &self.portal_id)
            .field("app_id", &self.app_id)
            .field("client_id", &self.client_id)
            .field("webhook_url", &self.webhook_url)
            .field("seed", &self.seed)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("code_ttl", &self.code_ttl)
            .field("time_scale", &self.time_scale)
            .field("search_index_delay", &self.search_index_delay)
            .field("burst_limit", &self.burst_limit)
            .field("burst_window", &self.burst_window)
            .field("search_per_second", &self.search_per_second)
            .field("webhook_delay", &self.webhook_delay)
            .field("webhook_max_batch", &self.webhook_max_batch)
            .field("payment_processing", &self.payment_processing)
            .field("merge_new_ids", &self.merge_new_ids)
            .finish_non_exhaustive()
    }
}
