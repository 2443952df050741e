//! Completion of a blocked custom workflow action (docs/hubspot.md §6.3):
//! `POST /automation/actions/callbacks/2026-03/{callbackId}/complete` with the output fields.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Serialize;
use serde_json::json;

use super::client::{Call, HubspotClient};
use super::error::Result;
use super::version::API_VERSION;

/// `hs_execution_state` values (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionState {
    Success,
    FailContinue,
    Block,
}

impl ExecutionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionState::Success => "SUCCESS",
            ExecutionState::FailContinue => "FAIL_CONTINUE",
            ExecutionState::Block => "BLOCK",
        }
    }
}

/// The output fields sent when completing an action (`hs_execution_state` is added by
/// [`HubspotClient::complete_action_callback`]).
pub type OutputFields = BTreeMap<String, String>;

/// `/automation/actions/callbacks/2026-03/{callbackId}/complete` (the date form of §6.3).
pub fn callback_complete_path(callback_id: &str) -> String {
    format!(
        "/automation/actions/callbacks/{API_VERSION}/{}/complete",
        url::form_urlencoded::byte_serialize(callback_id.as_bytes()).collect::<String>()
    )
}

impl HubspotClient {
    /// Completes a blocked execution (204). Completing twice with the same body is harmless
    /// for us (the worker only completes after the QBO write), so it is retried.
    /// The spec's `CallbackCompletionRequest` requires `outputFields` and `typedOutputs` (§6.3).
    pub async fn complete_action_callback(
        &self,
        callback_id: &str,
        state: ExecutionState,
        outputs: &OutputFields,
    ) -> Result<()> {
        let mut fields = outputs.clone();
        fields.insert("hs_execution_state".into(), state.as_str().into());
        let call = Call::new(
            "automation.callback_complete",
            Method::POST,
            callback_complete_path(callback_id),
        )
        .json(json!({ "outputFields": fields, "typedOutputs": {} }));
        self.send_no_content(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_uses_the_date_form_and_encodes_the_id() {
        assert_eq!(
            callback_complete_path("ap-1-2-3-0"),
            "/automation/actions/callbacks/2026-03/ap-1-2-3-0/complete"
        );
        assert!(callback_complete_path("a/b").contains("a%2Fb"));
        assert_eq!(ExecutionState::FailContinue.as_str(), "FAIL_CONTINUE");
    }
}
