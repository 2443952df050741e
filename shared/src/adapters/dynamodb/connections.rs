//! Connections (`CONN#{c}` / `META`) with their webhook routing items (`PORTAL#{p}` and
//! `REALM#{r}` / `CONN#{c}`) and an index item (`CONNECTIONS` / `CONN#{c}`) so listing needs no
//! scan; all written in one transaction, stale routing removed when the account ids change.

use std::collections::HashMap;

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{Item, get_json, get_opt_s, get_s, json, keyed, s};
use super::keys::{self, PK, SK};
use super::query::TransactFailure;
use crate::model::ConnectionId;
use crate::ports::{ConnectionListing, ConnectionRecord, Connections, StoreError};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

const RECORD: &str = "record";
const PORTAL_ID: &str = "portal_id";
const REALM_ID: &str = "realm_id";
const ENVIRONMENT: &str = "environment";
const STATUS: &str = "status";

/// Attempts when a concurrent `put_connection` moves the routing under us.
const PUT_ATTEMPTS: usize = 3;

#[async_trait]
impl Connections for DynamoStore {
    async fn put_connection(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        let id = record.id();
        let table = self.table();
        for _ in 0..PUT_ATTEMPTS {
            let previous = self.get_connection(id).await?;
            // The META put is conditional on still holding the routing just read, so two
            // concurrent moves cannot leave a stale routing item behind.
            let mut items = vec![
                put_if_unchanged(&table, meta_item(record)?, previous.as_ref())?,
                put(&table, index_item(keys::CONNECTIONS, id))?,
                put(
                    &table,
                    index_item(&keys::portal_pk(&record.connection.hubspot_portal_id), id),
                )?,
                put(
                    &table,
                    index_item(&keys::realm_pk(&record.connection.qbo_realm_id), id),
                )?,
            ];
            if let Some(previous) = &previous {
                let old = &previous.connection;
                if old.hubspot_portal_id != record.connection.hubspot_portal_id {
                    items.push(delete(
                        &table,
                        keyed(
                            keys::portal_pk(&old.hubspot_portal_id),
                            keys::connection_sk(id),
                        ),
                    )?);
                }
                if old.qbo_realm_id != record.connection.qbo_realm_id {
                    items.push(delete(
                        &table,
                        keyed(keys::realm_pk(&old.qbo_realm_id), keys::connection_sk(id)),
                    )?);
                }
            }
            match self.transact(items).await {
                Ok(()) => return Ok(()),
                Err(TransactFailure::ConditionsFailed(_)) => continue,
                Err(TransactFailure::Store(err)) => return Err(err),
            }
        }
        Err(StoreError::Backend(format!(
            "connection {id} kept changing while being stored; gave up after {PUT_ATTEMPTS} attempts"
        )))
    }

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        self.get_item(&keys::connection_pk(id), keys::META)
            .await?
            .map(|item| get_json(&item, RECORD))
            .transpose()
    }

    async fn list_connections(&self) -> Result<ConnectionListing, StoreError> {
        let ids = self.routed(keys::CONNECTIONS).await?;
        let meta_keys = ids
            .iter()
            .map(|id| keyed(keys::connection_pk(id), keys::META))
            .collect();
        let mut items: HashMap<ConnectionId, Item> = HashMap::new();
        for item in self.batch_get(meta_keys).await? {
            let id = get_s(&item, PK)
                .ok()
                .and_then(|pk| pk.strip_prefix("CONN#"))
                .and_then(|id| ConnectionId::new(id).ok());
            if let Some(id) = id {
                items.insert(id, item);
            }
        }
        let mut listing = ConnectionListing::default();
        for id in ids {
            let Some(item) = items.remove(&id) else {
                listing.push(
                    id.clone(),
                    Err(StoreError::Corrupt(format!(
                        "the connection index names {id} but it has no META item"
                    ))),
                );
                continue;
            };
            let before = listing.broken.len();
            listing.push(id, get_json(&item, RECORD));
            // The plain attributes beside the JSON still say which accounts it joins.
            if let Some(broken) = listing.broken.get_mut(before) {
                let plain = |name: &str| get_opt_s(&item, name).map(str::to_owned);
                broken.portal_id = broken.portal_id.take().or_else(|| plain(PORTAL_ID));
                broken.realm_id = broken.realm_id.take().or_else(|| plain(REALM_ID));
                broken.environment = broken.environment.take().or_else(|| plain(ENVIRONMENT));
            }
        }
        Ok(listing.sorted())
    }

    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError> {
        self.routed(&keys::portal_pk(portal_id)).await
    }

    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError> {
        self.routed(&keys::realm_pk(realm_id)).await
    }

    async fn delete_connection(&self, id: &ConnectionId) -> Result<(), StoreError> {
        let table = self.table();
        // The routing keys come from the META item's plain attributes, so a record whose JSON
        // no longer parses can still be deleted with its routing.
        let meta = self.get_item(&keys::connection_pk(id), keys::META).await?;
        let mut items = vec![
            delete(&table, keyed(keys::connection_pk(id), keys::META))?,
            delete(&table, keyed(keys::CONNECTIONS, keys::connection_sk(id)))?,
        ];
        if let Some(meta) = &meta {
            if let Ok(portal) = get_s(meta, PORTAL_ID) {
                items.push(delete(
                    &table,
                    keyed(keys::portal_pk(portal), keys::connection_sk(id)),
                )?);
            }
            if let Ok(realm) = get_s(meta, REALM_ID) {
                items.push(delete(
                    &table,
                    keyed(keys::realm_pk(realm), keys::connection_sk(id)),
                )?);
            }
        }
        self.transact(items).await.map_err(|failure| match failure {
            TransactFailure::Store(err) => err,
            TransactFailure::ConditionsFailed(_) => {
                StoreError::Backend(format!("deleting connection {id} hit a condition"))
            }
        })
    }
}

impl DynamoStore {
    /// Connection ids under a routing or index partition.
    pub(super) async fn routed(&self, pk: &str) -> Result<Vec<ConnectionId>, StoreError> {
        self.query_prefix(pk, "CONN#", false, None)
            .await?
            .iter()
            .map(|item| {
                let sk = get_s(item, SK)?;
                keys::parse_connection_sk(sk).ok_or_else(|| {
                    StoreError::Corrupt(format!("routing item {pk} / {sk} names no connection"))
                })
            })
            .collect()
    }
}

fn meta_item(record: &ConnectionRecord) -> Result<Item, StoreError> {
    let mut item = keyed(keys::connection_pk(record.id()), keys::META);
    item.insert(RECORD.into(), json(record)?);
    // Plain attributes too, for reading the table by hand.
    item.insert(PORTAL_ID.into(), s(&record.connection.hubspot_portal_id));
    item.insert(REALM_ID.into(), s(&record.connection.qbo_realm_id));
    item.insert(ENVIRONMENT.into(), s(&record.environment));
    item.insert(STATUS.into(), json(&record.status)?);
    Ok(item)
}

fn index_item(pk: &str, id: &ConnectionId) -> Item {
    keyed(pk, keys::connection_sk(id))
}

fn put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(|e| super::item::backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn put_if_unchanged(
    table: &str,
    item: Item,
    previous: Option<&ConnectionRecord>,
) -> Result<TransactWriteItem, StoreError> {
    let builder = Put::builder().table_name(table).set_item(Some(item));
    let builder = match previous {
        None => builder
            .condition_expression("attribute_not_exists(#sk)")
            .expression_attribute_names("#sk", SK),
        Some(previous) => builder
            .condition_expression("#portal = :portal AND #realm = :realm")
            .expression_attribute_names("#portal", PORTAL_ID)
            .expression_attribute_names("#realm", REALM_ID)
            .expression_attribute_values(":portal", s(&previous.connection.hubspot_portal_id))
            .expression_attribute_values(":realm", s(&previous.connection.qbo_realm_id)),
    };
    let put = builder
        .build()
        .map_err(|e| super::item::backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(|e| super::item::backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}
