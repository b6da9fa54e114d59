//! Connection timeouts HTTP/2 in hyper does not offer: every accepted connection is wrapped in
//! a [`GuardedIo`] that closes it when it has not started a call within the header-read
//! timeout (a peer that connects and sends nothing, or never finishes its headers), or when no
//! call has been open on it for the idle timeout. Calls are counted by the gate through the
//! connection's [`Activity`], which reaches each request as part of its [`ConnInfo`].
//!
//! Half-open peers are found by HTTP/2 keepalive pings and TCP keepalive, set on the server
//! builder ([`crate::server`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// When a connection that is doing nothing is closed.
#[derive(Debug, Clone, Copy)]
pub struct ConnTimeouts {
    /// From accepting the connection to its first call.
    pub header_read: Duration,
    /// With no call open (`None`: never).
    pub idle: Option<Duration>,
}

impl ConnTimeouts {
    /// How often a connection with a call open is looked at again.
    fn recheck(&self) -> Duration {
        self.idle
            .map_or(self.header_read, |idle| idle.min(self.header_read))
    }
}

/// What the gate learns about a request's connection: the peer and the connection's calls.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub tcp: TcpConnectInfo,
    pub activity: Activity,
}

/// The calls of one connection: how many are open, how many were started, since when none is.
#[derive(Debug, Clone)]
pub struct Activity(Arc<Mutex<ActivityState>>);

#[derive(Debug)]
struct ActivityState {
    open: usize,
    started: u64,
    quiet_since: Instant,
}

/// One open call; dropping it (with the call's response body) ends the call.
pub struct CallOpen(Activity);

impl Activity {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(ActivityState {
            open: 0,
            started: 0,
            quiet_since: Instant::now(),
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a call open until the returned guard is dropped.
    pub fn begin(&self) -> CallOpen {
        let mut state = self.state();
        state.open += 1;
        state.started += 1;
        CallOpen(self.clone())
    }

    /// When the connection is to be closed if nothing changes (`None`: not while a call is
    /// open, or idle connections are kept).
    fn deadline(&self, timeouts: ConnTimeouts) -> Option<Instant> {
        let state = self.state();
        if state.open > 0 {
            None
        } else if state.started == 0 {
            Some(state.quiet_since + timeouts.header_read)
        } else {
            timeouts.idle.map(|idle| state.quiet_since + idle)
        }
    }
}

impl Drop for CallOpen {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.open = state.open.saturating_sub(1);
        if state.open == 0 {
            state.quiet_since = Instant::now();
        }
    }
}

/// A connection that ends itself (its reads fail with `TimedOut`) once it has been doing
/// nothing for too long.
pub struct GuardedIo<IO> {
    io: IO,
    activity: Activity,
    timeouts: ConnTimeouts,
    timer: Pin<Box<Sleep>>,
}

impl<IO> GuardedIo<IO> {
    pub fn new(io: IO, timeouts: ConnTimeouts) -> Self {
        Self {
            io,
            activity: Activity::new(),
            timeouts,
            timer: Box::pin(tokio::time::sleep(timeouts.recheck())),
        }
    }

    /// The connection's calls, as the gate counts them.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// Whether the connection has been doing nothing for too long; otherwise the timer is
    /// armed (and registered with `cx`) for the next look.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            match self.activity.deadline(self.timeouts) {
                Some(at) if at <= now => return true,
                Some(at) => self.timer.as_mut().reset(at),
                None => self.timer.as_mut().reset(now + self.timeouts.recheck()),
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for GuardedIo<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.expired(cx) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection closed: no call within the header-read or idle timeout",
            )));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for GuardedIo<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl Connected for GuardedIo<TcpStream> {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        ConnInfo {
            tcp: self.io.connect_info(),
            activity: self.activity.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    const TIMEOUTS: ConnTimeouts = ConnTimeouts {
        header_read: Duration::from_secs(10),
        idle: Some(Duration::from_secs(300)),
    };

    /// Reads from `io` until it fails, returning how long that took on the tokio clock.
    async fn time_to_close(io: &mut GuardedIo<tokio::io::DuplexStream>) -> Duration {
        let started = Instant::now();
        let mut buf = [0u8; 8];
        let error = io
            .read(&mut buf)
            .await
            .expect_err("the connection is closed");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_never_starts_a_call_is_closed_after_the_header_read_timeout() {
        let (_peer, ours) = tokio::io::duplex(64);
        let mut io = GuardedIo::new(ours, TIMEOUTS);
        assert_eq!(time_to_close(&mut io).await, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_call_keeps_the_connection_and_idleness_counts_from_its_end() {
        let (_peer, ours) = tokio::io::duplex(64);
        let mut io = GuardedIo::new(ours, TIMEOUTS);
        let call = io.activity().begin();
        let activity = io.activity().clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1_000)).await;
            drop(call);
            drop(activity);
        });
        // 1,000 s with a call open, then 300 s idle.
        let closed_after = time_to_close(&mut io).await;
        assert!(
            (Duration::from_secs(1_300)..=Duration::from_secs(1_310)).contains(&closed_after),
            "{closed_after:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_from_the_peer_pass_through() {
        let (mut peer, ours) = tokio::io::duplex(64);
        let mut io = GuardedIo::new(ours, TIMEOUTS);
        tokio::io::AsyncWriteExt::write_all(&mut peer, b"PRI *")
            .await
            .unwrap();
        let mut buf = [0u8; 5];
        io.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"PRI *");
    }
}
