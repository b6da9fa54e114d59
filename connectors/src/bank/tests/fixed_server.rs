//! A tiny HTTP server for tests that answers the bank's inquiry path with a fixed (possibly
//! broken) response and records the request it got; any other path gets a 404.

use super::super::wire::INQUIRY_PATH;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A request as received: the head (request line and headers) and the body.
#[derive(Debug, Clone)]
pub struct Captured {
    pub head: String,
    pub body: Vec<u8>,
}

impl Captured {
    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

pub struct FixedServer {
    pub base_url: String,
    pub last: Arc<Mutex<Option<Captured>>>,
    task: JoinHandle<()>,
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FixedServer {
    /// Answers with `status`, `headers` and `body` (Content-Length set to the body's length).
    pub async fn answering(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut response = format!(
            "HTTP/1.1 {status} Fixed\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        let mut bytes = response.into_bytes();
        bytes.extend_from_slice(body);
        Self::raw(bytes).await
    }

    /// A JSON answer with HTTP 200.
    pub async fn json(body: &str) -> Self {
        Self::answering(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await
    }

    /// Writes exactly `response` (status line included) and closes the connection.
    pub async fn raw(response: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let last = Arc::new(Mutex::new(None));
        let captured = last.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let response = response.clone();
                let captured = captured.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, &response, &captured).await;
                });
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            last,
            task,
        }
    }

    pub fn last_request(&self) -> Option<Captured> {
        self.last.lock().map(|c| c.clone()).unwrap_or(None)
    }
}

async fn serve(
    mut socket: TcpStream,
    response: &[u8],
    captured: &Mutex<Option<Captured>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let request = Captured {
        head,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[head_end..].to_vec();
    let path = request
        .head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    if let Ok(mut last) = captured.lock() {
        *last = Some(Captured { body, ..request });
    }
    if path == INQUIRY_PATH {
        socket.write_all(response).await?;
    } else {
        socket
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await?;
    }
    socket.shutdown().await
}
