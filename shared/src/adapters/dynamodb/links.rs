//! Links: the HubSpot-side item (`HS#{id}`) holds the whole link and its revision; the QBO-side
//! item (`QB#{id}`) points to it. Both are written in one transaction conditional on absence
//! (invariant 1); changes are conditional on the revision read (invariant 3).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{Item, backend, get_json, get_n, get_s, get_time, json, keyed, n, s, time};
use super::keys::{self, PK};
use super::query::TransactFailure;
use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::ports::{Links, StoreError};

const HUBSPOT_ID: &str = "hubspot_id";
const QBO_ID: &str = "qbo_id";
const BASELINE: &str = "baseline";
const HUBSPOT_VERSION: &str = "hubspot_version";
const QBO_VERSION: &str = "qbo_version";
const UPDATED_AT: &str = "updated_at";
const REVISION: &str = "revision";

/// Condition of writes that replace or remove a stored link: same pair, same revision.
const SAME_REVISION: &str = "#rev = :rev AND #qbo = :qbo";

#[async_trait]
impl Links for DynamoStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        let pk = keys::kind_pk(connection, kind);
        let hubspot_id = match side {
            Side::Hubspot => id.to_owned(),
            Side::Quickbooks => match self.get_item(&pk, &keys::link_sk(side, id)).await? {
                Some(pointer) => get_s(&pointer, HUBSPOT_ID)?.to_owned(),
                None => return Ok(None),
            },
        };
        let Some(item) = self
            .get_item(&pk, &keys::link_sk(Side::Hubspot, &hubspot_id))
            .await?
        else {
            return Ok(None);
        };
        let link = link_from_item(connection, kind, &item)?;
        // A relink between the two reads may have moved the pointer; the HubSpot item decides.
        Ok((link.id(side) == id).then_some(link))
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let pk = keys::kind_pk(connection, kind);
        let mut wanted: Vec<&String> = ids.iter().collect();
        wanted.sort();
        wanted.dedup();
        let hubspot_ids: Vec<String> = match side {
            Side::Hubspot => wanted.iter().map(|id| (*id).clone()).collect(),
            Side::Quickbooks => {
                let pointer_keys = wanted
                    .iter()
                    .map(|id| keyed(&pk, keys::link_sk(side, id)))
                    .collect();
                self.batch_get(pointer_keys)
                    .await?
                    .iter()
                    .map(|pointer| get_s(pointer, HUBSPOT_ID).map(str::to_owned))
                    .collect::<Result<_, _>>()?
            }
        };
        let link_keys = hubspot_ids
            .iter()
            .map(|id| keyed(&pk, keys::link_sk(Side::Hubspot, id)))
            .collect();
        let mut by_id: HashMap<String, Link> = HashMap::new();
        for item in self.batch_get(link_keys).await? {
            let link = link_from_item(connection, kind, &item)?;
            by_id.insert(link.id(side).to_owned(), link);
        }
        // Answer in request order, each link once.
        let mut out = Vec::new();
        for id in ids {
            if let Some(link) = by_id.remove(id) {
                out.push(link);
            }
        }
        Ok(out)
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        self.query_prefix(
            &keys::kind_pk(connection, kind),
            keys::LINK_HUBSPOT_PREFIX,
            false,
            None,
        )
        .await?
        .iter()
        .map(|item| link_from_item(connection, kind, item))
        .collect()
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        let stored = Link {
            revision: 1,
            ..link.clone()
        };
        let items = vec![
            put_absent(&self.table(), link_item(&stored)?)?,
            put_absent(&self.table(), pointer_item(&stored))?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(stored),
            Err(TransactFailure::ConditionsFailed(failed)) => Err(already_linked(
                link,
                failed[0],
                failed.get(1).copied().unwrap_or(false),
            )),
            Err(TransactFailure::Store(err)) => Err(err),
        }
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        let stored = Link {
            revision: link.revision + 1,
            ..link.clone()
        };
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(link_item(&stored)?))
            .condition_expression(SAME_REVISION)
            .expression_attribute_names("#rev", REVISION)
            .expression_attribute_names("#qbo", QBO_ID)
            .expression_attribute_values(":rev", n(link.revision))
            .expression_attribute_values(":qbo", s(&link.qbo_id))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(stored),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let old = match failed.item {
                        Some(old) => Some(old),
                        None => {
                            self.get_item(
                                &keys::kind_pk(&link.connection, link.kind),
                                &keys::link_sk(Side::Hubspot, &link.hubspot_id),
                            )
                            .await?
                        }
                    };
                    match old {
                        Some(old) if get_s(&old, QBO_ID)? != link.qbo_id => {
                            Err(StoreError::IdsChanged)
                        }
                        Some(old) => Err(StoreError::RevisionMismatch {
                            expected: link.revision,
                            found: Some(get_n(&old, REVISION)?),
                        }),
                        None => Err(StoreError::RevisionMismatch {
                            expected: link.revision,
                            found: None,
                        }),
                    }
                }
                other => Err(backend("PutItem", other)),
            },
        }
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        let table = self.table();
        let stored = Link {
            revision: old.revision + 1,
            connection: old.connection.clone(),
            kind: old.kind,
            ..new.clone()
        };
        // DynamoDB allows one operation per item in a transaction, so an id kept by the
        // relink is replaced in place and only changed ids are deleted / inserted.
        let mut items = Vec::new();
        // Index of the item carrying the revision condition, and of the absence conditions.
        let revision_check = 0;
        let mut absent_hubspot = None;
        let mut absent_qbo = None;
        if stored.hubspot_id == old.hubspot_id {
            items.push(put_same_revision(&table, link_item(&stored)?, old)?);
        } else {
            items.push(delete_same_revision(&table, old)?);
            absent_hubspot = Some(items.len());
            items.push(put_absent(&table, link_item(&stored)?)?);
        }
        if stored.qbo_id == old.qbo_id {
            items.push(put_plain(&table, pointer_item(&stored))?);
        } else {
            items.push(delete_plain(
                &table,
                keyed(
                    keys::kind_pk(&old.connection, old.kind),
                    keys::link_sk(Side::Quickbooks, &old.qbo_id),
                ),
            )?);
            absent_qbo = Some(items.len());
            items.push(put_absent(&table, pointer_item(&stored))?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(stored),
            Err(TransactFailure::ConditionsFailed(failed)) => {
                if failed[revision_check] {
                    return Err(self.revision_mismatch(old).await);
                }
                let flag = |at: Option<usize>| at.is_some_and(|i| failed[i]);
                Err(already_linked(new, flag(absent_hubspot), flag(absent_qbo)))
            }
            Err(TransactFailure::Store(err)) => Err(err),
        }
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        let table = self.table();
        let items = vec![
            delete_same_revision(&table, link)?,
            delete_plain(
                &table,
                keyed(
                    keys::kind_pk(&link.connection, link.kind),
                    keys::link_sk(Side::Quickbooks, &link.qbo_id),
                ),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::ConditionsFailed(_)) => Err(self.revision_mismatch(link).await),
            Err(TransactFailure::Store(err)) => Err(err),
        }
    }
}

impl DynamoStore {
    /// The mismatch error for `link`, with the revision stored now for the same pair.
    async fn revision_mismatch(&self, link: &Link) -> StoreError {
        let found = self
            .get_item(
                &keys::kind_pk(&link.connection, link.kind),
                &keys::link_sk(Side::Hubspot, &link.hubspot_id),
            )
            .await;
        let found = match found {
            Ok(Some(item)) if get_s(&item, QBO_ID).is_ok_and(|q| q == link.qbo_id) => {
                match get_n(&item, REVISION) {
                    Ok(revision) => Some(revision),
                    Err(err) => return err,
                }
            }
            Ok(_) => None,
            Err(err) => return err,
        };
        StoreError::RevisionMismatch {
            expected: link.revision,
            found,
        }
    }
}

fn already_linked(link: &Link, hubspot_taken: bool, qbo_taken: bool) -> StoreError {
    if hubspot_taken || !qbo_taken {
        StoreError::AlreadyLinked {
            side: Side::Hubspot,
            id: link.hubspot_id.clone(),
        }
    } else {
        StoreError::AlreadyLinked {
            side: Side::Quickbooks,
            id: link.qbo_id.clone(),
        }
    }
}

fn link_item(link: &Link) -> Result<Item, StoreError> {
    let mut item = keyed(
        keys::kind_pk(&link.connection, link.kind),
        keys::link_sk(Side::Hubspot, &link.hubspot_id),
    );
    item.insert(HUBSPOT_ID.into(), s(&link.hubspot_id));
    item.insert(QBO_ID.into(), s(&link.qbo_id));
    item.insert(BASELINE.into(), json(&link.baseline)?);
    item.insert(HUBSPOT_VERSION.into(), s(&link.hubspot_version));
    item.insert(QBO_VERSION.into(), s(&link.qbo_version));
    item.insert(UPDATED_AT.into(), time(link.updated_at));
    item.insert(REVISION.into(), n(link.revision));
    Ok(item)
}

fn pointer_item(link: &Link) -> Item {
    let mut item = keyed(
        keys::kind_pk(&link.connection, link.kind),
        keys::link_sk(Side::Quickbooks, &link.qbo_id),
    );
    item.insert(HUBSPOT_ID.into(), s(&link.hubspot_id));
    item.insert(QBO_ID.into(), s(&link.qbo_id));
    item
}

fn link_from_item(
    connection: &ConnectionId,
    kind: ObjectKind,
    item: &Item,
) -> Result<Link, StoreError> {
    Ok(Link {
        connection: connection.clone(),
        kind,
        hubspot_id: get_s(item, HUBSPOT_ID)?.to_owned(),
        qbo_id: get_s(item, QBO_ID)?.to_owned(),
        baseline: get_json(item, BASELINE)?,
        hubspot_version: get_s(item, HUBSPOT_VERSION)?.to_owned(),
        qbo_version: get_s(item, QBO_VERSION)?.to_owned(),
        updated_at: get_time(item, UPDATED_AT)?,
        revision: get_n(item, REVISION)?,
    })
}

fn put_absent(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .map_err(|e| backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn put_plain(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(|e| backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn put_same_revision(
    table: &str,
    item: Item,
    expected: &Link,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(SAME_REVISION)
        .expression_attribute_names("#rev", REVISION)
        .expression_attribute_names("#qbo", QBO_ID)
        .expression_attribute_values(":rev", n(expected.revision))
        .expression_attribute_values(":qbo", s(&expected.qbo_id))
        .build()
        .map_err(|e| backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn delete_same_revision(table: &str, expected: &Link) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(keyed(
            keys::kind_pk(&expected.connection, expected.kind),
            keys::link_sk(Side::Hubspot, &expected.hubspot_id),
        )))
        .condition_expression(SAME_REVISION)
        .expression_attribute_names("#rev", REVISION)
        .expression_attribute_names("#qbo", QBO_ID)
        .expression_attribute_values(":rev", n(expected.revision))
        .expression_attribute_values(":qbo", s(&expected.qbo_id))
        .build()
        .map_err(|e| backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn delete_plain(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(|e| backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}
