//! From a verified token's payload to the hub's [`Claims`]: which claims name the subject, the
//! court, the role and the officer (per issuer, as its identity provider spells them), how the
//! provider's role names map to the hub's roles, which courts an issuer may speak for, and the
//! shape every claim must have (they go into every audit entry).

use crate::identity::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a token says about its holder, once verified and mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Issuer (the `iss` claim; an issuer the hub trusts).
    pub iss: String,
    /// Caller id: a case system's client id or an officer's user id.
    pub sub: String,
    /// The enforcement officer's name; recorded on control orders.
    pub officer: String,
    /// Court code, e.g. `鄂0116`.
    pub court: String,
    pub role: Role,
    /// The token's id (`jti`; empty when the issuer sets none), for revocation.
    pub jti: String,
    /// Issued at / expires at, Unix seconds.
    pub iat: i64,
    pub exp: i64,
}

/// The claim names an issuer uses (a dotted path reaches into an object, e.g.
/// `realm_access.role`, when no claim has the whole name).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimNames {
    pub subject: String,
    pub court: String,
    pub role: String,
    pub officer: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            court: "court".into(),
            role: "role".into(),
            officer: "officer".into(),
        }
    }
}

/// How one issuer's tokens become [`Claims`].
#[derive(Debug, Clone, Default)]
pub struct ClaimMapping {
    pub names: ClaimNames,
    /// The provider's role names → the hub's roles (empty: the claim holds the hub's names).
    pub roles: BTreeMap<String, Role>,
    /// The courts this issuer may speak for (empty: any); with one, a token without a court
    /// claim is for that court.
    pub courts: Vec<String>,
}

/// Why a verified token's claims are refused.
pub type ClaimError = String;

impl ClaimMapping {
    /// The hub's claims from a verified payload (the time claims are the verifier's).
    pub fn map(&self, iss: &str, payload: &Value) -> Result<Claims, ClaimError> {
        let n = &self.names;
        let text = |name: &str| claim(payload, name).and_then(Value::as_str);
        let sub = text(&n.subject).ok_or_else(|| format!("the {} claim is missing", n.subject))?;
        let court = match (text(&n.court), self.courts.as_slice()) {
            (Some(court), _) => court.to_string(),
            (None, [only]) => only.clone(),
            (None, _) => return Err(format!("the {} claim is missing", n.court)),
        };
        if !self.courts.is_empty() && !self.courts.contains(&court) {
            return Err(format!("issuer {iss} may not speak for court {court}"));
        }
        let claims = Claims {
            iss: iss.to_string(),
            sub: sub.to_string(),
            officer: text(&n.officer).unwrap_or_default().to_string(),
            court,
            role: self.role(claim(payload, &n.role))?,
            jti: text("jti").unwrap_or_default().to_string(),
            iat: 0,
            exp: 0,
        };
        check_claims(&claims)?;
        Ok(claims)
    }

    /// The one hub role the role claim (a name or a list of names) maps to.
    fn role(&self, value: Option<&Value>) -> Result<Role, ClaimError> {
        let name = &self.names.role;
        let names: Vec<&str> = match value {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("the {name} claim is missing")),
        };
        let mut roles: Vec<Role> = names
            .into_iter()
            .filter_map(|n| {
                if self.roles.is_empty() {
                    Role::parse(n)
                } else {
                    self.roles.get(n).copied()
                }
            })
            .collect();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        match roles.as_slice() {
            [role] => Ok(*role),
            [] => Err(format!("the {name} claim names no role of the hub")),
            _ => Err(format!("the {name} claim names several roles of the hub")),
        }
    }
}

/// The claim `name`: a claim of that exact name, else the dotted path into nested objects.
fn claim<'a>(payload: &'a Value, name: &str) -> Option<&'a Value> {
    payload.get(name).or_else(|| {
        name.split('.')
            .try_fold(payload, |value, part| value.get(part))
    })
}

/// Longest subject and officer name a token may carry (they go into every audit entry whole).
const MAX_SUBJECT_CHARS: usize = 128;
const MAX_OFFICER_CHARS: usize = 64;

/// Text a claim may hold: no control or format characters (no line breaks, escapes, bidi
/// overrides or zero-width marks to disguise who calls).
fn plain(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    })
}

/// The claims' shape: a subject, a court code as case numbers carry it, and for roles that
/// act an officer's name, all plain and bounded. `assethub issue-token` checks the same.
pub fn check_claims(claims: &Claims) -> Result<(), ClaimError> {
    let sub = claims.sub.as_str();
    if sub.is_empty()
        || sub.chars().count() > MAX_SUBJECT_CHARS
        || !plain(sub)
        || sub.contains(char::is_whitespace)
    {
        return Err("sub must be 1 to 128 characters, without spaces or control characters".into());
    }
    if !assethub_connectors::domain::is_court_code(&claims.court) {
        return Err("court must be a court code such as 鄂0116".into());
    }
    let officer = claims.officer.trim();
    if officer.chars().count() > MAX_OFFICER_CHARS || !plain(officer) {
        return Err("officer must be at most 64 characters, without control characters".into());
    }
    if claims.role.acts() && officer.is_empty() {
        return Err(format!(
            "an officer is required for the role {}",
            claims.role.as_str()
        ));
    }
    if claims.jti.chars().count() > MAX_SUBJECT_CHARS || !plain(&claims.jti) {
        return Err("jti must be at most 128 characters, without control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_are_read_where_the_issuer_puts_them() {
        let mapping = ClaimMapping {
            names: ClaimNames {
                subject: "preferred_username".into(),
                court: "https://court.example/court".into(),
                role: "realm_access.roles".into(),
                officer: "name".into(),
            },
            roles: [
                ("enforcement-judge".to_string(), Role::Judge),
                ("clerk".to_string(), Role::CaseSystem),
            ]
            .into(),
            courts: vec!["鄂0116".into(), "鄂01".into()],
        };
        let payload = json!({
            "sub": "4f1c-opaque", "preferred_username": "judge-0042", "name": "王法官",
            "https://court.example/court": "鄂0116",
            "realm_access": {"roles": ["offline_access", "enforcement-judge"]},
        });
        let claims = mapping.map("https://idp", &payload).unwrap();
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.court.as_str(),
                claims.role,
                claims.officer.as_str()
            ),
            ("judge-0042", "鄂0116", Role::Judge, "王法官")
        );
        let refused = |payload: Value| mapping.map("https://idp", &payload).unwrap_err();
        let mut other_court = payload.clone();
        other_court["https://court.example/court"] = json!("京01");
        assert!(refused(other_court).contains("may not speak for court 京01"));
        let mut two_roles = payload.clone();
        two_roles["realm_access"]["roles"] = json!(["clerk", "enforcement-judge"]);
        assert!(refused(two_roles).contains("several roles"));
        let mut hub_name = payload.clone();
        // Only the mapped names count: the hub's own name is not one of this provider's.
        hub_name["realm_access"]["roles"] = json!(["supervisor"]);
        assert!(refused(hub_name).contains("no role of the hub"));
        let mut no_officer = payload;
        no_officer.as_object_mut().unwrap().remove("name");
        assert!(refused(no_officer).contains("officer is required"));
    }

    #[test]
    fn a_single_court_issuer_needs_no_court_claim() {
        let mapping = ClaimMapping {
            courts: vec!["鄂0116".into()],
            ..Default::default()
        };
        let payload = json!({"sub": "cms-1", "role": "case_system"});
        assert_eq!(mapping.map("idp", &payload).unwrap().court, "鄂0116");
        let open = ClaimMapping::default();
        assert_eq!(
            open.map("idp", &payload).unwrap_err(),
            "the court claim is missing"
        );
    }
}
