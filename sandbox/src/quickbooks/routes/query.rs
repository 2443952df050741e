//! The query endpoint (docs/quickbooks.md §6): `GET /query?query=...` and `POST /query` with
//! the statement as an `application/text` body; a metered read (§9).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::quickbooks::app::{App, json_response};
use crate::quickbooks::fault::Fault;
use crate::quickbooks::query::{eval, parse};

#[derive(Debug, Default, Deserialize)]
pub struct QueryParams {
    pub query: Option<String>,
}

/// Runs a statement against the company: the `QueryResponse` object or a 4000/4001 fault.
pub fn run_statement(app: &App, statement: &str) -> Result<Value, Fault> {
    let parsed = parse(statement)?;
    let company = app.company.lock().expect("company lock");
    eval::run(&company, &parsed)
}

fn answer(app: &App, statement: &str) -> Response {
    if let Err(f) = app.count_read() {
        return app.fault(f);
    }
    match run_statement(app, statement) {
        Ok(v) => json_response(StatusCode::OK, app.wrapped("QueryResponse", v)),
        Err(f) => app.fault(f),
    }
}

pub async fn get_query(
    State(app): State<App>,
    Path(_realm): Path<String>,
    Query(params): Query<QueryParams>,
) -> Response {
    answer(&app, params.query.as_deref().unwrap_or_default())
}

pub async fn post_query(
    State(app): State<App>,
    Path(_realm): Path<String>,
    body: Bytes,
) -> Response {
    answer(&app, &String::from_utf8_lossy(&body))
}
