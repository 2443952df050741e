//! `Claims` in memory: natural-key claims per connection and kind, taken over once expired.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, kind_key, to_chrono};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{Claim, ClaimOutcome, Claims, RecordRef, StoreError};

#[async_trait]
impl Claims for MemoryStore {
    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut state = self.lock_state();
        let claims = state.claims.entry(kind_key(connection, kind)).or_default();
        let expires_at = now + to_chrono(ttl);
        match claims.get_mut(key) {
            Some(claim) if claim.owner == *owner => {
                claim.expires_at = expires_at;
                Ok(ClaimOutcome::AlreadyOwned(claim.clone()))
            }
            Some(claim) if claim.expires_at > now => Ok(ClaimOutcome::HeldBy(claim.clone())),
            _ => {
                claims.insert(
                    key.to_owned(),
                    Claim {
                        key: key.to_owned(),
                        owner: owner.clone(),
                        created_id: None,
                        claimed_at: now,
                        expires_at,
                    },
                );
                Ok(ClaimOutcome::Claimed)
            }
        }
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        if let Some(claim) = state
            .claims
            .get_mut(&kind_key(connection, kind))
            .and_then(|claims| claims.get_mut(key))
            .filter(|claim| claim.owner == *owner)
        {
            claim.created_id = Some(created_id.to_owned());
        }
        Ok(())
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        if let Some(claims) = state.claims.get_mut(&kind_key(connection, kind))
            && claims.get(key).is_some_and(|claim| claim.owner == *owner)
        {
            claims.remove(key);
        }
        Ok(())
    }
}
