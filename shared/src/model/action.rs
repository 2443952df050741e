//! A "Create QuickBooks invoice" workflow execution as the worker needs it: the callback to
//! complete and the action's input fields (docs/hubspot.md §6.2), carried by an action job.

use serde::{Deserialize, Serialize};

/// The action's input fields (`due_in_days`, `memo`, `send_email`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionInputs {
    pub due_in_days: Option<u32>,
    pub memo: Option<String>,
    pub send_email: bool,
}

/// One workflow execution: `callback_id` is unique per execution and reused by HubSpot's
/// retries, so it is the idempotency key of everything the execution creates (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionExecution {
    pub callback_id: String,
    pub inputs: ActionInputs,
}
