//! From the administration's answer to domain values: result codes to a `QueryAnswer`, each
//! row to a `Vehicle` keyed by its VIN (checked against the VIN alphabet), status letters to
//! their human text (`A` 正常, `K` 查封, ...), and seals and mortgages to `Encumbrance`s with
//! ISO dates and exact fen amounts.

use super::vin;
#[cfg(test)]
pub(super) use super::vin::check_digit_ok as vin_check_digit_ok;
use super::wire::{code, Cfxx, Dyxx, Envelope, Row};
use crate::connector::QueryAnswer;
pub(super) use crate::domain::civil::iso_date;
use crate::domain::{
    Asset, AssetDetail, AssetRef, Encumbrance, EncumbranceKind, Fen, SourceId, Vehicle,
};
use crate::error::{ConnectorError, ErrorClass};

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
    if vin.len() != 17 || !vin.chars().all(|c| vin::ALPHABET.contains(c)) {
        return Err(ConnectorError::malformed(format!(
            "{:?} is not a VIN",
            row.clsbdh
        )));
    }
    if !vin::check_digit_ok(&vin) {
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
