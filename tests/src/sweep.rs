//! Driving durable sweeps from a test: submitting items in chunks as a client would, waiting
//! for a sweep to settle, reading all its results page by page, and the throughput bound a
//! sweep is measured against (the same arithmetic as the batch measurement: debtors divided by
//! the slowest agency's configured rate).

use crate::{bearer, token, Authed, Role};
use assethub_proto::v1 as pb;
use assethub_proto::v1::sweeps_client::SweepsClient;
use std::time::Duration;
use tonic::transport::Channel;

/// Items per submission chunk (the hub accepts up to 1,000).
pub const CHUNK: usize = 500;

/// A sweeps client of `role` at `court`.
pub fn client(channel: &Channel, role: Role, court: &str) -> SweepsClient<Authed> {
    SweepsClient::with_interceptor(channel.clone(), bearer(&token(role, court)))
        .max_decoding_message_size(8 * 1024 * 1024)
}

/// An item of `case` for `debtor` (identity number, name).
pub fn item(case: &str, debtor: &(String, String)) -> pb::SweepItem {
    pb::SweepItem {
        case_number: case.into(),
        debtor: Some(pb::Debtor {
            id_number: debtor.0.clone(),
            name: debtor.1.clone(),
        }),
    }
}

/// The chunks of a submission: the header, then `items` [`CHUNK`] at a time (made lazily, so a
/// large sweep is never one vector of messages).
pub fn chunks(
    header: pb::SweepHeader,
    items: impl Iterator<Item = pb::SweepItem> + Send + 'static,
) -> impl futures::Stream<Item = pb::SubmitSweepChunk> + Send + 'static {
    use futures::StreamExt;
    use itertools_free::Chunked;
    let first = futures::stream::once(async move {
        pb::SubmitSweepChunk {
            part: Some(pb::submit_sweep_chunk::Part::Header(header)),
        }
    });
    let rest =
        futures::stream::iter(Chunked::new(items, CHUNK)).map(|items| pb::SubmitSweepChunk {
            part: Some(pb::submit_sweep_chunk::Part::Items(pb::SweepItems {
                items,
            })),
        });
    first.chain(rest)
}

/// A header with `key`, every kind, `fresh`.
pub fn header(key: &str, fresh: bool) -> pb::SweepHeader {
    pb::SweepHeader {
        client_key: key.into(),
        fresh,
        ..Default::default()
    }
}

/// Polls the sweep until it is FINISHED or CANCELLED (panics after `within`).
pub async fn settled(client: &mut SweepsClient<Authed>, id: &str, within: Duration) -> pb::Sweep {
    let until = tokio::time::Instant::now() + within;
    loop {
        let sweep = client
            .get_sweep(pb::GetSweepRequest { id: id.into() })
            .await
            .expect("GetSweep answers")
            .into_inner();
        if sweep.state == pb::SweepState::Finished as i32
            || sweep.state == pb::SweepState::Cancelled as i32
        {
            return sweep;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "sweep {id} not settled within {within:?}: {sweep:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every result of the sweep, in index order, read a page at a time.
pub async fn results(client: &mut SweepsClient<Authed>, id: &str) -> Vec<pb::SweepItemResult> {
    let mut all: Vec<pb::SweepItemResult> = Vec::new();
    loop {
        let page = client
            .list_sweep_results(pb::ListSweepResultsRequest {
                id: id.into(),
                after_index: all.last().map_or(0, |r| r.index),
                from_start: all.is_empty(),
                limit: 1_000,
            })
            .await
            .expect("ListSweepResults answers")
            .into_inner();
        all.extend(page.results);
        if !page.more {
            return all;
        }
    }
}

/// The least time `debtors` items can take when every item asks an agency of each rate in
/// `rates_per_sec`: the slowest agency's queue, debtors / its rate.
pub fn bound(debtors: usize, rates_per_sec: &[u32]) -> Duration {
    let slowest = rates_per_sec.iter().copied().min().unwrap_or(0).max(1);
    Duration::from_secs_f64(debtors as f64 / f64::from(slowest))
}

/// A tiny chunking iterator (no extra dependency for one adapter).
mod itertools_free {
    pub struct Chunked<I> {
        inner: I,
        size: usize,
    }

    impl<I> Chunked<I> {
        pub fn new(inner: I, size: usize) -> Self {
            Self { inner, size }
        }
    }

    impl<I: Iterator> Iterator for Chunked<I> {
        type Item = Vec<I::Item>;

        fn next(&mut self) -> Option<Self::Item> {
            let chunk: Vec<I::Item> = self.inner.by_ref().take(self.size).collect();
            (!chunk.is_empty()).then_some(chunk)
        }
    }
}

/// Debtors per case when a test registers many (the hub's most per case).
pub const DEBTORS_PER_CASE: usize = 500;

/// Registers cases of [`COURT`](crate::COURT) holding `debtors`, [`DEBTORS_PER_CASE`] each,
/// numbered from `first`; the case of each debtor, in order.
pub async fn register_cases(
    channel: &Channel,
    debtors: &[(String, String)],
    first: usize,
) -> Vec<String> {
    let mut case_of = Vec::with_capacity(debtors.len());
    for (n, group) in debtors.chunks(DEBTORS_PER_CASE).enumerate() {
        let number = first + n;
        let case = format!("(2025){}执{number}号", crate::COURT);
        let account = format!("HB0116-SWEEP-{number}");
        crate::register_case(channel, &case, group, 1_000_000_000, &account).await;
        case_of.extend(std::iter::repeat_n(case, group.len()));
    }
    case_of
}

/// Every configured source of `config` held to `per_sec` requests a second (burst 20), the
/// banks to twice that: the slowest agency runs at `per_sec`.
pub fn pace_sources(config: &mut assethub_hub::HubConfig, per_sec: u32) {
    for source in &mut config.sources {
        let bank = source.id.as_str().starts_with("bank-");
        source.rate_limit_per_sec = if bank { per_sec * 2 } else { per_sec };
        source.rate_limit_burst = 20;
        source.max_concurrency = source.max_concurrency.max(32);
    }
}
