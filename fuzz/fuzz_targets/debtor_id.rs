//! DebtorId::parse on arbitrary text: never panics; agrees with ResidentId::parse and
//! CreditCode::parse; re-parses to itself from its wire form; Display/Debug never show it.
#![no_main]

use assethub_connectors::domain::{mask_id, CreditCode, DebtorId, ResidentId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let parsed = DebtorId::parse(&input);
    let resident = ResidentId::parse(&input);
    let company = CreditCode::parse(&input);

    // A valid identity number is always read as one.
    if let Ok(r) = &resident {
        assert_eq!(parsed.as_ref(), Ok(&DebtorId::Resident(r.clone())), "{input:?}");
    }
    // Anything else that is a valid credit code (all-digit ones included) is read as one.
    if let (Ok(c), true) = (&company, resident.is_err()) {
        assert_eq!(parsed.as_ref(), Ok(&DebtorId::Company(c.clone())), "{input:?}");
    }

    let Ok(id) = parsed else {
        return;
    };
    match &id {
        DebtorId::Resident(r) => assert_eq!(resident.as_ref(), Ok(r)),
        DebtorId::Company(c) => assert_eq!(company.as_ref(), Ok(c)),
    }
    let s = id.as_str();
    assert_eq!(DebtorId::parse(s).as_ref(), Ok(&id));
    let shown = id.to_string();
    let debug = format!("{id:?}");
    assert_eq!(shown, mask_id(s));
    for text in [&shown, &debug] {
        assert!(!text.contains(s), "{text:?} leaks {s:?}");
        assert!(!text.contains(&s[6..14]), "{text:?} shows the masked middle");
    }
});
