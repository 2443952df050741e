//! `Links` on SQLite: one row per link (unique on either id); each conditional write is one
//! transaction that checks its condition and writes, so a crash leaves the old or the new state.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::ports::{Links, StoreError};

fn id_column(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "hubspot_id",
        Side::Quickbooks => "qbo_id",
    }
}

fn read_link(
    conn: &Connection,
    connection: &str,
    kind: &str,
    side: Side,
    id: &str,
) -> Result<Option<Link>, StoreError> {
    let sql = format!(
        "SELECT body FROM links WHERE connection = ?1 AND kind = ?2 AND {} = ?3",
        id_column(side)
    );
    let body: Option<String> = conn
        .query_row(&sql, params![connection, kind, id], |r| r.get(0))
        .optional()?;
    Ok(body.map(|b| from_json(&b)).transpose()?)
}

/// Fails unless the stored link joins the same ids at `link.revision`.
fn check_revision(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    let found: Option<u64> = tx
        .query_row(
            "SELECT revision FROM links WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3 AND qbo_id = ?4",
            params![link.connection.as_str(), link.kind.as_str(), link.hubspot_id, link.qbo_id],
            |r| r.get(0),
        )
        .optional()?;
    if found == Some(link.revision) {
        Ok(())
    } else {
        Err(StoreError::RevisionMismatch {
            expected: link.revision,
            found,
        })
    }
}

/// Fails if either id of `link` is linked, ignoring ids `except` already holds.
fn check_unlinked(
    tx: &Transaction<'_>,
    link: &Link,
    except: Option<&Link>,
) -> Result<(), StoreError> {
    for side in Side::BOTH {
        let id = link.id(side);
        if except.is_some_and(|old| old.id(side) == id) {
            continue;
        }
        if read_link(tx, link.connection.as_str(), link.kind.as_str(), side, id)?.is_some() {
            return Err(StoreError::AlreadyLinked {
                side,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

fn insert_link(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO links (connection, kind, hubspot_id, qbo_id, revision, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            link.connection.as_str(),
            link.kind.as_str(),
            link.hubspot_id,
            link.qbo_id,
            link.revision,
            to_json(link)?
        ],
    )?;
    Ok(())
}

fn remove_link(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM links WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3",
        params![
            link.connection.as_str(),
            link.kind.as_str(),
            link.hubspot_id
        ],
    )?;
    Ok(())
}

#[async_trait]
impl Links for SqliteStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        let (c, id) = (connection.to_string(), id.to_owned());
        self.db
            .run(move |conn| read_link(conn, &c, kind.as_str(), side, &id))
            .await
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let (c, ids) = (connection.to_string(), ids.to_vec());
        self.db
            .run(move |conn| {
                let mut out = Vec::with_capacity(ids.len());
                for id in &ids {
                    out.extend(read_link(conn, &c, kind.as_str(), side, id)?);
                }
                Ok(out)
            })
            .await
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT body FROM links WHERE connection = ?1 AND kind = ?2 ORDER BY hubspot_id",
                )?;
                let bodies = stmt
                    .query_map(params![c, kind.as_str()], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        let stored = Link {
            revision: 1,
            ..link.clone()
        };
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_unlinked(&tx, &stored, None)?;
                insert_link(&tx, &stored)?;
                tx.commit()?;
                Ok(stored)
            })
            .await
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        let link = link.clone();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let stored = read_link(&tx, link.connection.as_str(), link.kind.as_str(), Side::Hubspot, &link.hubspot_id)?;
                if stored.is_some_and(|s| s.qbo_id != link.qbo_id) {
                    return Err(StoreError::IdsChanged);
                }
                check_revision(&tx, &link)?;
                let next = Link {
                    revision: link.revision + 1,
                    ..link
                };
                tx.execute(
                    "UPDATE links SET revision = ?4, body = ?5 WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3",
                    params![next.connection.as_str(), next.kind.as_str(), next.hubspot_id, next.revision, to_json(&next)?],
                )?;
                tx.commit()?;
                Ok(next)
            })
            .await
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        let old = old.clone();
        let next = Link {
            revision: old.revision + 1,
            ..new.clone()
        };
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_revision(&tx, &old)?;
                check_unlinked(&tx, &next, Some(&old))?;
                remove_link(&tx, &old)?;
                insert_link(&tx, &next)?;
                tx.commit()?;
                Ok(next)
            })
            .await
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_revision(&tx, &link)?;
                remove_link(&tx, &link)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }
}
