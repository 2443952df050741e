//! Starts the QuickBooks sandbox in-process on a free loopback port for tests.
//! Owned by the QuickBooks sandbox work.
