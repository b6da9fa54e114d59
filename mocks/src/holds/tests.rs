//! The register's rules, one story each.

use super::*;

fn book() -> (HoldBook, Arc<Knobs>) {
    let knobs = Arc::new(Knobs::default());
    (HoldBook::new("T-", knobs.clone()), knobs)
}

fn freeze(court: &str, amount: i64, balance: i64) -> Placement {
    Placement {
        kind: HoldKind::Freeze,
        asset: "acct-1".into(),
        court: court.into(),
        case: format!("(2024){court}执1号"),
        ruling: format!("(2024){court}执1号之一"),
        amount: Fen(amount),
        until: CivilDate::today().plus_days(365),
        balance: Fen(balance),
        frozen_elsewhere: Fen(0),
        seals_elsewhere: 0,
    }
}

fn seal(court: &str) -> Placement {
    Placement {
        kind: HoldKind::Seal,
        amount: Fen(0),
        balance: Fen(0),
        ..freeze(court, 0, 0)
    }
}

#[test]
fn a_freeze_takes_what_is_there_and_says_so() {
    let (book, _) = book();
    let a = book
        .place("k1", "f1", freeze("鄂0116", 5_000, 3_000))
        .unwrap();
    assert_eq!(a.status, HoldStatus::Effective);
    assert_eq!(a.held, Fen(3_000));
    assert!(
        a.message.contains("only 3000 fen available"),
        "{}",
        a.message
    );
    assert_eq!(book.frozen_on("acct-1"), Fen(3_000));
}

#[test]
fn a_replayed_key_never_holds_twice_and_a_reused_key_is_refused() {
    let (book, _) = book();
    let first = book
        .place("k1", "f1", freeze("鄂0116", 1_000, 3_000))
        .unwrap();
    let again = book
        .place("k1", "f1", freeze("鄂0116", 1_000, 3_000))
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(book.frozen_on("acct-1"), Fen(1_000));
    assert_eq!(
        book.place("k1", "other", freeze("鄂0116", 2_000, 3_000)),
        Err(Refusal::KeyReused)
    );
    assert_eq!(book.by_key("k1").unwrap().hold, first.hold);
    assert!(book.by_key("never-sent").is_none());
}

#[test]
fn a_second_court_queues_and_takes_effect_when_the_first_releases() {
    let (book, _) = book();
    let first = book
        .place("a", "a", freeze("鄂0116", 3_000, 3_000))
        .unwrap();
    let second = book.place("b", "b", freeze("鄂01", 2_000, 3_000)).unwrap();
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    let third = book.place("c", "c", freeze("鄂02", 2_000, 3_000)).unwrap();
    assert_eq!(third.status, HoldStatus::Queued { position: 2 });
    book.release("r", "r", &first.hold).unwrap();
    let second = book.by_key("b").unwrap();
    assert_eq!(
        (second.status, second.held),
        (HoldStatus::Effective, Fen(2_000))
    );
    let third = book.by_key("c").unwrap();
    assert_eq!(
        (third.status, third.held),
        (HoldStatus::Effective, Fen(1_000))
    );
}

#[test]
fn seals_queue_in_order() {
    let (book, _) = book();
    let first = book.place("a", "a", seal("鄂0116")).unwrap();
    assert_eq!(first.status, HoldStatus::Effective);
    let second = book.place("b", "b", seal("鄂01")).unwrap();
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    book.release("r", "r", &first.hold).unwrap();
    assert_eq!(book.by_key("b").unwrap().status, HoldStatus::Effective);
}

#[test]
fn deduction_moves_no_more_than_is_frozen() {
    let (book, _) = book();
    let hold = book
        .place("a", "a", freeze("鄂0116", 3_000, 5_000))
        .unwrap()
        .hold;
    assert!(matches!(
        book.deduct("d0", "d0", &hold, Fen(3_001)),
        Err(Refusal::BadAmount(_))
    ));
    let part = book.deduct("d1", "d1", &hold, Fen(1_000)).unwrap();
    assert_eq!(
        (part.status, part.held, part.deducted),
        (HoldStatus::Effective, Fen(2_000), Fen(1_000))
    );
    let rest = book.deduct("d2", "d2", &hold, Fen(2_000)).unwrap();
    assert_eq!((rest.status, rest.held), (HoldStatus::Deducted, Fen(0)));
    assert_eq!(book.deducted_from("acct-1"), Fen(3_000));
    // The replayed deduction reports what it moved and moves nothing more.
    assert_eq!(
        book.deduct("d1", "d1", &hold, Fen(1_000)).unwrap().deducted,
        Fen(1_000)
    );
    assert_eq!(book.deducted_from("acct-1"), Fen(3_000));
}

#[test]
fn holds_expire_at_their_end_date_and_renewal_works_only_before() {
    let (book, knobs) = book();
    let hold = book
        .place("a", "a", freeze("鄂0116", 1_000, 5_000))
        .unwrap();
    let later = hold.until.plus_days(30);
    assert_eq!(
        book.renew("r1", "r1", &hold.hold, later).unwrap().until,
        later
    );
    knobs.set_clock_offset_days(365 + 30);
    assert_eq!(book.by_key("a").unwrap().status, HoldStatus::Effective);
    knobs.set_clock_offset_days(365 + 31);
    assert_eq!(book.by_key("a").unwrap().status, HoldStatus::Expired);
    assert!(matches!(
        book.renew("r2", "r2", &hold.hold, later.plus_days(30)),
        Err(Refusal::WrongState(_))
    ));
}

#[test]
fn a_pending_freeze_holds_nothing_until_decided() {
    let (book, _) = book();
    let pending = book
        .place_pending("a", "a", freeze("鄂0116", 1_000, 5_000))
        .unwrap();
    assert_eq!(
        (pending.status, pending.held),
        (HoldStatus::Pending, Fen(0))
    );
    book.decide(&pending.hold, true, "");
    let decided = book.by_key("a").unwrap();
    assert_eq!(
        (decided.status, decided.held),
        (HoldStatus::Effective, Fen(1_000))
    );
}

#[test]
fn a_seal_queues_behind_seals_recorded_outside_the_register() {
    let (book, _) = book();
    let placement = Placement {
        seals_elsewhere: 2,
        ..seal("鄂0116")
    };
    let queued = book.place("a", "a", placement).unwrap();
    // One older seal in force, one queued before it: this one is second in line.
    assert_eq!(queued.status, HoldStatus::Queued { position: 2 });
}
