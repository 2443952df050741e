//! Dispatch of a job group to its flow: a table from object kind to flow, filled once at
//! start-up (the two-way kinds to the two-way sync, the mirrored kinds to the invoicing jobs).

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::model::{ConnectionId, ObjectKind};
use crate::ports::Job;

use super::context::SyncContext;
use super::disposition::Disposition;
use super::mirror_jobs::process_mirror_group;
use super::two_way::process_group;

/// One flow: the jobs of one connection and kind in, one disposition per job out. Flows start
/// no job after the deadline (`stop_at`) when they can hand the rest back.
pub(crate) type Flow = for<'a> fn(
    &'a SyncContext,
    &'a ConnectionId,
    ObjectKind,
    &'a [&'a Job],
    Option<Instant>,
) -> BoxFuture<'a, Vec<Disposition>>;

/// The flow of every object kind.
pub(crate) struct Flows {
    by_kind: HashMap<ObjectKind, Flow>,
}

/// The table the worker dispatches through, filled on first use.
pub(crate) static FLOWS: LazyLock<Flows> = LazyLock::new(Flows::at_start_up);

fn two_way<'a>(
    ctx: &'a SyncContext,
    connection: &'a ConnectionId,
    kind: ObjectKind,
    jobs: &'a [&'a Job],
    _stop_at: Option<Instant>,
) -> BoxFuture<'a, Vec<Disposition>> {
    process_group(ctx, connection, kind, jobs).boxed()
}

fn mirrored<'a>(
    ctx: &'a SyncContext,
    connection: &'a ConnectionId,
    kind: ObjectKind,
    jobs: &'a [&'a Job],
    stop_at: Option<Instant>,
) -> BoxFuture<'a, Vec<Disposition>> {
    process_mirror_group(ctx, connection, kind, jobs, stop_at).boxed()
}

impl Flows {
    fn at_start_up() -> Self {
        let mut by_kind: HashMap<ObjectKind, Flow> = HashMap::new();
        for kind in ObjectKind::TWO_WAY {
            by_kind.insert(kind, two_way);
        }
        for kind in ObjectKind::MIRRORED {
            by_kind.insert(kind, mirrored);
        }
        Flows { by_kind }
    }

    /// Runs `jobs` (all of `connection` and `kind`) through the kind's flow.
    pub(crate) async fn run(
        &self,
        ctx: &SyncContext,
        connection: &ConnectionId,
        kind: ObjectKind,
        jobs: &[&Job],
        stop_at: Option<Instant>,
    ) -> Vec<Disposition> {
        match self.by_kind.get(&kind) {
            Some(flow) => flow(ctx, connection, kind, jobs, stop_at).await,
            None => vec![
                Disposition::Dropped {
                    reason: format!("no flow handles {kind} jobs"),
                };
                jobs.len()
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_flow() {
        for kind in ObjectKind::ALL {
            assert!(FLOWS.by_kind.contains_key(&kind), "{kind} has no flow");
        }
        let two_way = FLOWS.by_kind[&ObjectKind::Contact] as usize;
        let mirrored = FLOWS.by_kind[&ObjectKind::Invoice] as usize;
        assert_ne!(
            two_way, mirrored,
            "two-way and mirrored kinds run different flows"
        );
        assert_eq!(FLOWS.by_kind[&ObjectKind::Product] as usize, two_way);
        assert_eq!(FLOWS.by_kind[&ObjectKind::Payment] as usize, mirrored);
    }
}
