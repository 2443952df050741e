//! quickbooks_client integration tests.
//! (being built)
