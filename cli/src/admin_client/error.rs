//! `AdminError`: every way a call to the admin API fails, worded for the person at the terminal
//! (what happened and what to do). Never carries the password, the cookie or the CSRF token.

use reqwest::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "no admin password: pass --admin-password PASSWORD or set HQSYNC_ADMIN_PASSWORD \
         (`hqsync dev` prints the generated one at start)"
    )]
    MissingPassword,
    #[error("--api {0:?} is not an http(s) URL")]
    BadApiUrl(String),
    #[error(
        "cannot reach the admin API at {api}: is `hqsync dev` running? \
         (or pass --api URL / HQSYNC_API for a deployed stack)"
    )]
    Unreachable { api: String },
    #[error("the admin password was refused (401): check --admin-password / HQSYNC_ADMIN_PASSWORD")]
    WrongPassword,
    #[error("the admin API refused the session (401) on {path}: sign in again")]
    SessionRefused { path: String },
    #[error("too many failed sign-ins: wait {wait_secs} s and try again")]
    TooManyAttempts { wait_secs: u64 },
    #[error("invalid `{field}`: {message}")]
    InvalidField { field: String, message: String },
    #[error("the admin API answered {status} on {path}: {message}")]
    Api {
        status: StatusCode,
        path: String,
        message: String,
    },
    #[error("the admin API's answer on {path} is not what hqsync expects: {reason}")]
    Unexpected { path: String, reason: String },
    #[error("the admin API request on {path} failed: {reason}")]
    Transport { path: String, reason: String },
}
