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
        a.message.contains("only 30.00 yuan available"),
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

/// A second register on the same file, as an agency restarted in the same folder has.
fn reopened(file: &std::path::Path) -> HoldBook {
    let (book, knobs) = book();
    book.view().keep_in(file, knobs.today()).unwrap();
    book
}

#[test]
fn a_kept_register_holds_after_a_restart_what_it_held_before() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bank.json");
    let (book, knobs) = book();
    book.view().keep_in(&file, knobs.today()).unwrap();
    let first = book
        .place("k1", "f1", freeze("鄂0116", 8_000, 8_000))
        .unwrap();
    book.deduct("k2", "f2", &first.hold, Fen(1_000)).unwrap();
    let second = book
        .place("k3", "f3", freeze("鄂01", 9_000, 8_000))
        .unwrap();
    assert_eq!(second.status, HoldStatus::Queued { position: 1 });
    let until = CivilDate::today().plus_days(400);
    book.renew("k4", "f4", &first.hold, until).unwrap();
    let before = book.export();
    drop(book);

    let book = reopened(&file);
    assert_eq!(book.export(), before);
    assert_eq!(book.deducted_from("acct-1"), Fen(1_000));
    // A replayed key answers as before and never acts twice; a reused one is still refused.
    let again = book.deduct("k2", "f2", &first.hold, Fen(1_000)).unwrap();
    assert_eq!(again.deducted, Fen(1_000));
    assert_eq!(book.deducted_from("acct-1"), Fen(1_000));
    assert_eq!(
        book.release("k2", "other", &first.hold),
        Err(Refusal::KeyReused)
    );
    // The first court releases: the second, queued behind it, takes what is there.
    let released = book.release("k5", "f5", &first.hold).unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    let now = book.by_key("k3").unwrap();
    assert_eq!(
        (now.hold, now.status, now.held),
        (second.hold, HoldStatus::Effective, Fen(7_000))
    );
    // The next id continues the old numbering.
    let third = book.place("k6", "f6", seal("鄂0116")).unwrap();
    assert_eq!(third.hold, "T-000003");
}

#[test]
fn a_decision_taken_before_a_restart_is_applied_when_the_register_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bank.json");
    let (book, knobs) = book();
    book.view().keep_in(&file, knobs.today()).unwrap();
    let accepted = book
        .place_pending("k1", "f1", freeze("鄂0116", 5_000, 8_000))
        .unwrap();
    let refused = book
        .place_pending("k2", "f2", freeze("鄂01", 1_000, 8_000))
        .unwrap();
    {
        // Decisions recorded as a bank records them, the agency gone before their delay ends.
        let mut reg = book.lock();
        let yes = Decision {
            accept: true,
            message: String::new(),
        };
        let no = Decision {
            accept: false,
            message: "账户已销户，不能冻结".into(),
        };
        reg.decisions.insert(accepted.hold.clone(), yes);
        reg.decisions.insert(refused.hold.clone(), no);
        kept::keep(&reg);
    }
    drop(book);
    let book = reopened(&file);
    let a = book.by_key("k1").unwrap();
    assert_eq!((a.status, a.held), (HoldStatus::Effective, Fen(5_000)));
    let r = book.by_key("k2").unwrap();
    assert_eq!(
        (r.status, r.message.as_str()),
        (HoldStatus::Rejected, "账户已销户，不能冻结")
    );
}

#[cfg(unix)]
#[test]
fn a_kept_register_is_private_and_a_damaged_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bank.json");
    let (book, knobs) = book();
    book.view().keep_in(&file, knobs.today()).unwrap();
    book.place("k1", "f1", freeze("鄂0116", 5_000, 8_000))
        .unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::write(&file, b"{\"format\": 1, \"holds\": [").unwrap();
    let (other, knobs) = self::book();
    let err = other.view().keep_in(&file, knobs.today()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("bank.json"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_register_left_readable_by_others_is_narrowed_when_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bank.json");
    let (book, knobs) = book();
    book.view().keep_in(&file, knobs.today()).unwrap();
    book.place("k1", "f1", freeze("鄂0116", 5_000, 8_000))
        .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (other, knobs) = self::book();
    other.view().keep_in(&file, knobs.today()).unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
