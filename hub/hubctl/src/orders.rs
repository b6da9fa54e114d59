//! Reading control orders: `order ID` (one), `orders` (a filtered list, newest first) and
//! `events` (the resumable feed of order changes and vehicle sightings).

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{GetOrderRequest, ListOrdersRequest, OrderEvent, WatchEventsRequest};

use crate::client::{bounded, request};
use crate::control::print_order;
use crate::error::CliError;
use crate::json;
use crate::order_client::OrdersHub;
use crate::order_json;
use crate::order_render;

/// Without `--follow`, `events` stops once no event has arrived for this long.
pub const IDLE: Duration = Duration::from_secs(1);
/// Longest wait for the hub to open the event stream when `--timeout-ms` is not given.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn get(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    order_id: String,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub
        .client
        .get_order(request(GetOrderRequest { order_id }, timeout));
    let order = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    print_order(&order, as_json, out)
}

/// Four-eyes: approves (or rejects, with `reason`) an order awaiting approval.
pub async fn decide(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    message: assethub_proto::v1::DecideApprovalRequest,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let approving = message.approve;
    let call = hub.client.decide_approval(request(message, timeout));
    let order = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    print_order(&order, as_json, out)?;
    // Declining makes the order rejected on purpose; approving one that then fails does not.
    if approving {
        crate::control::ended_well(std::slice::from_ref(&order))?;
    }
    Ok(())
}

pub async fn list(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    message: ListOrdersRequest,
    awaiting_answer: bool,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub.client.list_orders(request(message, timeout));
    let mut response = bounded(timeout, call)
        .await
        .map_err(|s| hub.error(s))?
        .into_inner();
    if awaiting_answer {
        response.orders.retain(crate::answer::awaits_answer);
    }
    if as_json {
        writeln!(
            out,
            "{}",
            json::to_line(&order_json::orders(&response.orders))
        )?;
    } else {
        write!(out, "{}", order_render::orders_table(&response.orders))?;
    }
    Ok(())
}

/// What `events` asked for.
pub struct EventsInput {
    pub after_cursor: u64,
    pub case_number: String,
    pub follow: bool,
}

/// Prints the feed: the backlog after the cursor, then (with `--follow`) live events until the
/// stream ends, Ctrl-C, or `--timeout-ms` runs out (a normal end); without `--follow` it stops
/// once the stream has been quiet for [`IDLE`], and running out of `--timeout-ms` first is a
/// DEADLINE_EXCEEDED failure. Every event is flushed as soon as it is written, so a consumer
/// can record the last cursor it saw and resume with `--after`.
pub async fn events(
    hub: &mut OrdersHub,
    timeout: Option<Duration>,
    input: EventsInput,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = WatchEventsRequest {
        after_cursor: input.after_cursor,
        case_number: input.case_number,
    };
    let started = tokio::time::Instant::now();
    let open = timeout.unwrap_or(OPEN_TIMEOUT);
    let call = hub.client.watch_events(request(message, timeout));
    let mut stream = match tokio::time::timeout(open, call).await {
        Ok(opened) => opened.map_err(|s| hub.error(s))?.into_inner(),
        Err(_) => {
            let status = tonic::Status::deadline_exceeded(format!(
                "the hub did not open the event stream within {} ms",
                open.as_millis()
            ));
            return Err(hub.error(status));
        }
    };
    let idle = if input.follow { None } else { Some(IDLE) };
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    // The hub need not end the stream at the gRPC deadline: enforce it here too.
    let expired = async {
        match timeout {
            Some(t) => tokio::time::sleep_until(started + t).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expired);
    loop {
        let next = async {
            match idle {
                // `None`: quiet for too long.
                Some(limit) => tokio::time::timeout(limit, stream.message()).await.ok(),
                None => Some(stream.message().await),
            }
        };
        let received = tokio::select! {
            _ = &mut interrupted => break,
            _ = &mut expired => Some(Err(tonic::Status::deadline_exceeded(format!(
                "the event feed ran past --timeout-ms {}",
                timeout.map_or(0, |t| t.as_millis())
            )))),
            received = next => received,
        };
        match received {
            None | Some(Ok(None)) => break,
            Some(Ok(Some(event))) => {
                write_event(&event, as_json, out)?;
                out.flush()?;
            }
            // `--timeout-ms` bounds how long to follow: its end is not a failure.
            Some(Err(status))
                if input.follow
                    && timeout.is_some()
                    && status.code() == tonic::Code::DeadlineExceeded =>
            {
                break
            }
            Some(Err(status)) => return Err(hub.error(status)),
        }
    }
    Ok(())
}

fn write_event(event: &OrderEvent, as_json: bool, out: &mut impl Write) -> std::io::Result<()> {
    if as_json {
        writeln!(out, "{}", json::to_line(&order_json::event(event)))
    } else {
        writeln!(out, "{}", order_render::event_line(event))
    }
}
