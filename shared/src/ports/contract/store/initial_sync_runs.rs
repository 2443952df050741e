//! The `InitialSyncRuns` contract: a run is stored only over the run it replaces, counts add up
//! per kind of the current run only, and an error sticks to the run.

use std::collections::BTreeMap;

use super::{conn, t};
use crate::model::ObjectKind;
use crate::ports::{InitialSyncRun, InitialSyncRuns, RunCounts};

fn run(id: &str) -> InitialSyncRun {
    let mut kinds = BTreeMap::new();
    kinds.insert(
        ObjectKind::Contact,
        RunCounts {
            pages_queued: 2,
            ..RunCounts::default()
        },
    );
    kinds.insert(ObjectKind::Invoice, RunCounts::default());
    InitialSyncRun {
        id: id.into(),
        started_at: t(3),
        kinds,
        error: None,
    }
}

/// Replace is a compare-and-set on the run id; counts add to the named run's kinds only.
pub async fn runs_replace_conditionally_and_count_per_kind(store: &dyn InitialSyncRuns) {
    let c = conn("contract-runs");
    assert!(store.get_initial_sync(&c).await.expect("get").is_none());
    let first = run("run-1");
    assert!(
        store
            .replace_initial_sync(&c, &first, None)
            .await
            .expect("first")
    );
    assert!(
        !store
            .replace_initial_sync(&c, &run("run-x"), None)
            .await
            .expect("a second first run loses"),
        "only one run is created from nothing"
    );
    assert_eq!(store.get_initial_sync(&c).await.expect("get"), Some(first));

    let delta = RunCounts {
        listed: 3,
        queued: 3,
        pages_done: 1,
        ..RunCounts::default()
    };
    for _ in 0..2 {
        store
            .count_initial_sync(&c, "run-1", ObjectKind::Contact, &delta, None)
            .await
            .expect("count");
    }
    store
        .count_initial_sync(
            &c,
            "run-1",
            ObjectKind::Invoice,
            &RunCounts {
                failed: 1,
                pages_failed: 1,
                ..RunCounts::default()
            },
            Some("listing failed"),
        )
        .await
        .expect("count with an error");
    store
        .count_initial_sync(&c, "run-0", ObjectKind::Contact, &delta, Some("stale"))
        .await
        .expect("a stale run's count is no error");
    let stored = store.get_initial_sync(&c).await.expect("get").expect("run");
    assert_eq!(
        stored.kinds[&ObjectKind::Contact],
        RunCounts {
            listed: 6,
            queued: 6,
            pages_queued: 2,
            pages_done: 2,
            ..RunCounts::default()
        }
    );
    assert_eq!(stored.kinds[&ObjectKind::Invoice].pages_failed, 1);
    assert_eq!(stored.kinds[&ObjectKind::Invoice].failed, 1);
    assert_eq!(stored.error.as_deref(), Some("listing failed"));
    assert_eq!(stored.started_at, t(3));

    assert!(
        !store
            .replace_initial_sync(&c, &run("run-2"), Some("run-0"))
            .await
            .expect("wrong previous"),
    );
    let second = run("run-2");
    assert!(
        store
            .replace_initial_sync(&c, &second, Some("run-1"))
            .await
            .expect("next run")
    );
    store
        .count_initial_sync(&c, "run-1", ObjectKind::Contact, &delta, None)
        .await
        .expect("the old run's late count");
    assert_eq!(store.get_initial_sync(&c).await.expect("get"), Some(second));
    assert!(
        store
            .get_initial_sync(&conn("contract-runs-2"))
            .await
            .expect("get")
            .is_none()
    );
}
