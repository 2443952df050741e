//! `HubspotClient`: base URL, timeout, bearer token and budgets for one HubSpot account, and the
//! one request path every endpoint goes through (rate budget, retry policy, error parsing).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::{ClassifyRetry, RetryClass, RetryPolicy, TokenRenewal, with_retry};

use super::error::{HubspotError, RateLimitPolicy, Result};
use super::limits::{self, HubspotBudgets};
use super::version;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one HubSpot account (one access token). Cheap to clone; clones share the token,
/// the connection pool and the budgets.
#[derive(Clone)]
pub struct HubspotClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: RwLock<SecretString>,
    budgets: HubspotBudgets,
    policy: RetryPolicy,
    /// Asked once for another token when HubSpot answers 401 (docs/hubspot.md §1.3).
    renewal: Option<Arc<dyn TokenRenewal>>,
    /// The client's per-request timeout (requests inside a deadline scope may get less).
    timeout: Duration,
}

impl std::fmt::Debug for HubspotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubspotClient")
            .field("base_url", &self.inner.base_url)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Builds a [`HubspotClient`]; every setting has the production default.
pub struct HubspotClientBuilder {
    token: SecretString,
    base_url: String,
    timeout: Duration,
    budgets: Option<HubspotBudgets>,
    policy: RetryPolicy,
    renewal: Option<Arc<dyn TokenRenewal>>,
}

impl HubspotClientBuilder {
    /// Where the API lives (the sandbox's `http://127.0.0.1:PORT` in tests).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Shares an account's budgets between clients (default: fresh per-account budgets).
    pub fn budgets(mut self, budgets: HubspotBudgets) -> Self {
        self.budgets = Some(budgets);
        self
    }

    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// On a 401 (an access token revoked or expired before its stored expiry), asks `renewal`
    /// for another token once and repeats the call once with it.
    pub fn token_renewal(mut self, renewal: Arc<dyn TokenRenewal>) -> Self {
        self.renewal = Some(renewal);
        self
    }

    pub fn build(self) -> Result<HubspotClient> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|source| HubspotError::Transport {
                not_sent: true,
                source,
            })?;
        Ok(HubspotClient {
            inner: Arc::new(Inner {
                http,
                base_url: self.base_url,
                token: RwLock::new(self.token),
                budgets: self.budgets.unwrap_or_default(),
                policy: self.policy,
                renewal: self.renewal,
                timeout: self.timeout,
            }),
        })
    }
}

/// Which budget a call draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    General,
    Search,
}

/// Whether a call may be repeated after an unclear failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Reads, updates, upserts by a unique property, archives: retried on 429, 5xx, transport.
    Safe,
    /// Creates and merges: retried only when HubSpot certainly did not process the request
    /// (429, connection never made). A 5xx or timeout goes back to the caller, who re-reads or
    /// upserts, so a retry never duplicates a record.
    OnlyIfNotProcessed,
}

/// One HTTP call to HubSpot.
pub(crate) struct Call {
    pub op: &'static str,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub json: Option<Value>,
    pub form: Option<Vec<(String, String)>>,
    pub lane: Lane,
    pub repeat: Repeat,
    /// Send the bearer token (everything except the OAuth token endpoint).
    pub auth: bool,
}

impl Call {
    pub fn new(op: &'static str, method: Method, path: String) -> Self {
        Call {
            op,
            method,
            path,
            query: Vec::new(),
            json: None,
            form: None,
            lane: Lane::General,
            repeat: Repeat::Safe,
            auth: true,
        }
    }

    pub fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    pub fn repeat(mut self, repeat: Repeat) -> Self {
        self.repeat = repeat;
        self
    }

    pub fn lane(mut self, lane: Lane) -> Self {
        self.lane = lane;
        self
    }
}

/// Classifies a create's failure so that only "certainly not processed" failures retry.
struct OnceOnly(HubspotError);

impl ClassifyRetry for OnceOnly {
    fn retry_class(&self) -> RetryClass {
        if self.0.certainly_not_processed() {
            self.0.retry_class()
        } else {
            RetryClass::Permanent
        }
    }
}

impl HubspotClient {
    /// A client for `https://api.hubapi.com` with the documented budgets.
    pub fn new(access_token: SecretString) -> Result<Self> {
        Self::builder(access_token).build()
    }

    pub fn builder(access_token: SecretString) -> HubspotClientBuilder {
        HubspotClientBuilder {
            token: access_token,
            base_url: version::DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            budgets: None,
            policy: limits::RETRY_POLICY,
            renewal: None,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn budgets(&self) -> &HubspotBudgets {
        &self.inner.budgets
    }

    /// Swaps in a refreshed access token; clones of this client see it too.
    pub fn set_access_token(&self, token: SecretString) {
        *self.inner.token.write().expect("token lock") = token;
    }

    /// Runs `call` under the budget and retry policy and decodes the JSON answer.
    pub(crate) async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let bytes = self.send_raw(&call).await?;
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|source| HubspotError::Decode {
            what: call.op.to_owned(),
            source,
        })
    }

    /// Runs `call` and ignores the body (204 answers).
    pub(crate) async fn send_no_content(&self, call: Call) -> Result<()> {
        self.send_raw(&call).await.map(drop)
    }

    async fn send_raw(&self, call: &Call) -> Result<Vec<u8>> {
        let used = self.inner.token.read().expect("token lock").clone();
        let first = self.send_under_policy(call).await;
        // A 401 before the stored expiry (revoked, or expired early): one renewal, one repeat.
        let (Err(HubspotError::Unauthorized { .. }), Some(renewal), true) =
            (&first, &self.inner.renewal, call.auth)
        else {
            return first;
        };
        let Some(token) = renewal.renew(&used).await else {
            return first;
        };
        self.set_access_token(token);
        self.send_under_policy(call).await
    }

    async fn send_under_policy(&self, call: &Call) -> Result<Vec<u8>> {
        let budget = match call.lane {
            Lane::General => &self.inner.budgets.general,
            Lane::Search => &self.inner.budgets.search,
        };
        let policy = &self.inner.policy;
        match call.repeat {
            Repeat::Safe => with_retry(policy, &[budget], |_| self.attempt(call)).await,
            Repeat::OnlyIfNotProcessed => with_retry(policy, &[budget], |_| async {
                self.attempt(call).await.map_err(OnceOnly)
            })
            .await
            .map_err(|e| e.0),
        }
    }

    /// Time until the oldest of our requests inside `window` leaves it; the whole window when
    /// none of ours is in it (the budget was spent by someone else on the same account).
    fn rest_of_window(&self, window: Duration, now: tokio::time::Instant) -> Duration {
        self.inner
            .budgets
            .general
            .window_frees_at(0, now)
            .map(|frees_at| frees_at.saturating_duration_since(now))
            .filter(|rest| !rest.is_zero())
            .unwrap_or(window)
    }

    async fn attempt(&self, call: &Call) -> Result<Vec<u8>> {
        let url = format!("{}{}", self.inner.base_url, call.path);
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            // Never past the invocation's end (docs/aws.md §11).
            .timeout(crate::http::deadline::request_timeout(self.inner.timeout));
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if call.auth {
            let token = self.inner.token.read().expect("token lock");
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(body) = &call.json {
            request = request.json(body);
        }
        if let Some(form) = &call.form {
            request = request.form(form);
        }
        let response = request
            .send()
            .await
            .map_err(|source| HubspotError::Transport {
                not_sent: source.is_connect(),
                source,
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| HubspotError::Transport {
                not_sent: false,
                source,
            })?;
        if status.is_success() {
            tracing::debug!(op = call.op, status = status.as_u16(), "hubspot call");
            Ok(bytes.to_vec())
        } else {
            let mut err = HubspotError::from_response(status.as_u16(), &headers, &bytes);
            if let HubspotError::RateLimited {
                policy: RateLimitPolicy::TenSecondlyRolling | RateLimitPolicy::Other(_),
                retry_after,
                ..
            } = &mut err
                && !headers.contains_key("retry-after")
            {
                // Wait the rest of the rolling window: until our oldest request in it leaves.
                let window = retry_after.unwrap_or(limits::TEN_SECONDLY_WAIT);
                *retry_after = Some(self.rest_of_window(window, tokio::time::Instant::now()));
            }
            tracing::debug!(
                op = call.op,
                status = status.as_u16(),
                correlation_id = err.correlation_id(),
                "hubspot call failed"
            );
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rest_of_the_window_runs_from_our_oldest_request_in_it() {
        let client = HubspotClient::new(SecretString::from("t")).unwrap();
        let t0 = tokio::time::Instant::now();
        let window = Duration::from_secs(10);
        assert_eq!(
            client.rest_of_window(window, t0),
            window,
            "no requests of ours: a whole window"
        );
        drop(client.inner.budgets.general.acquire().await);
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(client.inner.budgets.general.acquire().await);
        assert_eq!(
            client.rest_of_window(window, t0 + Duration::from_secs(4)),
            Duration::from_secs(6)
        );
        assert_eq!(
            client.rest_of_window(window, t0 + Duration::from_secs(11)),
            Duration::from_secs(2),
            "the first start has left the window; the second has 2 s to go"
        );
    }
}
