//! An `assethub.v1.Asset` kept encoded: what the hub's answers carry in place of the message
//! (the `served` stubs map `Asset` onto [`EncodedAsset`]). A cached answer's assets are encoded
//! once, when it is first reported; every later answer holding them shares the bytes and
//! writes them out as they are, instead of cloning each asset's strings and encoding them
//! again. The bytes on the wire are the same as the message's: a client decodes them as
//! `v1::Asset`.

use crate::v1;
use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{DecodeContext, WireType};
use prost::{DecodeError, Message};
use std::fmt;

/// The encoding of one [`v1::Asset`]; cloning shares the bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EncodedAsset(Bytes);

impl EncodedAsset {
    /// `asset`, encoded.
    pub fn new(asset: &v1::Asset) -> Self {
        Self(asset.encode_to_vec().into())
    }

    /// The asset back (tests, and the rare reader of a served answer).
    pub fn asset(&self) -> Result<v1::Asset, DecodeError> {
        v1::Asset::decode(self.0.clone())
    }
}

impl fmt::Debug for EncodedAsset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.asset() {
            Ok(asset) => asset.fmt(f),
            Err(_) => write!(f, "EncodedAsset({} bytes, undecodable)", self.0.len()),
        }
    }
}

impl Message for EncodedAsset {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }

    /// Decoding (never on the hub's path: no request carries an asset) goes through the
    /// message itself, so what is kept is always a valid encoding.
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        let mut asset = self.asset()?;
        asset.merge_field(tag, wire_type, buf, ctx)?;
        *self = Self::new(&asset);
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0 = Bytes::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset() -> v1::Asset {
        v1::Asset {
            asset_ref: "icbc-hb:6222020200001234567".into(),
            detail: Some(v1::asset::Detail::Deposit(v1::DepositAccount {
                account_number: "6222****4567".into(),
                currency: "CNY".into(),
                balance_fen: 1_234_567,
                branch: "武汉光谷支行".into(),
                ..Default::default()
            })),
            generic: Some(v1::GenericDetail {
                kind_name: "bank".into(),
                title: "6222****4567".into(),
                value_fen: Some(1_234_567),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_served_answer_decodes_as_the_public_one_byte_for_byte() {
        let assets = vec![asset(), v1::Asset::default(), asset()];
        let public = v1::SourceResult {
            source: "icbc-hb".into(),
            status: v1::SourceStatus::Ok as i32,
            assets: assets.clone(),
            latency_ms: 12,
            ..Default::default()
        };
        let served = crate::served::v1::SourceResult {
            source: "icbc-hb".into(),
            status: v1::SourceStatus::Ok as i32,
            assets: assets.iter().map(EncodedAsset::new).collect(),
            latency_ms: 12,
            ..Default::default()
        };
        assert_eq!(served.encoded_len(), public.encoded_len());
        assert_eq!(served.encode_to_vec(), public.encode_to_vec());
        let decoded = v1::SourceResult::decode(served.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, public);
        // And back: a served message decodes what a public one encodes.
        let again = crate::served::v1::SourceResult::decode(public.encode_to_vec().as_slice());
        assert_eq!(again.unwrap(), served);
    }
}
