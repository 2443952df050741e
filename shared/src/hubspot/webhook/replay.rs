//! `WebhookVerifier::verify_fresh`: the signature check plus the replay guard, so a v3-signed
//! request is accepted once within its 5-minute window (docs/hubspot.md §5.5).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::WebhookVerifier;
use super::signature::{MAX_AGE_MS, SignatureError, SignatureVersion, SignedRequest};

impl WebhookVerifier {
    /// [`WebhookVerifier::verify`], then, for v3, refuses a signature already accepted while
    /// its timestamp is inside the window ([`SignatureError::Replayed`]). Legacy signatures
    /// (only where allowed) have no timestamp to bound a cache, so they are not remembered.
    pub async fn verify_fresh(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<SignatureVersion, SignatureError> {
        let version = self.verify(request, now)?;
        let (SignatureVersion::V3, Some(signature), Some(timestamp)) =
            (version, request.signature_v3, request.timestamp)
        else {
            return Ok(version);
        };
        // `verify` parsed it; the window ends five minutes after the timestamp, that last
        // millisecond included (`verify` accepts an age of exactly MAX_AGE_MS), and the guard
        // forgets a key once its expiry is not after `now`: so remember it one ms longer.
        let timestamp_ms: i64 = timestamp.trim().parse().unwrap_or_default();
        let until = DateTime::from_timestamp_millis(timestamp_ms.saturating_add(MAX_AGE_MS + 1))
            .unwrap_or(now);
        // A digest, so the guard (and any table behind it) never holds a signature.
        let key = hex::encode(Sha256::digest(signature.trim().as_bytes()));
        match self.replays.first_use(&key, until, now).await {
            Ok(true) => Ok(version),
            Ok(false) => Err(SignatureError::Replayed),
            Err(error) => Err(SignatureError::ReplayUnchecked(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use secrecy::SecretString;

    use super::*;
    use crate::adapters::memory::MemoryReplayGuard;
    use crate::hubspot::webhook::signature::sign_v3;

    #[tokio::test]
    async fn a_v3_request_is_accepted_once_within_its_window() {
        let secret = SecretString::from("s3cret".to_owned());
        let guard = Arc::new(MemoryReplayGuard::default());
        let verifier = WebhookVerifier::new(secret.clone()).with_replay_guard(guard.clone());
        let now = Utc::now();
        let ts = now.timestamp_millis().to_string();
        let url = "https://hooks.example.com/webhooks/hubspot";
        let signature = sign_v3(&secret, "POST", url, b"[]", &ts);
        let request = SignedRequest::from_headers(
            "POST",
            url,
            b"[]",
            [
                ("X-HubSpot-Signature-v3", signature.as_str()),
                ("X-HubSpot-Request-Timestamp", ts.as_str()),
            ],
        );
        assert_eq!(
            verifier.verify_fresh(&request, now).await,
            Ok(SignatureVersion::V3)
        );
        assert_eq!(
            verifier.verify_fresh(&request, now).await,
            Err(SignatureError::Replayed),
            "the same capture sent again"
        );
        // At the window's last millisecond the capture is still refused as a replay.
        let edge_ts = (now.timestamp_millis() - MAX_AGE_MS).to_string();
        let edge_sig = sign_v3(&secret, "POST", url, b"[]", &edge_ts);
        let edge = SignedRequest::from_headers(
            "POST",
            url,
            b"[]",
            [
                ("X-HubSpot-Signature-v3", edge_sig.as_str()),
                ("X-HubSpot-Request-Timestamp", edge_ts.as_str()),
            ],
        );
        assert_eq!(
            verifier.verify_fresh(&edge, now).await,
            Ok(SignatureVersion::V3)
        );
        assert_eq!(
            verifier.verify_fresh(&edge, now).await,
            Err(SignatureError::Replayed)
        );
        let later = now + chrono::Duration::minutes(6);
        assert!(
            matches!(
                verifier.verify_fresh(&request, later).await,
                Err(SignatureError::Stale { .. })
            ),
            "after the window the timestamp refuses it"
        );
        assert_eq!(guard.len(), 2);
        // Another delivery (a new timestamp) is a new signature.
        let ts2 = (now.timestamp_millis() + 1).to_string();
        let signature2 = sign_v3(&secret, "POST", url, b"[]", &ts2);
        let second = SignedRequest::from_headers(
            "POST",
            url,
            b"[]",
            [
                ("X-HubSpot-Signature-v3", signature2.as_str()),
                ("X-HubSpot-Request-Timestamp", ts2.as_str()),
            ],
        );
        assert_eq!(
            verifier.verify_fresh(&second, now).await,
            Ok(SignatureVersion::V3)
        );
    }
}
