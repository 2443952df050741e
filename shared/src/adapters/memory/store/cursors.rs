//! `Cursors` in memory: one poll cursor per connection, side and kind.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Cursor, Cursors, StoreError};

#[async_trait]
impl Cursors for MemoryStore {
    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .cursors
            .get(&(connection.clone(), side, kind))
            .cloned())
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        state
            .cursors
            .insert((connection.clone(), side, kind), cursor.clone());
        Ok(())
    }
}
