//! `Claims` on SQLite: a claim row per connection, kind and key, read and written in one
//! transaction so two claimers cannot both win.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, to_chrono};
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{Claim, ClaimOutcome, Claims, RecordRef, StoreError};

#[async_trait]
impl Claims for SqliteStore {
    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let (c, key, owner) = (connection.to_string(), key.to_owned(), owner.clone());
        let expires_at = now + to_chrono(ttl);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                let existing: Option<Claim> = body.map(|b| from_json(&b)).transpose()?;
                let (outcome, claim) = match existing {
                    Some(claim) if claim.owner == owner => {
                        let claim = Claim { expires_at, ..claim };
                        (ClaimOutcome::AlreadyOwned(claim.clone()), claim)
                    }
                    Some(claim) if claim.expires_at > now => {
                        return Ok(ClaimOutcome::HeldBy(claim));
                    }
                    _ => {
                        let claim = Claim {
                            key: key.clone(),
                            owner,
                            created_id: None,
                            claimed_at: now,
                            expires_at,
                        };
                        (ClaimOutcome::Claimed, claim)
                    }
                };
                tx.execute(
                    "INSERT OR REPLACE INTO claims (connection, kind, key, body) VALUES (?1, ?2, ?3, ?4)",
                    params![c, kind.as_str(), key, to_json(&claim)?],
                )?;
                tx.commit()?;
                Ok(outcome)
            })
            .await
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        let (c, key, owner, created_id) = (
            connection.to_string(),
            key.to_owned(),
            owner.clone(),
            created_id.to_owned(),
        );
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(mut claim) = body.map(|b| from_json::<Claim>(&b)).transpose()?
                    && claim.owner == owner
                {
                    claim.created_id = Some(created_id);
                    tx.execute(
                        "UPDATE claims SET body = ?4 WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key, to_json(&claim)?],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        let (c, key, owner) = (connection.to_string(), key.to_owned(), owner.clone());
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                if body
                    .map(|b| from_json::<Claim>(&b))
                    .transpose()?
                    .is_some_and(|claim| claim.owner == owner)
                {
                    tx.execute(
                        "DELETE FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }
}
