//! The assethub gRPC API: types and service stubs generated from `assethub/v1/assethub.proto`,
//! `orders.proto`, `cases.proto`, `audit.proto`, `tokens.proto` and `notices.proto`, the connector protocol
//! `assethub/connector/v1/connector.proto`. Owns no logic: the hub maps these to domain types.

/// `assethub.v1`: the hub's public API.
#[allow(clippy::large_enum_variant)] // generated oneofs (an event carries a whole order)
pub mod v1 {
    tonic::include_proto!("assethub.v1");
}

/// The hub's server stubs of `assethub.v1`: the same services and messages, byte for byte on
/// the wire, except that an `Asset` is carried encoded ([`encoded::EncodedAsset`]), so an
/// answer served from the cache is not cloned and encoded again. Clients use [`v1`].
pub mod served {
    #[allow(clippy::large_enum_variant)]
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/served/assethub.v1.rs"));
    }
}

pub mod encoded;

/// `assethub.connector.v1`: the protocol an out-of-process connector serves and the hub
/// calls (`proto/assethub/connector/v1/connector.proto`).
pub mod connector {
    pub mod v1 {
        tonic::include_proto!("assethub.connector.v1");
    }
}

/// Encoded `FileDescriptorSet` of the hub's own services (`assethub.v1`), for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("assethub_descriptor");
