//! The OAuth `state` of the connect flow: 256 random bits handed to the vendor, stored only as
//! its SHA-256 with the admin session it belongs to, expiring after ten minutes, taken once.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{ConnectionId, Side};
use crate::ports::{PendingAuthorization, PendingAuthorizations, StoreError};

/// How long the admin has to consent at a vendor.
pub const STATE_LIFETIME: Duration = Duration::minutes(10);
/// How long a used state is remembered, so presenting it again says "already used" rather
/// than "not one we issued".
const USED_MEMORY: Duration = Duration::hours(24);

/// Which step an authorization in progress is at; stored with it (no token, no code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Flow {
    /// Sent to HubSpot. `reconnect`: the connection whose HubSpot side this replaces; none =
    /// a new connection, which goes on to Intuit afterwards.
    Hubspot {
        environment: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reconnect: Option<ConnectionId>,
    },
    /// Sent to Intuit for `connection`. `new_portal`: the portal a new connection authorized
    /// at HubSpot (its tokens are already in the vault under `connection`); none = reconnect.
    Quickbooks {
        connection: ConnectionId,
        environment: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_portal: Option<String>,
    },
    /// Already taken once.
    Used,
}

impl Flow {
    pub fn side(&self) -> Option<Side> {
        match self {
            Flow::Hubspot { .. } => Some(Side::Hubspot),
            Flow::Quickbooks { .. } => Some(Side::Quickbooks),
            Flow::Used => None,
        }
    }
}

/// Why a callback's `state` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// Missing, forged, or meant for the other vendor's callback.
    NotIssued,
    Expired,
    /// Started by another admin session (or another browser).
    OtherSession,
    AlreadyUsed,
}

#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// `flow`: what the state was for, when it was ours but can no longer be used (so the
    /// caller can remove what that step had already written).
    #[error("refused: {why:?}")]
    Refused {
        why: StateRefusal,
        flow: Option<Flow>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// Starts an authorization: stores `flow` under a new state's hash for the session whose hash
/// is `session_hash`, and returns the state to send to the vendor.
pub async fn issue(
    store: &dyn PendingAuthorizations,
    session_hash: &str,
    flow: &Flow,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let state = hex::encode(bytes);
    let flow = serde_json::to_value(flow)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode the connect step: {e}")))?;
    store
        .put_pending(&PendingAuthorization {
            state_hash: hash(&state),
            session_hash: session_hash.to_owned(),
            created_at: now,
            expires_at: now + STATE_LIFETIME,
            flow,
        })
        .await?;
    Ok(state)
}

/// Takes the authorization of a callback's `state` once, at step `side`, for a caller that
/// `is_caller` recognises by the stored session hash; answers the step and that hash (the
/// next step is bound to the same session).
pub async fn take(
    store: &dyn PendingAuthorizations,
    is_caller: &(dyn Fn(&str) -> bool + Sync),
    state: Option<&str>,
    side: Side,
    now: DateTime<Utc>,
) -> Result<(Flow, String), TakeError> {
    let refused = |why| Err(TakeError::Refused { why, flow: None });
    let Some(state) = state.filter(|s| !s.is_empty()) else {
        return refused(StateRefusal::NotIssued);
    };
    let Some(pending) = store.take_pending(&hash(state)).await? else {
        return refused(StateRefusal::NotIssued);
    };
    let flow: Flow = serde_json::from_value(pending.flow.clone())
        .map_err(|e| StoreError::Corrupt(format!("a stored connect step does not parse: {e}")))?;
    if flow == Flow::Used {
        // Keep remembering it for the next attempt.
        store.put_pending(&pending).await?;
        return refused(StateRefusal::AlreadyUsed);
    }
    if !is_caller(&pending.session_hash) {
        // Not this session's to use up: the admin who started it can still finish.
        store.put_pending(&pending).await?;
        return refused(StateRefusal::OtherSession);
    }
    let used = PendingAuthorization {
        flow: serde_json::to_value(Flow::Used)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode the used marker: {e}")))?,
        expires_at: pending.expires_at.max(now) + USED_MEMORY,
        ..pending.clone()
    };
    store.put_pending(&used).await?;
    if now >= pending.expires_at {
        return Err(TakeError::Refused {
            why: StateRefusal::Expired,
            flow: Some(flow),
        });
    }
    if flow.side() != Some(side) {
        return refused(StateRefusal::NotIssued);
    }
    Ok((flow, pending.session_hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;

    /// A caller recognised by its session hash.
    fn session(hash: &'static str) -> impl Fn(&str) -> bool + Sync {
        move |stored: &str| stored == hash
    }

    fn hubspot_flow() -> Flow {
        Flow::Hubspot {
            environment: "local".into(),
            reconnect: None,
        }
    }

    fn refusal(result: Result<(Flow, String), TakeError>) -> StateRefusal {
        match result {
            Err(TakeError::Refused { why, .. }) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_state_is_taken_once_by_its_session_and_only_its_hash_is_stored() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let mine = session("a");
        let state = issue(&store, "a", &hubspot_flow(), now).await.unwrap();
        assert_eq!(state.len(), 64, "256 bits, hex");
        assert!(
            store.take_pending(&state).await.unwrap().is_none(),
            "stored by hash only"
        );

        let other = take(&store, &session("b"), Some(&state), Side::Hubspot, now).await;
        assert_eq!(refusal(other), StateRefusal::OtherSession);
        let (flow, hash) = take(&store, &mine, Some(&state), Side::Hubspot, now)
            .await
            .unwrap();
        assert_eq!((flow, hash.as_str()), (hubspot_flow(), "a"));
        for _ in 0..2 {
            let again = take(&store, &mine, Some(&state), Side::Hubspot, now).await;
            assert_eq!(refusal(again), StateRefusal::AlreadyUsed);
        }
    }

    #[tokio::test]
    async fn forged_expired_and_misdirected_states_are_refused() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let mine = session("a");
        for forged in [None, Some(""), Some("f00d")] {
            let result = take(&store, &mine, forged, Side::Hubspot, now).await;
            assert_eq!(refusal(result), StateRefusal::NotIssued);
        }
        let state = issue(&store, "a", &hubspot_flow(), now).await.unwrap();
        let late = now + STATE_LIFETIME;
        let result = take(&store, &mine, Some(&state), Side::Hubspot, late).await;
        assert_eq!(refusal(result), StateRefusal::Expired);

        let state = issue(&store, "a", &hubspot_flow(), now).await.unwrap();
        let result = take(&store, &mine, Some(&state), Side::Quickbooks, now).await;
        assert_eq!(refusal(result), StateRefusal::NotIssued);
    }
}
