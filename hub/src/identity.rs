//! Who calls and what they call: the authenticated [`Caller`], its [`Role`], the hub's
//! [`Method`]s, and how officers' names are normalised. A leaf module: it imports nothing of the
//! hub, so authentication, authorization, audit, cases and orders can all depend on it.
//!
//! Identities are compared by issuer and subject ([`Caller::identity`]), never by the display
//! name a token carries: two tokens of one subject are one person whatever their names say, and
//! two people who happen to share a name are two.

use unicode_normalization::UnicodeNormalization;

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's issuer (a key the hub trusts).
    pub iss: String,
    /// The caller's id at that issuer: a case system's client id or an officer's user id.
    pub sub: String,
    /// The officer's name, normalised ([`normalize_name`]); empty for systems.
    pub officer: String,
    pub court: String,
    pub role: Role,
}

impl Caller {
    /// The caller's identity, `<issuer>/<subject>`: what four-eyes and the audit compare.
    pub fn identity(&self) -> String {
        format!("{}/{}", self.iss, self.sub)
    }

    /// How the audit names the caller: the identity first (it must survive any cut), then the
    /// officer's name.
    pub fn actor(&self) -> String {
        if self.officer.is_empty() {
            self.identity()
        } else {
            format!("{} {}", self.identity(), self.officer)
        }
    }
}

/// A person's or officer's name as the hub compares and records it: Unicode NFC, surrounding
/// whitespace removed, inner runs of whitespace made one space. `李庭长` and `李庭长 ` are one
/// name; a decomposed and a precomposed spelling of the same letters are one name.
pub fn normalize_name(name: &str) -> String {
    let nfc: String = name.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub use assethub_client::Role;

/// Every RPC of the hub's own services. A gRPC path that is not one of these is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Query,
    StreamQuery,
    BatchQuery,
    ListSources,
    ListInquiries,
    FreezeFunds,
    PlaceHold,
    ActOnHold,
    DecideApproval,
    RecordAnswer,
    GetOrder,
    ListOrders,
    WatchEvents,
    VerifyAudit,
    ListAudit,
    CheckpointAudit,
    RegisterCase,
    UpdateCase,
    GetCase,
    ListCases,
    CourtFigures,
    RevokeToken,
    SubmitSweep,
    GetSweep,
    ListSweepResults,
    CancelSweep,
    GetNotice,
}

/// The package of the hub's own services.
pub const PACKAGE: &str = "assethub.v1";

impl Method {
    pub const ALL: [Method; 27] = [
        Self::Query,
        Self::StreamQuery,
        Self::BatchQuery,
        Self::ListSources,
        Self::ListInquiries,
        Self::FreezeFunds,
        Self::PlaceHold,
        Self::ActOnHold,
        Self::DecideApproval,
        Self::RecordAnswer,
        Self::GetOrder,
        Self::ListOrders,
        Self::WatchEvents,
        Self::VerifyAudit,
        Self::ListAudit,
        Self::CheckpointAudit,
        Self::RegisterCase,
        Self::UpdateCase,
        Self::GetCase,
        Self::ListCases,
        Self::CourtFigures,
        Self::RevokeToken,
        Self::SubmitSweep,
        Self::GetSweep,
        Self::ListSweepResults,
        Self::CancelSweep,
        Self::GetNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::StreamQuery => "StreamQuery",
            Self::BatchQuery => "BatchQuery",
            Self::ListSources => "ListSources",
            Self::ListInquiries => "ListInquiries",
            Self::FreezeFunds => "FreezeFunds",
            Self::PlaceHold => "PlaceHold",
            Self::ActOnHold => "ActOnHold",
            Self::DecideApproval => "DecideApproval",
            Self::RecordAnswer => "RecordAnswer",
            Self::GetOrder => "GetOrder",
            Self::ListOrders => "ListOrders",
            Self::WatchEvents => "WatchEvents",
            Self::VerifyAudit => "VerifyAudit",
            Self::ListAudit => "ListAudit",
            Self::CheckpointAudit => "CheckpointAudit",
            Self::RegisterCase => "RegisterCase",
            Self::UpdateCase => "UpdateCase",
            Self::GetCase => "GetCase",
            Self::ListCases => "ListCases",
            Self::CourtFigures => "CourtFigures",
            Self::RevokeToken => "RevokeToken",
            Self::SubmitSweep => "SubmitSweep",
            Self::GetSweep => "GetSweep",
            Self::ListSweepResults => "ListSweepResults",
            Self::CancelSweep => "CancelSweep",
            Self::GetNotice => "GetNotice",
        }
    }

    /// The service (without the package) that serves the method.
    pub fn service(self) -> &'static str {
        match self {
            Self::Query
            | Self::StreamQuery
            | Self::BatchQuery
            | Self::ListSources
            | Self::ListInquiries => "AssetHub",
            Self::FreezeFunds
            | Self::PlaceHold
            | Self::ActOnHold
            | Self::DecideApproval
            | Self::RecordAnswer
            | Self::GetOrder
            | Self::ListOrders
            | Self::WatchEvents => "Orders",
            Self::VerifyAudit | Self::ListAudit | Self::CheckpointAudit => "Audit",
            Self::RegisterCase
            | Self::UpdateCase
            | Self::GetCase
            | Self::ListCases
            | Self::CourtFigures => "Cases",
            Self::RevokeToken => "Tokens",
            Self::SubmitSweep | Self::GetSweep | Self::ListSweepResults | Self::CancelSweep => {
                "Sweeps"
            }
            Self::GetNotice => "Notices",
        }
    }

    /// The gRPC path, e.g. `/assethub.v1.Orders/PlaceHold`.
    pub fn path(self) -> String {
        format!("/{PACKAGE}.{}/{}", self.service(), self.as_str())
    }

    /// The method a gRPC path names, if it is one of the hub's.
    pub fn from_path(path: &str) -> Option<Self> {
        let rest = path
            .strip_prefix('/')?
            .strip_prefix(PACKAGE)?
            .strip_prefix('.')?;
        let (service, name) = rest.split_once('/')?;
        Self::ALL
            .into_iter()
            .find(|m| m.service() == service && m.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_for_comparison() {
        assert_eq!(normalize_name("李庭长 "), "李庭长");
        assert_eq!(normalize_name("\u{3000}李庭长\t"), "李庭长");
        assert_eq!(normalize_name(" Zhang   Wei "), "Zhang Wei");
        // "é" decomposed (e + combining acute) and precomposed are one name.
        assert_eq!(normalize_name("Jose\u{301}"), normalize_name("Jos\u{e9}"));
    }

    #[test]
    fn paths_map_to_methods_and_back() {
        for method in Method::ALL {
            assert_eq!(Method::from_path(&method.path()), Some(method));
        }
        assert_eq!(
            Method::from_path("/assethub.v1.Orders/PlaceHold"),
            Some(Method::PlaceHold)
        );
        // The right name under the wrong service, or an unknown name, is no method.
        assert_eq!(Method::from_path("/assethub.v1.AssetHub/PlaceHold"), None);
        assert_eq!(Method::from_path("/assethub.v1.Orders/DeleteOrder"), None);
        assert_eq!(Method::from_path("/assethub.v1x.Orders/PlaceHold"), None);
        assert_eq!(Method::from_path("/grpc.health.v1.Health/Check"), None);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
