//! hubspot_client integration tests.
//! (being built)
