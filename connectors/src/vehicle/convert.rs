//! From the administration's answer to domain values: result codes to a `QueryAnswer`, each
//! row to a `Vehicle` keyed by its VIN (checked against the VIN alphabet), status letters to
//! their human text (`A` 正常, `K` 查封, ...), and seals and mortgages to `Encumbrance`s with
//! ISO dates and exact fen amounts.

use super::wire::{code, Cfxx, Dyxx, Envelope, Row};
use crate::connector::QueryAnswer;
use crate::domain::{
    Asset, AssetDetail, AssetRef, Encumbrance, EncumbranceKind, Fen, SourceId, Vehicle,
};
use crate::error::{ConnectorError, ErrorClass};

/// Characters allowed in a VIN (ISO 3779: no I, O, Q).
const VIN_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
const VIN_WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// Turns a decoded answer into the connector's answer.
pub fn answer(source: &SourceId, envelope: Envelope) -> Result<QueryAnswer, ConnectorError> {
    let detail = || {
        format!(
            "administration code {}: {}",
            envelope.code,
            envelope.message.as_deref().unwrap_or("").trim()
        )
    };
    match envelope.code {
        code::SUCCESS => {}
        code::NO_RECORD => return Ok(QueryAnswer::NotFound),
        code::NAME_MISMATCH => return Ok(QueryAnswer::NameMismatch),
        code::BAD_REQUEST => return Err(ConnectorError::new(ErrorClass::Rejected, detail())),
        code::INTERNAL => return Err(ConnectorError::new(ErrorClass::Server, detail())),
        c if code::AUTH.contains(&c) => {
            return Err(ConnectorError::new(ErrorClass::Auth, detail()))
        }
        _ => return Err(ConnectorError::malformed(format!("unknown {}", detail()))),
    }
    let data = envelope
        .data
        .ok_or_else(|| ConnectorError::malformed("administration reported success without data"))?;
    if data.total != data.rows.len() as u64 {
        return Err(ConnectorError::malformed(format!(
            "administration announced {} vehicles but listed {}",
            data.total,
            data.rows.len()
        )));
    }
    data.rows
        .into_iter()
        .map(|row| vehicle(source, row))
        .collect::<Result<Vec<_>, _>>()
        .map(QueryAnswer::Found)
}

fn vehicle(source: &SourceId, row: Row) -> Result<Asset, ConnectorError> {
    let vin = row.clsbdh.trim().to_ascii_uppercase();
    if vin.len() != 17 || !vin.chars().all(|c| VIN_ALPHABET.contains(c)) {
        return Err(ConnectorError::malformed(format!(
            "{:?} is not a VIN",
            row.clsbdh
        )));
    }
    if !vin_check_digit_ok(&vin) {
        // Some older imports carry VINs without a North-American check digit; report the
        // vehicle as registered, but leave a trace for the operators.
        tracing::warn!(source = %source, vin = %vin, "VIN check digit does not match");
    }
    let plate = row.hphm.trim().to_string();
    if plate.is_empty() {
        return Err(ConnectorError::malformed(format!(
            "vehicle {vin} has no plate"
        )));
    }
    let registration_status = status_text(row.zt.trim())
        .map_err(|e| ConnectorError::malformed(format!("status of {vin}: {e}")))?;
    let mut encumbrances = Vec::with_capacity(row.cfxx.len() + row.dyxx.len());
    for seal in &row.cfxx {
        encumbrances.push(
            seal_of(seal).map_err(|e| ConnectorError::malformed(format!("seal on {vin}: {e}")))?,
        );
    }
    for mortgage in &row.dyxx {
        encumbrances.push(
            mortgage_of(mortgage)
                .map_err(|e| ConnectorError::malformed(format!("mortgage on {vin}: {e}")))?,
        );
    }
    let text = |field: Option<String>| field.map(|s| s.trim().to_string()).unwrap_or_default();
    Ok(Asset {
        asset_ref: AssetRef::new(source, vin.clone()),
        detail: AssetDetail::Vehicle(Vehicle {
            plate,
            vin,
            brand: text(row.clpp1),
            model: text(row.clxh),
            registration_status,
            encumbrances,
        }),
    })
}

/// The human text of a `zt` status string, one letter per status (`GK` → `违法未处理、查封`).
pub fn status_text(zt: &str) -> Result<String, String> {
    if zt.is_empty() {
        return Err("empty status".into());
    }
    let texts = zt
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'A' => Ok("正常"),
            'B' => Ok("转出"),
            'C' => Ok("被盗抢"),
            'D' => Ok("停驶"),
            'E' => Ok("注销"),
            'G' => Ok("违法未处理"),
            'H' => Ok("海关监管"),
            'I' => Ok("事故未处理"),
            'J' => Ok("嫌疑车"),
            'K' => Ok("查封"),
            'L' => Ok("暂扣"),
            'M' => Ok("强制注销"),
            'N' => Ok("事故逃逸"),
            'O' => Ok("锁定"),
            'P' => Ok("达到报废标准公告牌证作废"),
            'Q' => Ok("逾期未检验"),
            other => Err(format!("unknown status code {other:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(texts.join("、"))
}

fn seal_of(s: &Cfxx) -> Result<Encumbrance, String> {
    let kind = match s.cflx.trim() {
        "1" => EncumbranceKind::Seal,
        "2" => EncumbranceKind::QueuedSeal,
        other => return Err(format!("unknown seal type {other:?}")),
    };
    let court = s.cfjg.trim();
    let holder = match s.cfwh.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(case) => format!("{court} {case}"),
        None => court.to_string(),
    };
    Ok(Encumbrance {
        kind,
        holder,
        since: iso_date(&s.cfrq)?,
        until: match s.jfrq.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(date) => Some(iso_date(date)?),
            None => None,
        },
        amount: Fen::ZERO,
    })
}

fn mortgage_of(m: &Dyxx) -> Result<Encumbrance, String> {
    let amount = match m.dyje.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(yuan) => Fen::from_yuan_str(yuan).map_err(|e| e.to_string())?,
        None => Fen::ZERO,
    };
    if amount < Fen::ZERO {
        return Err(format!("negative amount {amount}"));
    }
    Ok(Encumbrance {
        kind: EncumbranceKind::Mortgage,
        holder: m.dyqr.trim().to_string(),
        since: iso_date(&m.dyrq)?,
        until: None,
        amount,
    })
}

/// Whether position 9 of a 17-character VIN holds its North-American check digit.
pub fn vin_check_digit_ok(vin: &str) -> bool {
    let value = |c: char| match c {
        '0'..='9' => c.to_digit(10),
        'A' | 'J' => Some(1),
        'B' | 'K' | 'S' => Some(2),
        'C' | 'L' | 'T' => Some(3),
        'D' | 'M' | 'U' => Some(4),
        'E' | 'N' | 'V' => Some(5),
        'F' | 'W' => Some(6),
        'G' | 'P' | 'X' => Some(7),
        'H' | 'Y' => Some(8),
        'R' | 'Z' => Some(9),
        _ => None,
    };
    let chars: Vec<char> = vin.chars().collect();
    if chars.len() != 17 {
        return false;
    }
    let mut sum = 0;
    for (c, weight) in chars.iter().zip(VIN_WEIGHTS) {
        match value(*c) {
            Some(v) => sum += v * weight,
            None => return false,
        }
    }
    let expected = match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    chars[8] == expected
}

/// An administration date (`yyyy-MM-dd`, or compact `yyyyMMdd`) as an ISO date.
pub fn iso_date(text: &str) -> Result<String, String> {
    let s = text.trim();
    let digits: String = match s.len() {
        8 => s.to_string(),
        10 if s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' => s.replace('-', ""),
        _ => return Err(format!("{s:?} is not a date")),
    };
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a date"));
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(4..6), number(6..8));
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if year < 1900 || !(1..=days).contains(&day) {
        return Err(format!("{s:?} is not a real date"));
    }
    Ok(format!("{year:04}-{month:02}-{day:02}"))
}
