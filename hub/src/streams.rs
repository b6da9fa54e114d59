//! Open streams per caller: the gate takes a [`StreamPermit`] for each streaming call
//! (WatchEvents, StreamQuery, BatchQuery) before the service runs and refuses one more than the
//! cap with RESOURCE_EXHAUSTED; the permit rides in the response body ([`Held`]) and is given
//! back when the body is dropped (the stream ended, failed, or the client went away).
//!
//! Only callers with a stream open are tracked, so the table is as large as the streams open.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Counts each caller's open streams against a cap.
pub struct StreamCap {
    max: u32,
    open: Mutex<HashMap<String, u32>>,
}

/// One open stream of one caller; dropping it closes the stream's slot.
pub struct StreamPermit {
    cap: Arc<StreamCap>,
    caller: String,
}

impl StreamCap {
    pub fn new(max: u32) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::default(),
        })
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    /// A slot for one more stream of `caller`, or `None` when it has `max` open.
    pub fn open(self: &Arc<Self>, caller: &str) -> Option<StreamPermit> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(caller.to_string()).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(StreamPermit {
            cap: self.clone(),
            caller: caller.to_string(),
        })
    }

    /// Streams `caller` has open.
    pub fn open_by(&self, caller: &str) -> u32 {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(caller).copied().unwrap_or(0)
    }

    /// Callers with at least one stream open.
    pub fn callers(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.cap.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.caller) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

/// A response body that keeps `guard` alive until the body is dropped.
pub struct Held<G> {
    body: tonic::body::Body,
    _guard: G,
}

impl<G: Send + Unpin + 'static> Held<G> {
    /// `body` as a tonic body holding `guard` while it lives.
    pub fn wrap(body: tonic::body::Body, guard: G) -> tonic::body::Body {
        tonic::body::Body::new(Self {
            body,
            _guard: guard,
        })
    }
}

impl<G: Unpin> Body for Held<G> {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_cap_and_no_more_and_others_are_apart() {
        let cap = StreamCap::new(3);
        let held: Vec<_> = (0..3).map(|_| cap.open("a").expect("within cap")).collect();
        assert!(cap.open("a").is_none(), "a fourth stream is refused");
        let other = cap.open("b").expect("another caller has its own cap");
        assert_eq!((cap.open_by("a"), cap.open_by("b")), (3, 1));
        drop(held);
        assert_eq!(cap.open_by("a"), 0);
        assert!(cap.open("a").is_some(), "closed streams free their slots");
        drop(other);
        assert_eq!(cap.callers(), 0, "nobody with nothing open is tracked");
    }

    /// A body that never ends, like a stream waiting for its next event.
    struct Endless;

    impl Body for Endless {
        type Data = Bytes;
        type Error = tonic::Status;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
            Poll::Pending
        }
    }

    #[test]
    fn a_held_body_gives_its_permit_back_when_dropped() {
        let cap = StreamCap::new(1);
        let body = Held::wrap(
            tonic::body::Body::new(Endless),
            cap.open("a").expect("first"),
        );
        assert!(cap.open("a").is_none(), "the body holds the only slot");
        drop(body);
        assert!(cap.open("a").is_some());
    }
}
