//! The `Claims` contract (invariant 2): the first claimer of a key wins, the owner may re-claim
//! and sees what it created, others see the owner until expiry, release only by the owner.

use std::time::Duration;

use super::{conn, t};
use crate::model::{ObjectKind, Side};
use crate::ports::{ClaimOutcome, Claims, RecordRef};

const KIND: ObjectKind = ObjectKind::Contact;
const KEY: &str = "email:ada@example.com";
const TTL: Duration = Duration::from_secs(600);

fn ada() -> RecordRef {
    RecordRef::new(Side::Hubspot, "h1")
}

fn other() -> RecordRef {
    RecordRef::new(Side::Quickbooks, "q7")
}

/// A held key is refused to another record; other kinds and connections are other key spaces.
pub async fn the_first_claimer_wins_per_kind_and_connection(store: &dyn Claims) {
    let c = conn("contract-claims");
    assert_eq!(
        store
            .claim_key(&c, KIND, KEY, &ada(), TTL, t(0))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    match store
        .claim_key(&c, KIND, KEY, &other(), TTL, t(10))
        .await
        .expect("claim")
    {
        ClaimOutcome::HeldBy(claim) => {
            assert_eq!(claim.owner, ada());
            assert_eq!(claim.created_id, None);
        }
        outcome => panic!("expected HeldBy, got {outcome:?}"),
    }
    assert_eq!(
        store
            .claim_key(&c, ObjectKind::Product, KEY, &other(), TTL, t(10))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        store
            .claim_key(&conn("contract-claims-2"), KIND, KEY, &other(), TTL, t(10))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
}

/// Only the owner's `note_created` sticks; re-claiming answers it and extends the claim.
pub async fn the_owner_sees_what_it_created_and_extends_its_claim(store: &dyn Claims) {
    let c = conn("contract-claims");
    store
        .claim_key(&c, KIND, KEY, &ada(), TTL, t(0))
        .await
        .expect("claim");
    store
        .note_created(&c, KIND, KEY, &other(), "q-wrong")
        .await
        .expect("note by non-owner is ignored");
    store
        .note_created(&c, KIND, KEY, &ada(), "q1")
        .await
        .expect("note");
    match store
        .claim_key(&c, KIND, KEY, &ada(), TTL, t(20))
        .await
        .expect("reclaim")
    {
        ClaimOutcome::AlreadyOwned(claim) => {
            assert_eq!(claim.created_id.as_deref(), Some("q1"));
            assert_eq!(claim.expires_at, t(620), "re-claiming extends the claim");
        }
        outcome => panic!("expected AlreadyOwned, got {outcome:?}"),
    }
    match store
        .claim_key(&c, KIND, KEY, &other(), TTL, t(619))
        .await
        .expect("claim")
    {
        ClaimOutcome::HeldBy(claim) => assert_eq!(claim.created_id.as_deref(), Some("q1")),
        outcome => panic!("expected HeldBy, got {outcome:?}"),
    }
}

/// After expiry another record takes the key over with a clean slate; a release by anyone
/// but the owner changes nothing.
pub async fn claims_expire_and_are_released_only_by_their_owner(store: &dyn Claims) {
    let c = conn("contract-claims");
    store
        .claim_key(&c, KIND, KEY, &ada(), TTL, t(0))
        .await
        .expect("claim");
    store
        .note_created(&c, KIND, KEY, &ada(), "q1")
        .await
        .expect("note");
    assert_eq!(
        store
            .claim_key(&c, KIND, KEY, &other(), TTL, t(601))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    match store
        .claim_key(&c, KIND, KEY, &other(), TTL, t(602))
        .await
        .expect("claim")
    {
        ClaimOutcome::AlreadyOwned(claim) => assert_eq!(claim.created_id, None),
        outcome => panic!("expected AlreadyOwned, got {outcome:?}"),
    }

    store
        .release_key(&c, KIND, KEY, &ada())
        .await
        .expect("release by non-owner is a no-op");
    assert!(matches!(
        store
            .claim_key(&c, KIND, KEY, &ada(), TTL, t(603))
            .await
            .expect("claim"),
        ClaimOutcome::HeldBy(_)
    ));
    store
        .release_key(&c, KIND, KEY, &other())
        .await
        .expect("release");
    assert_eq!(
        store
            .claim_key(&c, KIND, KEY, &ada(), TTL, t(604))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
}
