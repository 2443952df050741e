//! `GET /api/dead-letters?lane=live|bulk` (both lanes when not given) and
//! `POST /api/dead-letters/redrive {"lane"?, "ids"?}` -> `{"redriven": n}`: back to the lane
//! each letter came from.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::admin::audit;
use crate::admin::{AdminContext, ApiError};
use crate::ports::{DeadLetter, Lane};

/// Letters listed or redriven per lane at most.
const MAX_LETTERS: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct LaneQuery {
    lane: Option<String>,
}

fn lanes_of(raw: Option<&str>) -> Result<Vec<Lane>, ApiError> {
    match raw.filter(|l| !l.is_empty()) {
        None => Ok(vec![Lane::Live, Lane::Bulk]),
        Some("live") => Ok(vec![Lane::Live]),
        Some("bulk") => Ok(vec![Lane::Bulk]),
        Some(other) => Err(ApiError::invalid_field(
            "lane",
            format!("unknown lane {other:?}; expected live or bulk"),
        )),
    }
}

pub async fn list(
    State(ctx): State<AdminContext>,
    Query(query): Query<LaneQuery>,
) -> Result<Json<Vec<DeadLetter>>, ApiError> {
    let mut letters = Vec::new();
    for lane in lanes_of(query.lane.as_deref())? {
        letters.extend(
            ctx.dead_letters
                .list_dead_letters(lane, MAX_LETTERS)
                .await?,
        );
    }
    Ok(Json(letters))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redrive {
    lane: Option<String>,
    ids: Option<Vec<String>>,
}

pub async fn redrive(
    State(ctx): State<AdminContext>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: Redrive = if body.iter().all(u8::is_ascii_whitespace) {
        Redrive::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::invalid_field(
                "body",
                format!("expected {{\"lane\"?: \"live\"|\"bulk\", \"ids\"?: [...]}}: {e}"),
            )
        })?
    };
    let mut redriven = 0;
    for lane in lanes_of(request.lane.as_deref())? {
        let moved = ctx
            .dead_letters
            .redrive(lane, request.ids.as_deref(), MAX_LETTERS)
            .await?;
        redriven += moved.len();
    }
    audit::append(
        &ctx,
        "dead_letters.redrive",
        None,
        format!(
            "redrove {redriven} dead letter(s){}",
            request
                .lane
                .as_deref()
                .map(|l| format!(" of the {l} lane"))
                .unwrap_or_default()
        ),
    )
    .await;
    Ok(Json(json!({"redriven": redriven})))
}
