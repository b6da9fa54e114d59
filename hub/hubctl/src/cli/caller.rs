//! Who a command calls the hub as: the roles that may run it and the case it names, and so
//! the bearer token it carries — `--token`, else the credentials file's for that role and the
//! case's court (or `--court`).

use assethub_client::credentials::{self, CredentialsFile};
use assethub_client::Role;

use super::{Cli, Command};
use crate::error::CliError;

impl Command {
    /// The roles that may run this command, preferred first, and the case it names (whose
    /// court picks the credential).
    fn caller(&self) -> (&'static [Role], Option<&str>) {
        const READ: &[Role] = &[Role::CaseSystem, Role::Judge, Role::Supervisor];
        const ACT: &[Role] = &[Role::Judge, Role::Supervisor];
        match self {
            Command::Sources | Command::Token(_) => (&[Role::Admin], None),
            Command::Audit(_) => (&[Role::Auditor], None),
            Command::Case(c) => match c.command.case_and_writes() {
                (case, true) => (&[Role::CaseSystem], case),
                (case, false) => (READ, case),
            },
            Command::Query(q) => (READ, Some(&q.case_number)),
            Command::Inquiries(i) => (READ, i.case_number.as_deref()),
            Command::Batch(_) | Command::Order(_) | Command::Sweep(_) => (READ, None),
            // Verifying a notice calls no hub.
            Command::Notice(n) if !n.calls_hub() => (&[], None),
            Command::Notice(_) => (READ, None),
            Command::Approve(_) | Command::Reject(_) => (&[Role::Supervisor], None),
            Command::Answer(_) => (ACT, None),
            Command::Orders(o) => (READ, o.case_number.as_deref()),
            Command::Events(e) => (READ, e.case_number.as_deref()),
            Command::Freeze(a) => (ACT, Some(&a.instruction.case_number)),
            Command::FreezeAsset(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Seal(a) | Command::Watch(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Release(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Deduct(a) => (ACT, Some(&a.instruction.case_number)),
            Command::Renew(a) => (ACT, Some(&a.instruction.case_number)),
        }
    }
}

/// The token this command calls with: `--token`, else the credentials file's for the role and
/// court (the named case's court, else `--court`). None: the call goes unauthenticated and the
/// hub says so.
pub fn credential(cli: &Cli) -> Result<Option<String>, CliError> {
    if let Some(token) = &cli.token {
        return Ok(Some(token.clone()));
    }
    let (roles, case) = cli.command.caller();
    if roles.is_empty() {
        return Ok(None);
    }
    let case_court = case
        .and_then(|c| assethub_core::domain::CaseNumber::parse(c).ok())
        .map(|c| c.court().to_string());
    if let (Some(of_case), Some(asked)) = (&case_court, &cli.court) {
        if of_case != asked {
            eprintln!("note: the case belongs to court {of_case}; --court {asked} applies only to commands that name no case");
        }
    }
    let court = case_court.or_else(|| cli.court.clone());
    let Some(path) = credentials::default_path() else {
        return Ok(None);
    };
    let file = CredentialsFile::load(&path).map_err(CliError::Input)?;
    // No credential for that court: call as what we have, and let the hub say why not.
    let picked = file
        .pick(roles, court.as_deref())
        .or_else(|| file.pick(roles, None));
    if picked.is_none() {
        eprintln!("{}", no_credential_note(roles, &path));
    }
    Ok(picked.map(|c| c.token.clone()))
}

/// What to do when the credentials file holds no token for any of `roles`: the hub will only
/// say that a bearer token is required.
fn no_credential_note(roles: &[Role], path: &std::path::Path) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    format!(
        "note: {} holds no token for role {}, so this call goes without one: pass --token \
         (or ASSETHUB_TOKEN), or add one with `assethub issue-token --role {} ... --save` \
         (README, \"Calling the hub you started\"); `assethub-demo` writes them for its own hub",
        path.display(),
        names.join(" or "),
        names[0]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn a_missing_credential_names_the_file_the_role_and_the_way_to_get_one() {
        let path = std::path::Path::new("/tmp/creds.toml");
        let note = no_credential_note(&[Role::Admin], path);
        assert_eq!(
            note,
            "note: /tmp/creds.toml holds no token for role admin, so this call goes without one: \
             pass --token (or ASSETHUB_TOKEN), or add one with `assethub issue-token --role admin \
             ... --save` (README, \"Calling the hub you started\"); `assethub-demo` writes them \
             for its own hub"
        );
        let note = no_credential_note(&[Role::CaseSystem, Role::Judge], path);
        assert!(note.contains("for role case_system or judge,"), "{note}");
        assert!(note.contains("--role case_system "), "{note}");
    }

    fn caller_of(argv: &[&str]) -> (Vec<Role>, Option<String>) {
        let mut full = vec!["hubctl"];
        full.extend_from_slice(argv);
        let cli = Cli::try_parse_from(full).expect("parses");
        let (roles, case) = cli.command.caller();
        (roles.to_vec(), case.map(str::to_string))
    }

    #[test]
    fn each_command_calls_as_the_roles_allowed_to_run_it() {
        let case = "(2024)鄂0116执1234号";
        let readers = vec![Role::CaseSystem, Role::Judge, Role::Supervisor];
        let officers = vec![Role::Judge, Role::Supervisor];
        assert_eq!(caller_of(&["sources"]), (vec![Role::Admin], None));
        assert_eq!(caller_of(&["audit", "verify"]), (vec![Role::Auditor], None));
        assert_eq!(
            caller_of(&["query", "--case", case, "--id", "i", "--name", "n"]),
            (readers.clone(), Some(case.to_string()))
        );
        assert_eq!(caller_of(&["order", "o-1"]), (readers.clone(), None));
        assert_eq!(
            caller_of(&["approve", "o-1"]),
            (vec![Role::Supervisor], None)
        );
        assert_eq!(
            caller_of(&["release", "--order", "o", "--case", case, "--ruling", "r"]),
            (officers, Some(case.to_string()))
        );
        // A case system registers cases; the court's officers read them.
        assert_eq!(
            caller_of(&["case", "suspend", case]),
            (vec![Role::CaseSystem], Some(case.to_string()))
        );
        assert_eq!(
            caller_of(&["case", "show", case]),
            (readers, Some(case.to_string()))
        );
    }
}
