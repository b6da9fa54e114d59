//! A remote connector's answers, checked and converted into domain types. Nothing it sends is
//! trusted: local ids are bounded and clean (they become asset references and travel back in
//! instructions), statuses must be known, dates must parse, money and quantities must make
//! sense (no negative fen, no more units frozen than held), texts are bounded. A violation is
//! a [`ErrorClass::Malformed`](crate::ErrorClass::Malformed) error naming what was wrong,
//! never the debtor.

use crate::connector::{QueryAnswer, ReadyPage};
use crate::control::{ControlAnswer, HoldStatus, Sighting, SightingsPage};
use crate::domain::{
    Asset, AssetDetail, AssetKind, AssetRef, Attribute, AttributeValue, CivilDate, Debtor, Fen,
    GenericDetail, SourceId,
};
use crate::error::ConnectorError;
use assethub_proto::connector::v1 as wire;
use std::collections::HashSet;
use std::time::Duration;

use super::status::clean_text;

/// Longest local id, ticket, hold reference or cursor.
pub const MAX_REF_CHARS: usize = 128;
/// Most assets in one answer.
pub const MAX_ASSETS: usize = 1_000;
/// Most attributes of one asset.
pub const MAX_ATTRIBUTES: usize = 64;
/// Longest title, label or text value.
const MAX_TEXT_CHARS: usize = 500;
/// Most notifications in one page.
const MAX_NOTIFICATIONS: usize = 10_000;

fn malformed(what: String) -> ConnectorError {
    ConnectorError::malformed(format!("remote connector answer: {what}"))
}

/// Whether `text` may be a local id, ticket or hold reference: 1-128 printable ASCII
/// characters without spaces, '/', '\' or "..".
pub fn is_clean_ref(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_REF_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'\\')
        && !text.contains("..")
}

fn clean_ref(what: &str, text: &str) -> Result<String, ConnectorError> {
    if is_clean_ref(text) {
        Ok(text.to_string())
    } else {
        Err(malformed(format!(
            "{what} must be 1-{MAX_REF_CHARS} printable ASCII characters without spaces, '/', '\\' or \"..\""
        )))
    }
}

fn bounded_text(what: &str, text: &str, max: usize) -> Result<String, ConnectorError> {
    if text.chars().count() > max {
        return Err(malformed(format!("{what} is longer than {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(malformed(format!("{what} holds control characters")));
    }
    Ok(text.to_string())
}

fn fen(what: &str, value: i64) -> Result<Fen, ConnectorError> {
    if value < 0 {
        return Err(malformed(format!("{what} is negative")));
    }
    Ok(Fen(value))
}

/// A `YYYY-MM-DD` date that exists.
fn date(what: &str, text: &str) -> Result<CivilDate, ConnectorError> {
    let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    match shaped.then(|| CivilDate::parse(text)) {
        Some(Ok(date)) => Ok(date),
        _ => Err(malformed(format!("{what} is not a date YYYY-MM-DD"))),
    }
}

/// A query or query-status answer of source `source` about assets of `kind`.
pub fn query_answer(
    source: &SourceId,
    kind: AssetKind,
    response: wire::QueryResponse,
) -> Result<QueryAnswer, ConnectorError> {
    use wire::query_response::Answer;
    match response.answer {
        Some(Answer::Found(found)) => {
            if found.assets.len() > MAX_ASSETS {
                return Err(malformed(format!("more than {MAX_ASSETS} assets")));
            }
            let mut seen = HashSet::new();
            let mut assets = Vec::with_capacity(found.assets.len());
            for asset in found.assets {
                let asset = self::asset(source, kind, asset)?;
                if !seen.insert(asset.asset_ref.local.clone()) {
                    return Err(malformed("the same local_id twice".into()));
                }
                assets.push(asset);
            }
            Ok(QueryAnswer::Found(assets))
        }
        Some(Answer::NotFound(_)) => Ok(QueryAnswer::NotFound),
        Some(Answer::NameMismatch(_)) => Ok(QueryAnswer::NameMismatch),
        Some(Answer::Pending(pending)) => Ok(QueryAnswer::Pending {
            ticket: clean_ref("ticket", &pending.ticket)?,
            expected_in: match pending.expected_in_seconds {
                0 => None,
                secs => Some(Duration::from_secs(u64::from(secs))),
            },
        }),
        None => Err(malformed(
            "no answer (found, not_found, name_mismatch or pending)".into(),
        )),
    }
}

fn asset(source: &SourceId, kind: AssetKind, asset: wire::Asset) -> Result<Asset, ConnectorError> {
    let local = clean_ref("local_id", &asset.local_id)?;
    let title = bounded_text("an asset's title", &asset.title, MAX_TEXT_CHARS)?;
    if title.trim().is_empty() {
        return Err(malformed("an asset without a title".into()));
    }
    if asset.attributes.len() > MAX_ATTRIBUTES {
        return Err(malformed(format!(
            "an asset with more than {MAX_ATTRIBUTES} attributes"
        )));
    }
    let attributes = asset
        .attributes
        .into_iter()
        .map(attribute)
        .collect::<Result<Vec<_>, _>>()?;
    if let (Some(held), Some(frozen)) = (asset.quantity, asset.frozen_quantity) {
        if frozen > held {
            return Err(malformed("frozen_quantity is more than quantity".into()));
        }
    }
    Ok(Asset {
        asset_ref: AssetRef::new(source, local),
        detail: AssetDetail::Other(GenericDetail {
            kind,
            title,
            attributes,
            value: asset.value_fen.map(|v| fen("value_fen", v)).transpose()?,
            quantity: asset.quantity,
            frozen_quantity: asset.frozen_quantity,
        }),
    })
}

fn attribute(attribute: wire::Attribute) -> Result<Attribute, ConnectorError> {
    use wire::attribute::Value;
    let key_ok = !attribute.key.is_empty()
        && attribute.key.len() <= 64
        && attribute
            .key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !key_ok {
        return Err(malformed(
            "an attribute key must be 1-64 characters of a-z, 0-9 and '_'".into(),
        ));
    }
    let value = match attribute.value {
        Some(Value::Text(text)) => {
            AttributeValue::Text(bounded_text("an attribute's text", &text, MAX_TEXT_CHARS)?)
        }
        Some(Value::Integer(n)) => AttributeValue::Integer(n),
        Some(Value::Centi(n)) => AttributeValue::Centi(n),
        Some(Value::MoneyFen(n)) => AttributeValue::Money(fen("a money attribute", n)?),
        Some(Value::Date(text)) => {
            AttributeValue::Date(date("a date attribute", &text)?.to_string())
        }
        Some(Value::Flag(flag)) => AttributeValue::Flag(flag),
        None => {
            return Err(malformed(format!(
                "attribute {} has no value",
                attribute.key
            )))
        }
    };
    Ok(Attribute {
        label: bounded_text("an attribute's label", &attribute.label, 100)?,
        unit: bounded_text("an attribute's unit", &attribute.unit, 16)?,
        key: attribute.key,
        value,
    })
}

/// A control answer (or a status's answer); `debtor` is masked out of its message.
pub fn control_answer(
    answer: wire::ControlAnswer,
    debtor: Option<&Debtor>,
) -> Result<ControlAnswer, ConnectorError> {
    use wire::HoldStatus as W;
    let status = match W::try_from(answer.status) {
        Ok(W::Pending) => HoldStatus::Pending,
        Ok(W::Effective) => HoldStatus::Effective,
        Ok(W::Queued) if answer.queue_position >= 1 => HoldStatus::Queued {
            position: answer.queue_position,
        },
        Ok(W::Queued) => return Err(malformed("queued at position 0 (1 is next)".into())),
        Ok(W::Rejected) => HoldStatus::Rejected,
        Ok(W::Released) => HoldStatus::Released,
        Ok(W::Deducted) => HoldStatus::Deducted,
        Ok(W::Expired) => HoldStatus::Expired,
        Ok(W::Unspecified) | Err(_) => {
            return Err(malformed(format!("unknown hold status {}", answer.status)))
        }
    };
    // A refusal may come before the agency made any hold.
    let hold = if answer.hold.is_empty() && status == HoldStatus::Rejected {
        String::new()
    } else {
        clean_ref("hold", &answer.hold)?
    };
    Ok(ControlAnswer {
        hold,
        status,
        held: fen("held_fen", answer.held_fen)?,
        deducted: fen("deducted_fen", answer.deducted_fen)?,
        held_quantity: answer.held_quantity,
        until: match answer.until.as_str() {
            "" => None,
            text => Some(date("until", text)?),
        },
        message: clean_text(&answer.message, debtor),
    })
}

/// A control-status answer: `None` when the agency never received the key.
pub fn control_status(
    response: wire::ControlStatusResponse,
    debtor: Option<&Debtor>,
) -> Result<Option<ControlAnswer>, ConnectorError> {
    match (response.known, response.answer) {
        (false, _) => Ok(None),
        (true, Some(answer)) => control_answer(answer, debtor).map(Some),
        (true, None) => Err(malformed("a known key without its answer".into())),
    }
}

/// The tickets of the `query_ready` notifications in a page, and its cursor; other
/// notifications are skipped.
pub fn ready_tickets(page: wire::NotificationsPage) -> Result<ReadyPage, ConnectorError> {
    use wire::notification::Event;
    check_page(&page)?;
    let mut tickets = Vec::new();
    for notification in page.notifications {
        if let Some(Event::QueryReady(ready)) = notification.event {
            tickets.push(clean_ref("a ready ticket", &ready.ticket)?);
        }
    }
    Ok(ReadyPage {
        tickets,
        cursor: page.cursor,
    })
}

fn check_page(page: &wire::NotificationsPage) -> Result<(), ConnectorError> {
    if page.notifications.len() > MAX_NOTIFICATIONS {
        return Err(malformed(format!(
            "more than {MAX_NOTIFICATIONS} notifications in a page"
        )));
    }
    if page.cursor.len() > 256 || page.cursor.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(malformed(
            "cursor must be at most 256 printable ASCII characters".into(),
        ));
    }
    Ok(())
}

/// The sightings in a notifications page, and its cursor. Other notifications (inquiries
/// answered, holds changed) are not sightings and are skipped here; notifications of a
/// kind this hub does not know (a later minor version) too.
pub fn sightings(page: wire::NotificationsPage) -> Result<SightingsPage, ConnectorError> {
    use wire::notification::Event;
    check_page(&page)?;
    let mut sightings = Vec::new();
    for notification in page.notifications {
        if let Some(Event::Sighting(s)) = notification.event {
            sightings.push(Sighting {
                hold: clean_ref("a sighting's hold", &s.hold)?,
                plate: bounded_text("a sighting's plate", &s.plate, 16)?,
                place: bounded_text("a sighting's place", &s.place, 200)?,
                seen_at: bounded_text("a sighting's time", &s.seen_at, 40)?,
            });
        }
    }
    Ok(SightingsPage {
        sightings,
        cursor: page.cursor,
    })
}
