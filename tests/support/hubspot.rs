//! Starts the HubSpot sandbox in-process on a free loopback port for tests.
//! Owned by the HubSpot sandbox work.
