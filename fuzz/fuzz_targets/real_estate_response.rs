//! The registry's XML answers as the connector reads them (`real_estate::fuzzing`): the
//! 权利人查询 answer → `QueryAnswer`, a 查控 answer → `Option<ControlAnswer>`. Never panics (any
//! bytes, not only UTF-8); decoded properties carry a certificate number, canonical ISO dates
//! and non-negative mortgage amounts; seals hold no money; errors are body classes only, and
//! non-UTF-8 / non-XML bodies are `Malformed`.
#![no_main]

#[path = "common/oracle.rs"]
mod oracle;

use assethub_connectors::domain::{AssetDetail, EncumbranceKind, Fen, SourceId};
use assethub_connectors::real_estate::fuzzing::{decode_control, decode_inquiry};
use assethub_connectors::{ErrorClass, QueryAnswer};
use libfuzzer_sys::fuzz_target;
use oracle::{assert_class, assert_control, assert_iso, KEY, REQUEST_ID, SOURCE};

const CLASSES: [ErrorClass; 4] = [
    ErrorClass::Malformed,
    ErrorClass::Rejected,
    ErrorClass::Auth,
    ErrorClass::Server,
];

fuzz_target!(|data: &[u8]| {
    let source = SourceId::new(SOURCE).expect("source id");
    let utf8 = std::str::from_utf8(data).is_ok();

    match decode_inquiry(&source, REQUEST_ID, data) {
        Ok(QueryAnswer::Found(assets)) => {
            assert!(utf8);
            for asset in &assets {
                let AssetDetail::Property(p) = &asset.detail else {
                    panic!("not a property: {asset:?}")
                };
                assert_eq!(asset.asset_ref.source, source);
                assert_eq!(asset.asset_ref.local, p.certificate_number);
                assert!(!p.certificate_number.is_empty());
                assert_eq!(p.certificate_number, p.certificate_number.trim());
                for e in &p.encumbrances {
                    assert_iso(&e.since);
                    if let Some(until) = &e.until {
                        assert_iso(until);
                    }
                    assert!(e.amount >= Fen::ZERO, "{e:?}");
                    if e.kind != EncumbranceKind::Mortgage {
                        assert_eq!(e.amount, Fen::ZERO);
                    }
                }
            }
        }
        Ok(QueryAnswer::NotFound | QueryAnswer::NameMismatch) => assert!(utf8),
        Ok(answer @ QueryAnswer::Pending { .. }) => {
            panic!("the registry answers at once, never with a ticket: {answer:?}")
        }
        Err(error) => {
            assert_class(&error, &CLASSES);
            if !utf8 {
                assert_eq!(error.class, ErrorClass::Malformed);
            }
        }
    }

    match decode_control(REQUEST_ID, KEY, data) {
        Ok(None) => assert!(utf8),
        Ok(Some(answer)) => {
            assert!(utf8);
            assert_control(&answer);
            assert_eq!(answer.held, Fen::ZERO);
            assert_eq!(answer.deducted, Fen::ZERO);
            assert_eq!(answer.hold, answer.hold.trim());
        }
        Err(error) => {
            assert_class(&error, &CLASSES);
            if !utf8 {
                assert_eq!(error.class, ErrorClass::Malformed);
            }
        }
    }
});
