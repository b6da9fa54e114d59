//! Connecting to the hub's `assethub.v1.Orders` service (same endpoint as the search API),
//! and the `Instruction` every control request carries.

use std::time::Duration;

use assethub_proto::v1::orders_client::OrdersClient;
use assethub_proto::v1::Instruction;

use crate::client::MAX_RESPONSE_BYTES;
use crate::error::CliError;

/// A connected Orders client and the address it talks to (for error messages).
pub struct OrdersHub {
    pub client: OrdersClient<crate::client::Conn>,
    pub addr: String,
}

impl OrdersHub {
    /// A hub status as this command's error.
    pub fn error(&self, status: tonic::Status) -> CliError {
        CliError::status(&self.addr, status)
    }
}

/// Connects eagerly, so that "nobody is listening" is reported as such before any call.
pub async fn connect(addr: &str, timeout: Option<Duration>) -> Result<OrdersHub, CliError> {
    let (conn, addr) = crate::client::channel(addr, timeout).await?;
    let client = OrdersClient::new(conn).max_decoding_message_size(MAX_RESPONSE_BYTES);
    Ok(OrdersHub { client, addr })
}

/// Who orders the action, under which authority, and the idempotency key (if the operator
/// gave one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionInput {
    pub case_number: String,
    pub ruling: String,
    pub officer: String,
    pub key: Option<String>,
}

impl InstructionInput {
    /// The request's `Instruction`. Without `--key` a random (UUID v4) key is made and printed
    /// on stderr before anything is sent, so the operator can replay the very same request
    /// (e.g. after a timeout) without acting twice.
    pub fn build(self, stderr: &mut impl std::io::Write) -> Result<Instruction, CliError> {
        let key = match self.key {
            Some(key) => key,
            None => {
                let key = uuid::Uuid::new_v4().to_string();
                writeln!(
                    stderr,
                    "idempotency key: {key} (to replay this request, add --key {key})"
                )?;
                key
            }
        };
        Ok(Instruction {
            case_number: self.case_number,
            ruling: self.ruling,
            officer: self.officer,
            idempotency_key: key,
        })
    }
}

/// `--key`: 1-128 printable ASCII characters, as the hub requires.
pub fn parse_key(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 128 {
        return Err(format!(
            "the idempotency key must be 1-128 characters, not {}",
            text.chars().count()
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err("the idempotency key must be printable ASCII".to_string());
    }
    Ok(text.to_string())
}

/// A hint under the error of an Orders call, for the refusals an operator meets in practice.
pub fn hint(err: &CliError) -> Option<&'static str> {
    let CliError::Status { status, .. } = err else {
        return None;
    };
    match status.code() {
        tonic::Code::FailedPrecondition => Some(
            "The hub refused the request under the enforcement rules (cap, legal period, state \
             of the hold); the reason is above.",
        ),
        tonic::Code::AlreadyExists => Some(
            "This idempotency key was already used for a different request. Replay only the \
             identical request with it, or use a new --key (omit it to generate one).",
        ),
        tonic::Code::NotFound => {
            Some("No such order; `hubctl orders --case CASE` lists a case's orders.")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(key: Option<&str>) -> InstructionInput {
        InstructionInput {
            case_number: "(2024)鄂0116执1234号".into(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "李四".into(),
            key: key.map(str::to_string),
        }
    }

    #[test]
    fn given_key_is_used_silently() {
        let mut stderr = Vec::new();
        let i = input(Some("k-1")).build(&mut stderr).expect("builds");
        assert_eq!(i.idempotency_key, "k-1");
        assert_eq!(i.officer, "李四");
        assert!(stderr.is_empty());
    }

    #[test]
    fn missing_key_is_generated_and_printed() {
        let mut stderr = Vec::new();
        let i = input(None).build(&mut stderr).expect("builds");
        let key = &i.idempotency_key;
        assert_eq!(
            uuid::Uuid::parse_str(key).map(|u| u.get_version_num()),
            Ok(4)
        );
        let printed = String::from_utf8(stderr).expect("utf-8");
        assert!(printed.contains(&format!("--key {key}")), "{printed}");
        let again = input(None).build(&mut Vec::new()).expect("builds");
        assert_ne!(&again.idempotency_key, key);
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(parse_key("abc-1"), Ok("abc-1".to_string()));
        assert!(parse_key(&"x".repeat(128)).is_ok());
        assert!(parse_key(&"x".repeat(129)).is_err());
        assert!(parse_key("").is_err());
        assert!(parse_key("键").is_err());
        assert!(parse_key("a\tb").is_err());
    }

    #[test]
    fn hints_for_refusals() {
        let err = |code| CliError::status("http://h:1", tonic::Status::new(code, "m"));
        assert!(hint(&err(tonic::Code::AlreadyExists)).is_some_and(|h| h.contains("--key")));
        assert!(hint(&err(tonic::Code::NotFound)).is_some());
        assert!(hint(&err(tonic::Code::FailedPrecondition)).is_some());
        assert!(hint(&err(tonic::Code::Internal)).is_none());
        assert!(hint(&CliError::Input("x".into())).is_none());
    }
}
