//! Adapters: concrete implementations of the `ports` traits. `memory` for tests, `sqlite` for
//! the local runtime (state kept between runs under `.hqsync/`); vendor gateways sit beside them.

pub mod hubspot_gateway;
pub mod memory;
pub mod sqlite;
