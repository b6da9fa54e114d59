//! Development credentials: a token of the demo issuer (a PUBLIC key: a hub trusting it serves
//! loopback only) for every role at the demo's courts, written where hubctl finds them.

use assethub_client::credentials::{default_path, Credential, CredentialsFile};
use assethub_client::Role;
use assethub_hub::auth::{now_secs, Claims};

/// The demo's courts.
pub const COURTS: [&str; 2] = ["鄂0116", "鄂01"];

/// Development tokens for every role, valid 30 days, where hubctl finds them.
pub fn write() {
    let Some(path) = default_path() else {
        eprintln!("assethub-demo: no home directory: demo credentials not written");
        return;
    };
    let mut file = CredentialsFile::load(&path).unwrap_or_default();
    for credential in demo(&COURTS, now_secs(), 30).credentials {
        file.put(credential);
    }
    match file.save(&path) {
        Ok(()) => println!(
            "demo credentials (every role, courts 鄂0116 and 鄂01) written to {}",
            path.display()
        ),
        Err(e) => eprintln!("assethub-demo: cannot write demo credentials: {e}"),
    }
}

/// Development credentials for every role at each of `courts`, signed by the demo issuer and
/// valid for `days`.
pub fn demo(courts: &[&str], now_secs: i64, days: i64) -> CredentialsFile {
    let issuer = assethub_demo::token_issuer();
    let mut file = CredentialsFile::default();
    for court in courts {
        for role in Role::ALL {
            let officer = match role {
                Role::Judge => "王法官",
                Role::Supervisor => "李庭长",
                _ => "",
            };
            let token = issuer.issue(&Claims {
                iss: String::new(),
                sub: format!("demo-{}@{court}", role.as_str()),
                officer: officer.into(),
                court: (*court).into(),
                role,
                jti: String::new(),
                iat: now_secs,
                exp: now_secs + days * 86_400,
            });
            file.put(Credential {
                issuer: issuer.name().into(),
                court: (*court).into(),
                role,
                officer: officer.into(),
                token,
            });
        }
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_at_each_court_with_a_token_the_demo_hub_accepts() {
        let file = demo(&["鄂0116", "鄂01"], 1_000, 30);
        assert_eq!(file.credentials.len(), 2 * Role::ALL.len());
        let judge = file.pick(&[Role::Judge], Some("鄂01")).unwrap();
        assert_eq!(
            (judge.officer.as_str(), judge.issuer.as_str()),
            ("王法官", "demo")
        );
        // The hub serving the embedded example configuration (the demo's) accepts it.
        let verifier = assethub_demo::config().auth.verifier().unwrap();
        let claims = verifier.verify(&judge.token, 1_060).unwrap();
        assert_eq!((claims.role, claims.court.as_str()), (Role::Judge, "鄂01"));
        assert!(
            verifier.verify(&judge.token, 1_000 + 31 * 86_400).is_err(),
            "30 days"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        file.save(&path).unwrap();
        assert_eq!(CredentialsFile::load(&path).unwrap(), file);
    }
}
