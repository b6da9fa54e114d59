//! A control request as the administration reads it: the fields each action needs (case,
//! court of the case, ruling, officer, VIN, debtor, end date, hold), checked before anything
//! else (400 / 4001), the electronic seal it carries (checked next, see `esign`), and the
//! fingerprint a replay must match. Also the date helpers of the control endpoints.

use super::date::Date;
use super::vin;
use super::wire::ControlRequest;
use assethub_connectors::domain::civil::{civil_from_days, days_from_civil};
use assethub_connectors::domain::{CaseNumber, CivilDate, DebtorId};
use assethub_connectors::signature::{InstructionSignature, SignatureError};

/// Longest request number, ruling, officer and name accepted.
pub(super) const MAX_FIELD: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Act {
    Seal,
    Watch,
    Release,
    Renew,
}

impl Act {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Seal => "seal",
            Self::Watch => "watch",
            Self::Release => "release",
            Self::Renew => "renew",
        }
    }
}

/// A validated control request.
pub(super) struct Order {
    pub(super) act: Act,
    pub(super) key: String,
    pub(super) case: CaseNumber,
    pub(super) ruling: String,
    pub(super) officer: String,
    pub(super) vin: String,
    /// The VIN exactly as sent (trimmed, not upper-cased): what the hub signed.
    pub(super) vin_sent: String,
    pub(super) id: DebtorId,
    pub(super) name: String,
    pub(super) until: Option<CivilDate>,
    pub(super) hold: Option<String>,
    /// The court's seal (`qzmy`, `qzsj`, `qzz`); `Err` when present but malformed.
    pub(super) seal: Result<Option<InstructionSignature>, SignatureError>,
}

impl Order {
    /// What a replay with the same request number must repeat exactly.
    pub(super) fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.act.name(),
            self.vin,
            self.case,
            self.ruling,
            self.officer,
            self.id.as_str(),
            self.name,
            self.until.map(|d| d.to_string()).unwrap_or_default(),
            self.hold.as_deref().unwrap_or("")
        )
    }
}

/// Checks the fields `act` needs; on refusal, the message to answer with.
pub(super) fn validate(act: Act, request: ControlRequest) -> Result<Order, String> {
    let present = |field: &Option<String>| {
        field
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let field = |value: &Option<String>, name: &str| -> Result<String, String> {
        let value = present(value).ok_or_else(|| format!("缺少参数 {name}"))?;
        if value.chars().count() > MAX_FIELD {
            return Err(format!("参数 {name} 过长"));
        }
        Ok(value)
    };
    let key = field(&request.qqbh, "qqbh")?;
    let case_text = field(&request.ah, "ah")?;
    let case = CaseNumber::parse(&case_text).map_err(|e| format!("案号 ah 格式错误: {e}"))?;
    let court = field(&request.fydm, "fydm")?;
    if court != case.court() {
        return Err("执行法院代码 fydm 与案号不符".into());
    }
    let ruling = field(&request.cdswh, "cdswh")?;
    let officer = field(&request.cbr, "cbr")?;
    let vin_sent = field(&request.clsbdh, "clsbdh")?;
    let vin = vin_sent.to_ascii_uppercase();
    if vin.len() != 17 || !vin.chars().all(|c| vin::ALPHABET.contains(c)) {
        return Err("车辆识别代号 clsbdh 格式错误".into());
    }
    let id = DebtorId::parse(&field(&request.sfzmhm, "sfzmhm")?)
        .map_err(|_| "身份证明号码 sfzmhm 格式错误".to_string())?;
    let name = field(&request.xm, "xm")?;
    let until = match act {
        Act::Release => None,
        _ => Some(
            CivilDate::parse(&field(&request.jzrq, "jzrq")?)
                .map_err(|_| "截止日期 jzrq 格式错误".to_string())?,
        ),
    };
    let hold = match act {
        Act::Release | Act::Renew => Some(field(&request.kzbh, "kzbh")?),
        _ => None,
    };
    Ok(Order {
        act,
        key,
        case,
        ruling,
        officer,
        vin,
        id,
        name,
        until,
        hold,
        seal: super::esign::seal_of(&request),
        vin_sent,
    })
}

/// The same day `years` years later (29 February → 28 February).
pub(super) fn years_later(date: CivilDate, years: u32) -> CivilDate {
    let (y, m, d) = civil_from_days(date.days());
    let day = if m == 2 && d == 29 { 28 } else { d };
    CivilDate::from_days(days_from_civil(y + years, m, day))
}

pub(super) fn date_of(date: CivilDate) -> Date {
    let (year, month, day) = civil_from_days(date.days());
    Date {
        year: year as u16,
        month: month as u8,
        day: day as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_end_on_the_same_day_years_later() {
        let leap = CivilDate::parse("2024-02-29").expect("date");
        assert_eq!(years_later(leap, 2).to_string(), "2026-02-28");
        let plain = CivilDate::parse("2025-06-30").expect("date");
        assert_eq!(years_later(plain, 2).to_string(), "2027-06-30");
        assert_eq!(date_of(plain).iso(), "2025-06-30");
    }
}
