//! The `hqsync` commands that talk to the admin API (a local `hqsync dev` or a deployed stack),
//! their client, and the terminal output shared by every command; a library so tests drive it.

pub mod admin;
pub mod admin_client;
pub mod chaos;
pub mod output;
pub mod render;
