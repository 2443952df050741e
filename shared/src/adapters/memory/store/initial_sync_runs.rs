//! `InitialSyncRuns` in memory: the latest run per connection, replaced and counted under the
//! store's lock (so concurrent counts never lose an increment).

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{InitialSyncRun, InitialSyncRuns, RunCounts, StoreError};

#[async_trait]
impl InitialSyncRuns for MemoryStore {
    async fn get_initial_sync(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<InitialSyncRun>, StoreError> {
        Ok(self.lock_state().initial_syncs.get(connection).cloned())
    }

    async fn replace_initial_sync(
        &self,
        connection: &ConnectionId,
        run: &InitialSyncRun,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock_state();
        let current = state.initial_syncs.get(connection).map(|r| r.id.as_str());
        if current != replacing {
            return Ok(false);
        }
        state.initial_syncs.insert(connection.clone(), run.clone());
        Ok(true)
    }

    async fn count_initial_sync(
        &self,
        connection: &ConnectionId,
        run_id: &str,
        kind: ObjectKind,
        delta: &RunCounts,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        if let Some(run) = state.initial_syncs.get_mut(connection)
            && run.id == run_id
        {
            if let Some(counts) = run.kinds.get_mut(&kind) {
                counts.add(delta);
            }
            if let Some(error) = error {
                run.error = Some(error.to_owned());
            }
        }
        Ok(())
    }
}
