//! An in-memory `TokenVault`: tokens per connection and side, plus fixed app credentials.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::{ConnectionId, Side};
use crate::ports::{AppCredentials, SideTokens, TokenVault, VaultError};

#[derive(Debug, Default)]
pub struct MemoryTokenVault {
    tokens: Mutex<BTreeMap<(ConnectionId, Side), SideTokens>>,
    app: AppCredentials,
}

impl MemoryTokenVault {
    pub fn new(app: AppCredentials) -> Self {
        MemoryTokenVault {
            tokens: Mutex::default(),
            app,
        }
    }

    /// Which connection and side have tokens (what a test checks was written or removed).
    pub fn stored(&self) -> Vec<(ConnectionId, Side)> {
        self.tokens
            .lock()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl TokenVault for MemoryTokenVault {
    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<SideTokens>, VaultError> {
        let map = self.tokens.lock().map_err(|_| poisoned())?;
        Ok(map.get(&(connection.clone(), side)).cloned())
    }

    async fn store_tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
        tokens: SideTokens,
    ) -> Result<(), VaultError> {
        let mut map = self.tokens.lock().map_err(|_| poisoned())?;
        map.insert((connection.clone(), side), tokens);
        Ok(())
    }

    async fn delete_tokens(&self, connection: &ConnectionId) -> Result<(), VaultError> {
        let mut map = self.tokens.lock().map_err(|_| poisoned())?;
        map.retain(|(c, _), _| c != connection);
        Ok(())
    }

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError> {
        Ok(self.app.clone())
    }
}

fn poisoned() -> VaultError {
    VaultError::Backend("token vault lock poisoned".into())
}
