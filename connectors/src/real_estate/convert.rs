//! From the registry's answer to domain values: result codes to a `QueryAnswer`, each `Bdcxx`
//! to a `RealEstateProperty` with its area in exact hundredths of a square metre (parsed digit
//! by digit, never through floats), ISO dates, and mortgages and seals as `Encumbrance`s with
//! exact fen amounts. Anything the registry sends that cannot be read exactly is reported as
//! malformed rather than guessed at.

use super::wire::{code, Bdcxx, Cfxx, CxResponse, Dyxx};
use crate::connector::QueryAnswer;
pub(super) use crate::domain::civil::iso_date;
use crate::domain::{
    Asset, AssetDetail, AssetRef, Encumbrance, EncumbranceKind, Fen, RealEstateProperty, SourceId,
};
use crate::error::{ConnectorError, ErrorClass};

/// Turns a parsed answer into the connector's answer for request `request_id`.
pub fn answer(
    source: &SourceId,
    request_id: &str,
    response: CxResponse,
) -> Result<QueryAnswer, ConnectorError> {
    let head = response.head;
    if let Some(echoed) = head.qqbh.as_deref().map(str::trim) {
        if !echoed.is_empty() && echoed != request_id {
            return Err(ConnectorError::malformed(
                "registry answered another request (Qqbh differs)",
            ));
        }
    }
    let detail = || format!("registry code {}: {}", head.code.trim(), head.msg.trim());
    match head.code.trim() {
        code::SUCCESS => {}
        code::NO_RECORD => return Ok(QueryAnswer::NotFound),
        code::NAME_MISMATCH => return Ok(QueryAnswer::NameMismatch),
        code::UNAUTHORIZED => return Err(ConnectorError::new(ErrorClass::Auth, detail())),
        code::INTERNAL => return Err(ConnectorError::new(ErrorClass::Server, detail())),
        c if code::BAD_REQUEST.contains(&c) => {
            return Err(ConnectorError::new(ErrorClass::Rejected, detail()))
        }
        _ => return Err(ConnectorError::malformed(format!("unknown {}", detail()))),
    }
    let body = response
        .body
        .ok_or_else(|| ConnectorError::malformed("registry reported success without a Body"))?;
    if body.zs as usize != body.bdcxx.len() {
        return Err(ConnectorError::malformed(format!(
            "registry announced {} properties but listed {}",
            body.zs,
            body.bdcxx.len()
        )));
    }
    body.bdcxx
        .into_iter()
        .map(|p| property(source, p))
        .collect::<Result<Vec<_>, _>>()
        .map(QueryAnswer::Found)
}

fn property(source: &SourceId, p: Bdcxx) -> Result<Asset, ConnectorError> {
    let certificate_number = p.bdcqzh.trim().to_string();
    if certificate_number.is_empty() {
        return Err(ConnectorError::malformed(
            "property without a certificate number",
        ));
    }
    let area_centi_m2 = parse_area(&p.jzmj)
        .map_err(|e| ConnectorError::malformed(format!("area of {certificate_number}: {e}")))?;
    let gyfs = p.gyfs.trim();
    let ownership_share = match p.qlbl.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(share) => format!("{gyfs} {share}"),
        None => gyfs.to_string(),
    };
    let mut encumbrances = Vec::with_capacity(p.dyxx.len() + p.cfxx.len());
    for mortgage in &p.dyxx {
        encumbrances.push(mortgage_of(mortgage).map_err(|e| {
            ConnectorError::malformed(format!("mortgage on {certificate_number}: {e}"))
        })?);
    }
    for seal in &p.cfxx {
        encumbrances.push(seal_of(seal).map_err(|e| {
            ConnectorError::malformed(format!("seal on {certificate_number}: {e}"))
        })?);
    }
    Ok(Asset {
        asset_ref: AssetRef::new(source, certificate_number.clone()),
        detail: AssetDetail::Property(RealEstateProperty {
            certificate_number,
            address: p.zl.trim().to_string(),
            area_centi_m2,
            ownership_share,
            usage: p.yt.trim().to_string(),
            encumbrances,
        }),
    })
}

fn mortgage_of(m: &Dyxx) -> Result<Encumbrance, String> {
    let amount = match m
        .bdbzqse
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(yuan) => Fen::from_yuan_str(yuan).map_err(|e| e.to_string())?,
        None => Fen::ZERO,
    };
    if amount < Fen::ZERO {
        return Err(format!("negative amount {amount}"));
    }
    Ok(Encumbrance {
        kind: EncumbranceKind::Mortgage,
        holder: m.dyqr.trim().to_string(),
        since: iso_date(&m.zwlxqssj)?,
        until: optional_date(m.zwlxjssj.as_deref())?,
        amount,
    })
}

fn seal_of(s: &Cfxx) -> Result<Encumbrance, String> {
    let kind = match s.cflx.trim() {
        "查封" | "预查封" | "续封" => EncumbranceKind::Seal,
        "轮候查封" | "轮候预查封" => EncumbranceKind::QueuedSeal,
        other => return Err(format!("unknown seal type {other:?}")),
    };
    let (court, case) = (s.cfjg.trim(), s.cfwh.trim());
    let holder = if case.is_empty() {
        court.to_string()
    } else {
        format!("{court} {case}")
    };
    Ok(Encumbrance {
        kind,
        holder,
        since: iso_date(&s.cfqssj)?,
        until: optional_date(s.cfjssj.as_deref())?,
        amount: Fen::ZERO,
    })
}

/// Parses a building area in square metres ("89.50", "120", "89.5") into exact hundredths.
/// Digits past the second decimal place must be zero.
pub fn parse_area(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not an area in square metres");
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if s.contains('.') && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    if fraction.len() > 2 && fraction.bytes().skip(2).any(|b| b != b'0') {
        return Err(format!("{s:?} is finer than 0.01 m²"));
    }
    let digits = whole
        .bytes()
        .chain(fraction.bytes().chain(std::iter::repeat(b'0')).take(2));
    let mut centi: u64 = 0;
    for digit in digits {
        centi = centi
            .checked_mul(10)
            .and_then(|c| c.checked_add(u64::from(digit - b'0')))
            .ok_or_else(|| format!("{s:?} is too large"))?;
    }
    Ok(centi)
}

fn optional_date(text: Option<&str>) -> Result<Option<String>, String> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        Some(date) => iso_date(date).map(Some),
        None => Ok(None),
    }
}
