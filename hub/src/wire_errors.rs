//! The transport's own refusals in the hub's terms: a tower layer inside the gate that
//! rewrites the trailers-only error answers tonic gives before any handler runs, so callers,
//! the audit and the metrics see what happened:
//! - a body that is not the method's protobuf message (tonic: INTERNAL, "failed to decode
//!   Protobuf message") is the caller's mistake: INVALID_ARGUMENT;
//! - a request message over the hub's message cap (tonic: OUT_OF_RANGE, "decoded message
//!   length too large") is RESOURCE_EXHAUSTED, as gRPC's status code table has it;
//! - any error message is cut to [`bounds::MAX_ERROR_MESSAGE_BYTES`].
//!
//! Owns only these rewrites of a response's head; errors that end a stream are the
//! handlers' (bounded where they are made) and pass untouched.

use crate::bounds;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::{Code, Status};

/// What tonic's prost codec says when a body does not decode.
const DECODE_FAILURE: &str = "failed to decode Protobuf message";
/// What tonic says when a request message is over `max_decoding_message_size`.
const TOO_LARGE: &str = "Error, decoded message length too large";

#[derive(Debug, Clone, Copy, Default)]
pub struct WireErrorsLayer;

impl<S> tower_layer::Layer<S> for WireErrorsLayer {
    type Service = WireErrors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WireErrors { inner }
    }
}

#[derive(Debug, Clone)]
pub struct WireErrors<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B, R> Service<http::Request<B>> for WireErrors<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = self.inner.call(request);
        Box::pin(async move {
            let mut response = call.await?;
            rewrite(response.headers_mut());
            Ok(response)
        })
    }
}

/// Rewrites the status in a trailers-only answer's head (see the module comment); leaves a
/// head without a status, or with one that needs nothing, as it is.
pub fn rewrite(headers: &mut http::HeaderMap) {
    let Some(status) = Status::from_header_map(headers) else {
        return;
    };
    let (code, message) = match status.code() {
        Code::Internal if status.message().starts_with(DECODE_FAILURE) => (
            Code::InvalidArgument,
            format!(
                "invalid request: the body is not this method's request message ({})",
                status.message()
            ),
        ),
        Code::OutOfRange if status.message().starts_with(TOO_LARGE) => (
            Code::ResourceExhausted,
            format!("request too large: {}", status.message()),
        ),
        code if status.message().len() > bounds::MAX_ERROR_MESSAGE_BYTES => {
            (code, status.message().to_string())
        }
        _ => return,
    };
    let replacement = Status::new(code, bounds::cut(&message, bounds::MAX_ERROR_MESSAGE_BYTES));
    let mut head = http::HeaderMap::new();
    if replacement.add_header(&mut head).is_err() {
        return;
    }
    for (name, value) in &head {
        headers.insert(name.clone(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(status: Status) -> http::HeaderMap {
        let mut head = http::HeaderMap::new();
        status.add_header(&mut head).unwrap();
        head
    }

    fn after(status: Status) -> Status {
        let mut head = head_of(status);
        rewrite(&mut head);
        Status::from_header_map(&head).unwrap()
    }

    #[test]
    fn a_body_that_does_not_decode_is_invalid_argument() {
        let rewritten = after(Status::internal(
            "failed to decode Protobuf message: QueryRequest.debtor: invalid wire type",
        ));
        assert_eq!(rewritten.code(), Code::InvalidArgument);
        assert!(rewritten.message().contains("QueryRequest.debtor"));
    }

    #[test]
    fn a_message_over_the_cap_is_resource_exhausted() {
        let rewritten = after(Status::out_of_range(
            "Error, decoded message length too large: found 9437199 bytes, the limit is: 8388608 bytes",
        ));
        assert_eq!(rewritten.code(), Code::ResourceExhausted);
        assert!(rewritten.message().contains("8388608"));
    }

    #[test]
    fn long_messages_are_cut_and_others_untouched() {
        let rewritten = after(Status::not_found("é".repeat(5000)));
        assert_eq!(rewritten.code(), Code::NotFound);
        assert!(rewritten.message().len() <= 1024);
        assert!(rewritten.message().ends_with('…'));
        for status in [
            Status::internal("the order ledger is unavailable"),
            Status::out_of_range("days out of range"),
            Status::not_found("case (2024)鄂0116执1号 is not registered"),
        ] {
            let before = head_of(status);
            let mut head = before.clone();
            rewrite(&mut head);
            assert_eq!(head, before);
        }
        let mut empty = http::HeaderMap::new();
        rewrite(&mut empty);
        assert!(empty.is_empty());
    }
}
