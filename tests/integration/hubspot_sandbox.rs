//! hubspot_sandbox integration tests.
//! (being built)
