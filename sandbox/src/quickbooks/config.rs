//! The QuickBooks sandbox's settings: identity and secrets, seed, and every behaviour knob,
//! with documented defaults (docs/quickbooks.md section cited per knob).

use crate::Seed;

/// Which webhook payload the sandbox sends (docs/quickbooks.md §11.3, §11.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WebhookPayloadFormat {
    /// JSON array of CloudEvents (the current format, §11.4).
    #[default]
    CloudEvents,
    /// The legacy `{"eventNotifications": [...]}` format (§11.3).
    Legacy,
}

/// Which webhook operation deactivating a customer or item emits; the docs leave it open
/// (docs/quickbooks.md §11.6, §15 item 3), so the sync is tested with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InactiveEventKind {
    /// `Update` (the record still exists, with `Active: false`).
    Update,
    /// `Delete` — the likelier reading of the docs table (§11.6).
    #[default]
    Delete,
}

/// What a replayed `requestid` with a *different* body gets (docs/quickbooks.md §1: UNVERIFIED;
/// the stand-in recommendation is replay by default, 400 code 600 as an option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestIdConflict {
    /// Return the original response (Intuit's documented behaviour).
    #[default]
    Replay,
    /// Reject with 400 code 600 "RequestId already exists" (legacy IPP list).
    Reject,
}

/// The rate limits (docs/quickbooks.md §9), counted on the sandbox clock so `time_scale`
/// compresses them. `0` disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QboLimits {
    /// Requests per minute per realm (500).
    pub per_minute: u32,
    /// Requests per second per realm and app (10).
    pub per_second: u32,
    /// Batch requests per minute per realm and app (40).
    pub batch_per_minute: u32,
    /// Metered ("CorePlus") reads allowed before reads answer 429; `0` = unlimited
    /// (the Builder tier's 500,000 per month is far above what a test makes).
    pub core_plus_reads: u64,
}

impl Default for QboLimits {
    fn default() -> Self {
        Self {
            per_minute: 500,
            per_second: 10,
            batch_per_minute: 40,
            core_plus_reads: 0,
        }
    }
}

/// Everything the QuickBooks sandbox is started with. Secrets are plain strings here (the CLI
/// passes them from flags) but never appear in `Debug` output.
#[derive(Clone)]
pub struct QuickbooksSandboxConfig {
    /// The company id in every path (`/v3/company/{realmId}/...`).
    pub realm_id: String,
    /// A static bearer token the API always accepts (printed by `hqsync sandbox`).
    pub dev_token: String,
    /// OAuth client id for Basic auth on `/oauth2/v1/tokens/bearer`.
    pub client_id: String,
    /// OAuth client secret for Basic auth on `/oauth2/v1/tokens/bearer`.
    pub client_secret: String,
    /// The webhook verifier token: HMAC-SHA256 key of `intuit-signature` (§11.2).
    pub verifier_token: String,
    /// Where webhooks are POSTed; `None` sends none (events are counted as discarded).
    pub webhook_url: Option<String>,
    /// What the company holds at start and after `POST /_sandbox/reset`.
    pub seed: Seed,
    /// Sandbox seconds per real second (rate windows, token lifetimes, webhook retries).
    pub time_scale: f64,
    /// The company's UTC offset in minutes; `MetaData` times are written in it (§1, §3).
    pub company_utc_offset_minutes: i32,
    /// Webhook payload format.
    pub webhook_format: WebhookPayloadFormat,
    /// Up to this many events per delivery (§11.4: 100).
    pub webhook_max_batch: usize,
    /// Sandbox milliseconds an event waits before delivery (lets batches form).
    pub webhook_delay_ms: u64,
    /// Probability an event is delivered twice (same CloudEvents `id`), §11.5 "duplicated".
    pub webhook_duplicate_rate: f64,
    /// Probability an event is sent out of order, §11.5 "out of order".
    pub webhook_reorder_rate: f64,
    /// Probability an event is never sent (missed events; CDC is the safety net, §11.5).
    pub webhook_drop_rate: f64,
    /// Webhook operation for deactivated customers/items.
    pub inactive_event: InactiveEventKind,
    /// CloudEvents operation segment for voids: `voided` (default) or `void` (§11.4, UNVERIFIED).
    pub void_event_operation: String,
    /// Strict refresh-token rotation: a rotated refresh token stops working at once (§2.5).
    /// When false, the previous token keeps working for 24 hours (oauth-jsclient README reading).
    pub strict_refresh_rotation: bool,
    /// Rate limits.
    pub limits: QboLimits,
    /// Requests in flight at once per realm and app (10, the older "10 concurrent" policy,
    /// §9); more answer 429. `0` disables the check.
    pub max_in_flight: u32,
    /// `requestid` reuse with a different body.
    pub request_id_conflict: RequestIdConflict,
    /// Answer duplicate-name (6240) faults in the intermittently observed lowercase envelope
    /// (§10.1) instead of the usual one.
    pub lowercase_duplicate_name_fault: bool,
    /// Answer throttling (3001) as the XML body QBO was captured sending even to JSON clients
    /// (§9), instead of the JSON rendering.
    pub xml_throttle_body: bool,
    /// Seed for the random webhook rates (reproducible runs).
    pub rng_seed: u64,
}

impl std::fmt::Debug for QuickbooksSandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickbooksSandboxConfig")
            .field("realm_id", &self.realm_id)
            .field("dev_token", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("verifier_token", &"[redacted]")
            .field("webhook_url", &self.webhook_url)
            .field("seed", &self.seed)
            .field("time_scale", &self.time_scale)
            .field(
                "company_utc_offset_minutes",
                &self.company_utc_offset_minutes,
            )
            .field("webhook_format", &self.webhook_format)
            .field("inactive_event", &self.inactive_event)
            .field("strict_refresh_rotation", &self.strict_refresh_rotation)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Default realm id: a numeric string like real ones (§1).
pub const DEFAULT_REALM_ID: &str = "9341455649204247";
/// Default static bearer token.
pub const DEFAULT_DEV_TOKEN: &str = "qbo-sandbox-dev-token";
/// Default OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "qbo-sandbox-client";
/// Default OAuth client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "qbo-sandbox-client-secret";
/// Default webhook verifier token.
pub const DEFAULT_VERIFIER_TOKEN: &str = "qbo-sandbox-verifier-token";

impl Default for QuickbooksSandboxConfig {
    fn default() -> Self {
        Self {
            realm_id: DEFAULT_REALM_ID.to_owned(),
            dev_token: DEFAULT_DEV_TOKEN.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            verifier_token: DEFAULT_VERIFIER_TOKEN.to_owned(),
            webhook_url: None,
            seed: Seed::Empty,
            time_scale: 1.0,
            // Pacific time, as in every docs sample (`-07:00`/`-08:00`); fixed, no DST.
            company_utc_offset_minutes: -8 * 60,
            webhook_format: WebhookPayloadFormat::CloudEvents,
            webhook_max_batch: 100,
            webhook_delay_ms: 0,
            webhook_duplicate_rate: 0.0,
            webhook_reorder_rate: 0.0,
            webhook_drop_rate: 0.0,
            inactive_event: InactiveEventKind::Delete,
            void_event_operation: "voided".to_owned(),
            strict_refresh_rotation: true,
            limits: QboLimits::default(),
            max_in_flight: 10,
            request_id_conflict: RequestIdConflict::Replay,
            lowercase_duplicate_name_fault: false,
            xml_throttle_body: false,
            rng_seed: 7,
        }
    }
}
