//! `MemoryTokenBuckets`: the shared rate buckets in one process (tests, the local runtime),
//! by the port's one rule (`ports::token_buckets::take_from`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::{BucketSpec, BucketState, Grant, StoreError, TokenBuckets, take_from};

/// Buckets in memory; every clone of an `Arc` of it shares them.
#[derive(Debug, Default)]
pub struct MemoryTokenBuckets {
    buckets: Mutex<HashMap<String, BucketState>>,
}

impl MemoryTokenBuckets {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TokenBuckets for MemoryTokenBuckets {
    async fn take_tokens(
        &self,
        key: &str,
        spec: BucketSpec,
        want: u32,
        now: DateTime<Utc>,
    ) -> Result<Grant, StoreError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (grant, state) = take_from(
            buckets.get(key).copied(),
            spec,
            want,
            now.timestamp_millis(),
        );
        buckets.insert(key.to_owned(), state);
        Ok(grant)
    }
}
