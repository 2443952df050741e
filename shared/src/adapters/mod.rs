//! Adapters: concrete implementations of the `ports` traits. `memory` for tests, `sqlite` for
//! the local runtime (state kept between runs under `.hqsync/`); vendor gateways sit beside them.

pub mod memory;
pub mod sqlite;
