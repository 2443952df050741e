//! Lane choice in one place (docs/architecture.md §14): which lane a batch of jobs goes on,
//! from what produced it and how many signals came together.

use super::job_queue::Lane;

/// A delivery or poll with more signals than this is bulk work (an import, a mass edit, a
/// workflow run over a list): its jobs go on the bulk lane, so a person's single edit never
/// waits behind them. HubSpot sends at most 100 events per request (docs/hubspot.md §5.4);
/// half of that is far above what people editing by hand produce between two deliveries.
pub const BULK_SIGNALS_OVER: usize = 50;

/// What produced the jobs being queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A vendor webhook delivery of `events` events (before deduplication).
    Delivery { events: usize },
    /// A poll that found `records` changed records.
    Poll { records: usize },
    /// One record someone is waiting on: an admin resync, a workflow action, a record's retry.
    Single,
    /// Initial sync (backfill) pages and records, the daily sweep and what it queues.
    Bulk,
}

/// The lane for jobs of `origin`: single-record changes live, bulk work bulk.
pub fn lane_for(origin: Origin) -> Lane {
    match origin {
        Origin::Delivery { events: n } | Origin::Poll { records: n } if n > BULK_SIGNALS_OVER => {
            Lane::Bulk
        }
        Origin::Delivery { .. } | Origin::Poll { .. } | Origin::Single => Lane::Live,
        Origin::Bulk => Lane::Bulk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_deliveries_and_polls_are_bulk_and_single_changes_live() {
        assert_eq!(lane_for(Origin::Delivery { events: 1 }), Lane::Live);
        assert_eq!(lane_for(Origin::Delivery { events: 50 }), Lane::Live);
        assert_eq!(lane_for(Origin::Delivery { events: 51 }), Lane::Bulk);
        assert_eq!(lane_for(Origin::Delivery { events: 5_000 }), Lane::Bulk);
        assert_eq!(lane_for(Origin::Poll { records: 3 }), Lane::Live);
        assert_eq!(lane_for(Origin::Poll { records: 900 }), Lane::Bulk);
        assert_eq!(lane_for(Origin::Single), Lane::Live);
        assert_eq!(lane_for(Origin::Bulk), Lane::Bulk);
    }
}
