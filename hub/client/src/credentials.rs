//! The operator's credentials file (`~/.config/assethub/credentials.toml`, or the path in
//! `ASSETHUB_CREDENTIALS`): tokens by court and role. `assethub-demo` writes development ones,
//! `assethub issue-token --save` adds others (never replacing another issuer's, so it cannot
//! break the demo's), and `hubctl` picks the one a command needs.

use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The token's issuer (`iss`).
    #[serde(default)]
    pub issuer: String,
    pub court: String,
    pub role: Role,
    pub officer: String,
    pub token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsFile {
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

/// Where credentials live: `ASSETHUB_CREDENTIALS`, else `$XDG_CONFIG_HOME/assethub/`, else
/// `~/.config/assethub/credentials.toml`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ASSETHUB_CREDENTIALS") {
        return Some(PathBuf::from(path));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("assethub").join("credentials.toml"))
}

impl CredentialsFile {
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the file, owner-only (mode 0600, a new directory 0700) from its first byte: it
    /// holds bearer tokens.
    pub fn save(&self, path: &std::path::Path) -> Result<(), String> {
        let text = format!(
            "# assethub credentials: bearer tokens by court and role. Keep private.\n{}",
            toml::to_string(self).map_err(|e| e.to_string())?
        );
        crate::private_files::write(path, text.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Adds `credential`, replacing one for the same court and role.
    pub fn put(&mut self, credential: Credential) {
        self.credentials
            .retain(|c| !(c.court == credential.court && c.role == credential.role));
        self.credentials.push(credential);
    }

    /// Adds `credential` like [`Self::put`], but refuses to replace another issuer's token
    /// for the same court and role (e.g. the demo's, which the demo hub needs).
    pub fn add(&mut self, credential: Credential) -> Result<(), String> {
        if let Some(other) = self.credentials.iter().find(|c| {
            c.court == credential.court
                && c.role == credential.role
                && c.issuer != credential.issuer
        }) {
            return Err(format!(
                "the credentials file already holds a token of issuer {:?} for {} {}; \
                 keep this one in a file of its own: ASSETHUB_CREDENTIALS=FILE with both \
                 issue-token --save and hubctl",
                other.issuer,
                credential.court,
                credential.role.as_str()
            ));
        }
        self.put(credential);
        Ok(())
    }

    /// The first credential for `court` (any court when `None`) among `roles`, in that order
    /// of preference.
    pub fn pick(&self, roles: &[Role], court: Option<&str>) -> Option<&Credential> {
        roles.iter().find_map(|role| {
            self.credentials
                .iter()
                .find(|c| c.role == *role && court.is_none_or(|court| c.court == court))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as `assethub-demo` writes it: every role at each court, issued by "demo".
    fn demo(courts: &[&str]) -> CredentialsFile {
        let mut file = CredentialsFile::default();
        for court in courts {
            for role in Role::ALL {
                file.put(Credential {
                    issuer: "demo".into(),
                    court: (*court).into(),
                    role,
                    officer: if role.acts() {
                        "王法官".into()
                    } else {
                        String::new()
                    },
                    token: format!("{}-{court}", role.as_str()),
                });
            }
        }
        file
    }

    #[test]
    fn demo_credentials_round_trip_and_are_picked_by_role_and_court() {
        let file = demo(&["鄂0116", "鄂01"]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c/credentials.toml");
        file.save(&path).unwrap();
        let loaded = CredentialsFile::load(&path).unwrap();
        assert_eq!(loaded, file);
        let judge = loaded.pick(&[Role::Judge], Some("鄂01")).unwrap();
        assert_eq!((judge.court.as_str(), judge.role), ("鄂01", Role::Judge));
        let reader = loaded.pick(&[Role::CaseSystem, Role::Judge], None).unwrap();
        assert_eq!(reader.role, Role::CaseSystem);
        assert!(loaded.pick(&[Role::Judge], Some("京01")).is_none());
        assert_eq!(
            CredentialsFile::load(&dir.path().join("missing.toml")).unwrap(),
            CredentialsFile::default()
        );
    }

    #[test]
    fn another_issuers_token_never_replaces_the_demos() {
        let mut file = demo(&["鄂0116"]);
        let before = file.clone();
        let mine = |issuer: &str| Credential {
            issuer: issuer.into(),
            court: "鄂0116".into(),
            role: Role::Judge,
            officer: "王法官".into(),
            token: format!("{issuer}-token"),
        };
        let refused = file.add(mine("court-ca")).unwrap_err();
        assert!(refused.contains("ASSETHUB_CREDENTIALS"), "{refused}");
        assert_eq!(file, before, "nothing changed");
        // Another court or role, or the same issuer again, is added or replaced.
        file.add(Credential {
            court: "鄂01".into(),
            ..mine("court-ca")
        })
        .unwrap();
        file.add(mine("demo")).unwrap();
        let judge = file.pick(&[Role::Judge], Some("鄂0116")).unwrap();
        assert_eq!(judge.token, "demo-token");
    }
}
