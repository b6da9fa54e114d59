//! AssetRef::parse on arbitrary text: never panics; an accepted reference prints back exactly
//! as written, re-parses to itself, and its source id obeys the SourceId rules.
#![no_main]

use assethub_connectors::domain::{AssetRef, SourceId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(asset) = AssetRef::parse(&input) else {
        return;
    };
    let source = asset.source.as_str();
    assert!(!source.is_empty() && source.len() <= 64, "{source:?}");
    assert!(
        source.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{source:?}"
    );
    assert!(!asset.local.is_empty());
    let text = asset.to_string();
    assert_eq!(text, input);
    assert_eq!(AssetRef::parse(&text).as_ref(), Ok(&asset));
    assert_eq!(SourceId::new(source).as_ref(), Ok(&asset.source));
    assert_eq!(AssetRef::new(&asset.source, asset.local.clone()), asset);
});
