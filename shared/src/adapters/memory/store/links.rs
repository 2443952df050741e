//! `Links` in memory: links by HubSpot id plus a QBO-id index, each write checking its condition
//! (free ids, stored revision) under the one lock before it changes anything.

use async_trait::async_trait;

use super::{KindKey, MemoryStore, State, kind_key};
use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::ports::{Links, StoreError};

impl State {
    fn link_by(&self, key: &KindKey, side: Side, id: &str) -> Option<&Link> {
        let links = self.links.get(key)?;
        match side {
            Side::Hubspot => links.get(id),
            Side::Quickbooks => {
                let hubspot_id = self.qbo_index.get(key)?.get(id)?;
                links.get(hubspot_id)
            }
        }
    }

    fn take_link_write_fault(&mut self) -> Result<(), StoreError> {
        if self.failing_link_writes > 0 {
            self.failing_link_writes -= 1;
            return Err(StoreError::Backend("injected link write failure".into()));
        }
        Ok(())
    }

    fn check_revision(&self, key: &KindKey, link: &Link) -> Result<(), StoreError> {
        let found = self
            .link_by(key, Side::Hubspot, &link.hubspot_id)
            .filter(|stored| stored.qbo_id == link.qbo_id)
            .map(|stored| stored.revision);
        if found == Some(link.revision) {
            Ok(())
        } else {
            Err(StoreError::RevisionMismatch {
                expected: link.revision,
                found,
            })
        }
    }

    fn check_unlinked(
        &self,
        key: &KindKey,
        link: &Link,
        except: Option<&Link>,
    ) -> Result<(), StoreError> {
        for side in Side::BOTH {
            let id = link.id(side);
            if except.is_some_and(|old| old.id(side) == id) {
                continue;
            }
            if self.link_by(key, side, id).is_some() {
                return Err(StoreError::AlreadyLinked {
                    side,
                    id: id.to_owned(),
                });
            }
        }
        Ok(())
    }

    fn remove_link(&mut self, key: &KindKey, link: &Link) {
        if let Some(links) = self.links.get_mut(key) {
            links.remove(&link.hubspot_id);
        }
        if let Some(index) = self.qbo_index.get_mut(key) {
            index.remove(&link.qbo_id);
        }
    }

    fn insert_link(&mut self, key: &KindKey, link: Link) {
        self.qbo_index
            .entry(key.clone())
            .or_default()
            .insert(link.qbo_id.clone(), link.hubspot_id.clone());
        self.links
            .entry(key.clone())
            .or_default()
            .insert(link.hubspot_id.clone(), link);
    }
}

#[async_trait]
impl Links for MemoryStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .link_by(&kind_key(connection, kind), side, id)
            .cloned())
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let state = self.lock_state();
        let key = kind_key(connection, kind);
        Ok(ids
            .iter()
            .filter_map(|id| state.link_by(&key, side, id).cloned())
            .collect())
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .links
            .get(&kind_key(connection, kind))
            .map(|links| links.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        state.check_unlinked(&key, link, None)?;
        state.take_link_write_fault()?;
        let stored = Link {
            revision: 1,
            ..link.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        let stored_pair = state
            .link_by(&key, Side::Hubspot, &link.hubspot_id)
            .map(|l| l.qbo_id.clone());
        if stored_pair.as_ref().is_some_and(|qbo| *qbo != link.qbo_id) {
            return Err(StoreError::IdsChanged);
        }
        state.check_revision(&key, link)?;
        state.take_link_write_fault()?;
        let stored = Link {
            revision: link.revision + 1,
            ..link.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&old.connection, old.kind);
        state.check_revision(&key, old)?;
        state.check_unlinked(&key, new, Some(old))?;
        state.take_link_write_fault()?;
        state.remove_link(&key, old);
        let stored = Link {
            revision: old.revision + 1,
            ..new.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        state.check_revision(&key, link)?;
        state.take_link_write_fault()?;
        state.remove_link(&key, link);
        Ok(())
    }
}
