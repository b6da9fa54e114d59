//! Listing for auditors, on SQLite and PostgreSQL (like `tests`): filters by case (either
//! parenthesis form), method and time; pages bounded by entries and bytes that, followed by
//! `next_after_seq`, visit every match exactly once.

use super::tests::{entry, logs};
use super::*;

const OTHER_CASE: &str = "（2025）鄂01执88号";

/// 30 entries: every third of [`OTHER_CASE`] (written with full-width parentheses), every
/// other one by an agency call, at_ms = base + n.
async fn mixed(log: &AuditLog) {
    for n in 1..=30 {
        let mut e = entry(log, n);
        if n % 3 == 0 {
            e.case_number = OTHER_CASE.into();
        }
        assert_eq!(log.append(e).await.unwrap(), n as u64);
    }
}

/// Every page of `query`, followed to the end: the numbers seen, and the pages taken.
async fn all_pages(log: &AuditLog, mut query: ListQuery) -> (Vec<u64>, usize) {
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let page = log.list_page(&query).await.unwrap();
        pages += 1;
        seen.extend(page.records.iter().map(|r| r.seq));
        if !page.more {
            return (seen, pages);
        }
        assert!(page.next_after_seq > query.after_seq, "progress");
        query.after_seq = page.next_after_seq;
    }
}

#[tokio::test]
async fn filters_select_by_case_method_and_time() {
    for (backend, log, _pool, _keep) in logs().await {
        mixed(&log).await;
        let base = entry(&log, 0).at_ms;
        let query = |f: &dyn Fn(&mut ListQuery)| {
            let mut q = ListQuery {
                limit: MAX_LIMIT,
                ..ListQuery::default()
            };
            f(&mut q);
            q
        };
        let thirds: Vec<u64> = (1..=10).map(|n| n * 3).collect();
        for form in [OTHER_CASE, "(2025)鄂01执88号"] {
            let q = query(&|q| q.case_number = form.into());
            assert_eq!(all_pages(&log, q).await.0, thirds, "{backend}: {form}");
        }
        let q = query(&|q| q.method = "agency:bank-gongxin:freeze".into());
        let odd: Vec<u64> = (1..=30).filter(|n| n % 2 == 1).collect();
        assert_eq!(all_pages(&log, q).await.0, odd, "{backend}");
        let q = query(&|q| q.method = "agency:bank-gongxin".into());
        assert!(
            all_pages(&log, q).await.0.is_empty(),
            "{backend}: exact match"
        );
        let q = query(&|q| {
            q.since_ms = base + 10;
            q.until_ms = base + 20;
        });
        assert_eq!(
            all_pages(&log, q).await.0,
            (10..20).collect::<Vec<u64>>(),
            "{backend}"
        );
        let q = query(&|q| {
            q.case_number = OTHER_CASE.into();
            q.method = "/assethub.v1.Orders/PlaceHold".into();
            q.since_ms = base + 7;
        });
        assert_eq!(all_pages(&log, q).await.0, [12, 18, 24, 30], "{backend}");
    }
}

#[tokio::test]
async fn pages_are_bounded_by_entries_and_bytes_and_chain_to_the_end() {
    for (backend, log, _pool, _keep) in logs().await {
        mixed(&log).await;
        let page = log
            .list_page(&ListQuery {
                limit: 7,
                ..ListQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (page.records.len(), page.next_after_seq, page.more),
            (7, 7, true)
        );
        let last = log
            .list_page(&ListQuery {
                after_seq: 23,
                limit: 7,
                ..ListQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (last.records.len(), last.next_after_seq, last.more),
            (7, 30, false),
            "{backend}: exactly the rest"
        );
        let empty = log
            .list_page(&ListQuery {
                after_seq: 30,
                ..ListQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (empty.records.len(), empty.next_after_seq, empty.more),
            (0, 30, false)
        );

        // Each entry takes a few hundred bytes: a 1,000-byte budget holds two or three, and
        // a budget smaller than one entry still makes progress, one entry a page.
        let (seen, pages) = all_pages(
            &log,
            ListQuery {
                max_bytes: 1_000,
                ..ListQuery::default()
            },
        )
        .await;
        assert_eq!(seen, (1..=30).collect::<Vec<u64>>(), "{backend}");
        assert!((10..=15).contains(&pages), "{backend}: {pages} pages");
        let (seen, pages) = all_pages(
            &log,
            ListQuery {
                max_bytes: 1,
                case_number: OTHER_CASE.into(),
                ..ListQuery::default()
            },
        )
        .await;
        assert_eq!((seen.len(), pages), (10, 10), "{backend}");
    }
}
