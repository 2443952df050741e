//! quickbooks_sandbox integration tests.
//! (being built)
