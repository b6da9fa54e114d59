//! The control endpoints (freeze, unfreeze, deduct, renew, status by `bizNo`): authentication
//! and validation as for the inquiry, then the bank's own checks (the customer, the account is
//! theirs, the freeze is on that account and the court's own, dates) before the shared hold
//! register decides. Freezes are asynchronous: recorded as processing and decided by a task
//! `freeze_decision_ms` later (refused when the account is closed).

use super::api::{reply, ret, Gateway};
use super::control_wire::{Action, ControlData, Instruction, StatusQuery};
use super::data::AccountStatus;
use super::wire::Envelope;
use crate::holds::{Answer, HoldKind, Placement, Refusal};
use assethub_connectors::domain::{mask_id, CivilDate, Fen};
use assethub_connectors::signature::SignatureError;
use assethub_connectors::HoldStatus;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use std::sync::Arc;

/// Longest freeze term, and longest extension of one renewal, in days.
const MAX_TERM_DAYS: i64 = 366;
/// Why a closed account's freeze is refused.
const CLOSED: &str = "账户已销户，不能冻结";

/// `POST /gateway/v2/judicial/freeze`.
pub(super) async fn freeze(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    gateway.act(Action::Freeze, &method, &uri, &headers, &body)
}

/// `POST /gateway/v2/judicial/unfreeze`.
pub(super) async fn unfreeze(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    gateway.act(Action::Unfreeze, &method, &uri, &headers, &body)
}

/// `POST /gateway/v2/judicial/deduct`.
pub(super) async fn deduct(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    gateway.act(Action::Deduct, &method, &uri, &headers, &body)
}

/// `POST /gateway/v2/judicial/renew`.
pub(super) async fn renew(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    gateway.act(Action::Renew, &method, &uri, &headers, &body)
}

/// `POST /gateway/v2/judicial/control/query`: the current answer to an earlier `bizNo`.
pub(super) async fn status(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_slot, query) =
        match gateway.admit_request(&method, &uri, &headers, &body, StatusQuery::parse) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    let req_id = Some(query.req_id.clone());
    let serial_no = Some(gateway.serial_no());
    let envelope = match gateway.book.by_key(&query.biz_no) {
        Some(answer) => success(&query.biz_no, &answer, req_id, serial_no),
        None => Envelope::new(ret::UNKNOWN_BIZ_NO, "无此业务流水号", req_id, serial_no),
    };
    tracing::debug!(agency = %gateway.name, req_id = %query.req_id, ret_code = envelope.ret_code, "bank control status answered");
    reply(StatusCode::OK, envelope)
}

fn success(
    biz_no: &str,
    answer: &Answer,
    req_id: Option<String>,
    serial_no: Option<String>,
) -> Envelope<ControlData> {
    let message = if answer.status == HoldStatus::Pending {
        "已受理，处理中"
    } else {
        "成功"
    };
    Envelope {
        data: Some(ControlData::new(biz_no, answer)),
        ..Envelope::new(ret::OK, message, req_id, serial_no)
    }
}

fn refusal_code(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::KeyReused => ret::BIZ_NO_REUSED,
        Refusal::NoSuchHold => ret::NO_SUCH_FREEZE,
        Refusal::WrongState(_) => ret::WRONG_STATE,
        Refusal::BadAmount(_) => ret::BAD_AMOUNT,
    }
}

/// A business refusal: its code and message.
type Refused = (&'static str, String);

impl Gateway {
    fn act(
        &self,
        action: Action,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let (_slot, instruction) = match self.admit_request(method, uri, headers, body, |b| {
            Instruction::parse(action, b)
        }) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
        let req_id = Some(instruction.req_id.clone());
        let serial_no = Some(self.serial_no());
        if let Err((code, message)) = self.check_seal(&instruction) {
            tracing::debug!(
                agency = %self.name,
                action = action.name(),
                req_id = %instruction.req_id,
                ret_code = code,
                "bank control refused: seal"
            );
            return reply(
                StatusCode::OK,
                Envelope::<()>::new(code, &message, req_id, serial_no),
            );
        }
        let envelope = match self.control(&instruction) {
            Ok(answer) => success(&instruction.biz_no, &answer, req_id, serial_no),
            Err((code, message)) => Envelope::new(code, &message, req_id, serial_no),
        };
        tracing::debug!(
            agency = %self.name,
            action = action.name(),
            req_id = %instruction.req_id,
            account = %mask_id(&instruction.acct_no),
            ret_code = envelope.ret_code,
            "bank control answered"
        );
        reply(StatusCode::OK, envelope)
    }

    /// The seal must verify over the instruction as received, by a trusted key, made within
    /// the window around the bank's (system) clock.
    fn check_seal(&self, ins: &Instruction) -> Result<(), Refused> {
        let now = crate::instruction_keys::now_secs();
        self.trusted
            .verify(&ins.signed_fields(), ins.seal.as_ref(), now)
            .map_err(|error| {
                let code = match error {
                    SignatureError::Missing => ret::UNSEALED,
                    SignatureError::Stale(_) => ret::STALE_SEAL,
                    SignatureError::UnknownKey(_)
                    | SignatureError::Malformed
                    | SignatureError::Mismatch
                    | SignatureError::BadKey(_) => ret::BAD_SEAL,
                };
                let message = match error {
                    SignatureError::Missing => "协助执行指令未加盖电子签章".to_string(),
                    SignatureError::UnknownKey(_) => "电子签章无效: 签章密钥未登记".to_string(),
                    SignatureError::Stale(skew) => {
                        format!("电子签章已过期或系重放: 签章时间与本行时间相差{skew}秒")
                    }
                    _ => "电子签章无效: 签章与指令内容不符".to_string(),
                };
                (code, message)
            })
    }

    /// The bank's checks, then the register's decision.
    fn control(&self, ins: &Instruction) -> Result<Answer, Refused> {
        let record = self
            .customer(&ins.id_no, &ins.cust_name)
            .map_err(|(code, message)| (code, message.to_string()))?;
        let holdings = self.bank.holdings(&self.name, &self.population, record);
        let account = holdings
            .accounts
            .iter()
            .find(|a| a.acct_no == ins.acct_no)
            .ok_or((
                ret::NOT_THE_CUSTOMERS,
                "账户不存在或不属于该客户".to_string(),
            ))?;
        let today = self.knobs.today();
        let fingerprint = ins.fingerprint();
        let refused = |r: Refusal| (refusal_code(&r), r.to_string());
        if ins.action == Action::Freeze {
            let until = ins.end_date.unwrap_or(today);
            check_end(until, today, today)?;
            let placement = Placement {
                kind: HoldKind::Freeze,
                asset: account.acct_no.clone(),
                court: ins.court.clone(),
                case: ins.case_no.clone(),
                ruling: ins.ruling.clone(),
                amount: ins.amount,
                until,
                balance: Fen(account.balance),
                frozen_elsewhere: Fen(account.frozen),
                seals_elsewhere: 0,
            };
            let answer = self
                .book
                .place_pending(&ins.biz_no, &fingerprint, placement)
                .map_err(refused)?;
            if answer.status == HoldStatus::Pending {
                self.decide_later(&answer.hold, account.status != AccountStatus::Closed);
            }
            return Ok(answer);
        }
        let hold = self
            .book
            .holds_on(&account.acct_no)
            .into_iter()
            .find(|h| h.id == ins.freeze_no)
            .ok_or((ret::NO_SUCH_FREEZE, "该账户无此冻结编号".to_string()))?;
        if hold.court != ins.court {
            return Err((ret::OTHER_COURT, "非本院冻结，无权操作".to_string()));
        }
        match ins.action {
            Action::Unfreeze => self.book.release(&ins.biz_no, &fingerprint, &hold.id),
            Action::Deduct => self
                .book
                .deduct(&ins.biz_no, &fingerprint, &hold.id, ins.amount),
            Action::Renew => {
                let until = ins.end_date.unwrap_or(hold.until);
                check_end(until, today, hold.until.max(today))?;
                self.book.renew(&ins.biz_no, &fingerprint, &hold.id, until)
            }
            Action::Freeze => unreachable!("handled above"),
        }
        .map_err(refused)
    }

    /// Decides the pending freeze `hold` after the bank's decision delay, unless a fault rule
    /// on the freeze path draws "never decide" (`never_decide_rate`): then the ticket stays
    /// `00` processing for good.
    fn decide_later(&self, hold: &str, accept: bool) {
        if self.knobs.faults().never_decide(super::FREEZE_PATH) {
            tracing::debug!(hold, "injected fault: freeze never decided");
            return;
        }
        let decision = crate::holds::Decision {
            accept,
            message: CLOSED.to_string(),
        };
        self.book.decide_later(hold, decision, self.decision_delay);
    }
}

/// An end date must not be past and may lie at most `MAX_TERM_DAYS` after `from`.
fn check_end(until: CivilDate, today: CivilDate, from: CivilDate) -> Result<(), Refused> {
    if until < today {
        return Err((ret::BAD_TERM, "冻结期限无效: 截止日早于当前日期".into()));
    }
    if until > from.plus_days(MAX_TERM_DAYS) {
        return Err((ret::BAD_TERM, "冻结期限无效: 超过最长冻结期限".into()));
    }
    Ok(())
}
