//! A sync session: one connection and object kind, with its mapping, store and gateways, and
//! the classification of vendor call failures into what happens to the units they hit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::mapping::MappingSet;
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{ConnectionRecord, FailureDetail, GatewayError, RecordRef, Store, StoreError};

use super::customer_scope::CustomerScope;
use super::gateway_pair::GatewayPair;
use super::unit::{Step, Unit, UnitReport, UnitResult};
use super::waits::{STORE_RETRY, gateway_wait};

/// Everything a round needs about one connection and kind.
pub(crate) struct Session<'a> {
    pub connection: &'a ConnectionRecord,
    pub kind: ObjectKind,
    pub mappings: &'a MappingSet,
    pub store: &'a dyn Store,
    pub gateways: &'a GatewayPair,
    pub now: DateTime<Utc>,
    /// Records already paired in this session, with the primary record of the unit that paired
    /// them (so a preview does not pair a record twice and a batch does not match one record
    /// to two).
    pub consumed: HashMap<RecordRef, RecordRef>,
    /// The session creates what a bill needs (a workflow action's customer and items), so the
    /// "create in QBO only when billed" policy lets its creates through.
    pub billed: bool,
    /// The QBO customers this kind pairs with, and sub-customers' parents (docs/admin.md §6).
    pub scope: CustomerScope,
}

impl Session<'_> {
    /// Whether `record` was paired by a unit other than the one of `owner`.
    pub fn paired_elsewhere(&self, record: &RecordRef, owner: &RecordRef) -> bool {
        self.consumed.get(record).is_some_and(|o| o != owner)
    }

    pub fn connection_id(&self) -> &ConnectionId {
        self.connection.id()
    }
}

/// What a whole-call vendor failure means for the units of that call: throttling and transient
/// faults hand the job back (never a record failure); other errors fail the records. A refused
/// token fails them too, so status lists them: the client has already renewed it once
/// (docs/architecture.md §7), and the failure's retry comes after the usual backoff.
pub(crate) fn gateway_failure(unit: Unit, error: &GatewayError) -> Step {
    if let GatewayError::Unauthorized { message } = error {
        return failed(
            unit,
            FailureDetail {
                code: Some(UNAUTHORIZED_CODE.into()),
                message: format!("the vendor refused the connection's token: {message}"),
                suggested_fix: Some(UNAUTHORIZED_FIX.into()),
            },
            true,
        );
    }
    if let Some(delay) = gateway_wait(error) {
        return Step::Retry {
            unit,
            delay,
            reason: error.to_string(),
        };
    }
    // Only `Other` has no wait: the vendor's message, without our "vendor call failed" prefix.
    let message = match error {
        GatewayError::Other { message } => message.clone(),
        _ => error.to_string(),
    };
    failed(
        unit,
        FailureDetail {
            code: None,
            message,
            suggested_fix: None,
        },
        true,
    )
}

/// The code of a record failure caused by a refused token.
pub(crate) const UNAUTHORIZED_CODE: &str = "401";

/// What to do about a refused token that a refresh did not cure.
pub(crate) const UNAUTHORIZED_FIX: &str = "Reconnect the connection (`hqsync connect`, or a new \
     token in the config file for `hqsync sync`); its records sync again once the vendor accepts \
     its tokens";

/// A store failure: the job comes back later (condition failures are handled by the caller).
pub(crate) fn store_failure(unit: Unit, error: &StoreError) -> Step {
    Step::Retry {
        unit,
        delay: STORE_RETRY,
        reason: error.to_string(),
    }
}

/// A finished unit that failed, with ids taken from its primary anchor.
pub(crate) fn failed(unit: Unit, detail: FailureDetail, retry: bool) -> Step {
    let (hubspot_id, qbo_id) = ids_of(&unit);
    Step::Finished(UnitReport {
        unit,
        hubspot_id,
        qbo_id,
        result: UnitResult::Failed { detail, retry },
        actions: Vec::new(),
    })
}

fn ids_of(unit: &Unit) -> (Option<String>, Option<String>) {
    let mut hubspot = None;
    let mut qbo = None;
    for r in unit.anchors.iter().chain(unit.counterpart.as_ref()) {
        let slot = match r.side {
            crate::model::Side::Hubspot => &mut hubspot,
            crate::model::Side::Quickbooks => &mut qbo,
        };
        if slot.is_none() {
            *slot = Some(r.id.clone());
        }
    }
    (hubspot, qbo)
}
