//! Every way the connect flow stops, as the page that says what happened and what to do
//! (400 for what the admin can redo, 502 when a vendor failed, 500 for our own faults).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::Page;
use super::state::{StateRefusal, TakeError};
use super::vendors::VendorFailure;
use crate::model::{ConnectionId, Side};
use crate::ports::{StoreError, VaultError};

const START: &str = "/connect";

#[derive(Debug, thiserror::Error)]
pub enum ConnectFailure {
    #[error("state refused: {0:?}")]
    State(StateRefusal),
    #[error("the admin declined at {0}")]
    Declined(Side),
    /// The vendor redirected back with another OAuth error code.
    #[error("{side} answered {code}")]
    VendorRefused { side: Side, code: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("no connection {0}")]
    NoConnection(ConnectionId),
    #[error("{side} authorized {got} but the connection is for {expected}")]
    WrongAccount {
        side: Side,
        connection: ConnectionId,
        expected: String,
        got: String,
    },
    #[error("portal {portal} and company {realm} are already connection {existing}")]
    AlreadyConnected {
        portal: String,
        realm: String,
        existing: ConnectionId,
    },
    #[error("{side}: {failure}")]
    Vendor { side: Side, failure: VendorFailure },
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("token vault: {0}")]
    Vault(#[from] VaultError),
}

impl From<TakeError> for ConnectFailure {
    fn from(error: TakeError) -> Self {
        match error {
            TakeError::Refused { why, .. } => ConnectFailure::State(why),
            TakeError::Store(err) => ConnectFailure::Store(err),
        }
    }
}

fn vendor_name(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "HubSpot",
        Side::Quickbooks => "QuickBooks",
    }
}

impl ConnectFailure {
    pub fn vendor(side: Side) -> impl FnOnce(VendorFailure) -> ConnectFailure {
        move |failure| ConnectFailure::Vendor { side, failure }
    }

    /// The page for this failure. Vendor texts shown are error codes and messages, never a
    /// token, code or secret (the vendor layers keep those out of their errors).
    pub fn page(&self) -> Page {
        let nothing_kept = "Nothing was saved: no connection was created or changed.";
        match self {
            ConnectFailure::State(why) => {
                let (title, said) = match why {
                    StateRefusal::NotIssued => (
                        "This link is not one we issued",
                        "The authorization came back without a state we issued (or for the other vendor's step), so it was not used.",
                    ),
                    StateRefusal::Expired => (
                        "The authorization took too long",
                        "More than 10 minutes passed between starting and consenting, so it was not used.",
                    ),
                    StateRefusal::OtherSession => (
                        "This authorization belongs to another session",
                        "It was started by another admin session or browser, so this session may not finish it.",
                    ),
                    StateRefusal::AlreadyUsed => (
                        "This authorization link was already used",
                        "Each authorization works once; this one has been used (a reload or the back button repeats it).",
                    ),
                };
                Page::new(
                    if *why == StateRefusal::OtherSession {
                        StatusCode::FORBIDDEN
                    } else {
                        StatusCode::BAD_REQUEST
                    },
                    title,
                )
                .says(said)
                .says(nothing_kept)
                .says("Start again at /connect.")
                .link(START, "Start again")
            }
            ConnectFailure::Declined(side) => Page::new(
                StatusCode::BAD_REQUEST,
                format!("You declined access to {}", vendor_name(*side)),
            )
            .says(format!(
                "{} did not grant HQSync access, so it cannot sync this account.",
                vendor_name(*side)
            ))
            .says(nothing_kept)
            .says("When you are ready, start again at /connect and approve the access asked for.")
            .link(START, "Start again"),
            ConnectFailure::VendorRefused { side, code } => Page::new(
                StatusCode::BAD_GATEWAY,
                format!("{} refused the authorization", vendor_name(*side)),
            )
            .says(format!("{} answered: {code}.", vendor_name(*side)))
            .says(nothing_kept)
            .says("Check the app's settings at the vendor, then start again at /connect.")
            .link(START, "Start again"),
            ConnectFailure::BadRequest(message) => Page::new(StatusCode::BAD_REQUEST, "Cannot do that")
                .says(message.clone())
                .says(nothing_kept)
                .link(START, "Start at /connect"),
            ConnectFailure::NoConnection(id) => Page::new(StatusCode::NOT_FOUND, "No such connection")
                .says(format!("There is no connection {id}."))
                .says("GET /api/connections lists the connections; /connect creates one.")
                .link(START, "Connect a portal and a company"),
            ConnectFailure::WrongAccount {
                side,
                connection,
                expected,
                got,
            } => {
                let account = match side {
                    Side::Hubspot => "portal",
                    Side::Quickbooks => "company",
                };
                Page::new(
                    StatusCode::BAD_REQUEST,
                    format!("That is another {} {account}", vendor_name(*side)),
                )
                .says(format!(
                    "You authorized {account} {got}, but connection {connection} syncs {account} {expected}. Reconnecting must authorize the same {account}; nothing was changed and the new authorization was not kept."
                ))
                .says(format!(
                    "Sign in to {} as a user of {account} {expected} and reconnect; to sync {account} {got}, create a new connection at /connect.",
                    vendor_name(*side)
                ))
                .link(format!("/connections/{connection}"), format!("Back to {connection}"))
            }
            ConnectFailure::AlreadyConnected {
                portal,
                realm,
                existing,
            } => Page::new(StatusCode::CONFLICT, "Already connected")
                .says(format!(
                    "HubSpot portal {portal} is already connected to QuickBooks company {realm} as connection {existing}; a second connection would sync everything twice."
                ))
                .says(nothing_kept)
                .says("To renew its authorization, reconnect that connection instead.")
                .link(format!("/connections/{existing}"), format!("Open {existing}")),
            ConnectFailure::Vendor { side, failure } => match failure {
                VendorFailure::CodeRefused(_) => Page::new(
                    StatusCode::BAD_REQUEST,
                    format!("{} refused the authorization code", vendor_name(*side)),
                )
                .says(
                    "The code was already used or has expired (each code works once, for a short time).",
                )
                .says(nothing_kept)
                .says("Start again at /connect.")
                .link(START, "Start again"),
                VendorFailure::NotConfigured(what) => Page::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The app is not configured",
                )
                .says(format!("The app credentials have no {what}."))
                .says("Put them in the app secret (docs/aws.md §8), then start again at /connect.")
                .link(START, "Start again"),
                VendorFailure::Failed(message) => Page::new(
                    StatusCode::BAD_GATEWAY,
                    format!("{} did not complete the authorization", vendor_name(*side)),
                )
                .says(format!("The call failed: {message}"))
                .says(nothing_kept)
                .says("Try again in a minute at /connect.")
                .link(START, "Start again"),
            },
            ConnectFailure::Store(_) | ConnectFailure::Vault(_) => Page::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something failed on our side",
            )
            .says("Storing the connection failed; what was written for it has been removed.")
            .says("Try again at /connect; the server log has the details.")
            .link(START, "Start again"),
        }
    }
}

impl IntoResponse for ConnectFailure {
    fn into_response(self) -> Response {
        match &self {
            ConnectFailure::Store(_) | ConnectFailure::Vault(_) => {
                tracing::error!(error = %self, "connect flow failed");
            }
            _ => tracing::warn!(error = %self, "connect flow stopped"),
        }
        self.page().into_response()
    }
}
