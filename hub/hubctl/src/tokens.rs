//! `hubctl token revoke`: an admin revokes one bearer token by its id (`jti`, which
//! `assethub issue-token` prints) or every token of a subject issued up to now. Every hub
//! sharing the ledger refuses them: the one called at once, the others within their
//! `auth.revocation_poll_ms`.

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::tokens_client::TokensClient;
use assethub_proto::v1::{Revocation, RevokeTokenRequest};
use clap::{Args, Subcommand};

use crate::client::{bounded, request};
use crate::error::CliError;
use crate::json;
use crate::order_render::utc_time;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Revoke a token by its id, or every token of a subject issued up to now (admins).
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The tokens' issuer (their iss), as the hub's [[auth.issuers]] names it.
    #[arg(long)]
    issuer: String,
    /// The token's id (its jti).
    #[arg(long, required_unless_present = "subject", conflicts_with = "subject")]
    jti: Option<String>,
    /// A subject (its sub): every token of it issued up to now.
    #[arg(long)]
    subject: Option<String>,
    /// Why (kept with the revocation and in the audit).
    #[arg(long)]
    reason: String,
}

#[derive(serde::Serialize)]
struct RevocationJson<'a> {
    issuer: &'a str,
    jti: &'a str,
    subject: &'a str,
    reason: &'a str,
    revoked_by: &'a str,
    revoked_at: i64,
}

pub async fn run(
    addr: &str,
    timeout: Duration,
    args: TokenArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let TokenCommand::Revoke(args) = args.command;
    let (conn, addr) = crate::client::channel(addr, Some(timeout)).await?;
    let mut client = TokensClient::new(conn);
    let call = client.revoke_token(request(
        RevokeTokenRequest {
            issuer: args.issuer,
            jti: args.jti.unwrap_or_default(),
            subject: args.subject.unwrap_or_default(),
            reason: args.reason,
        },
        Some(timeout),
    ));
    let r = bounded(Some(timeout), call)
        .await
        .map_err(|s| CliError::status(&addr, s))?
        .into_inner();
    if as_json {
        let line = json::to_line(&RevocationJson {
            issuer: &r.issuer,
            jti: &r.jti,
            subject: &r.subject,
            reason: &r.reason,
            revoked_by: &r.revoked_by,
            revoked_at: r.revoked_at,
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(out, "{}", render(&r))?;
    }
    Ok(())
}

fn render(r: &Revocation) -> String {
    let what = if r.jti.is_empty() {
        format!("every token of subject {} issued up to now", r.subject)
    } else {
        format!("token {}", r.jti)
    };
    format!(
        "revoked {what} of issuer {} at {} by {}: {}",
        r.issuer,
        utc_time(r.revoked_at.saturating_mul(1_000)),
        r.revoked_by,
        r.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_was_revoked() {
        let r = Revocation {
            issuer: "demo".into(),
            jti: String::new(),
            subject: "judge-0042".into(),
            reason: "left the court".into(),
            revoked_by: "demo/demo-admin@鄂0116".into(),
            revoked_at: 1_764_633_600,
        };
        assert_eq!(
            render(&r),
            "revoked every token of subject judge-0042 issued up to now of issuer demo at 2025-12-02T00:00:00Z by demo/demo-admin@鄂0116: left the court"
        );
    }
}
