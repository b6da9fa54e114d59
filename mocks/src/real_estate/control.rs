//! The registry's control endpoints (查控): seal, release and renew a property by its
//! certificate number, and the result of a business number (业务流水号, the idempotency key).
//! Same token and XML conventions as the inquiry. After the token and the fields, the court's
//! electronic seal is verified (4005 / 4006 / 4007, see `esign`). The registry checks the property is
//! registered to the right holder named (number AND name), that the court is the case's court,
//! that a seal released or renewed is this case's seal on this property, and that terms stay
//! within the legal maximum; everything else (queue, expiry, replays) is the shared
//! [`HoldBook`](crate::HoldBook)'s.

use super::api::{case_of, request_id, xml_response, xml_text, Registry, Rejection};
use super::auth;
use super::control_order::{check_term, parse, Op, Order, Refused};
use super::control_wire::{
    register_cfxx, status_word, KzRequest, KzResponse, KzResponseBody, KzResponseHead,
};
use super::data;
use super::date::now_compact;
use super::esign;
use super::wire::{self, Cfxx, Code};
use crate::holds::{Answer, Hold, HoldBook, HoldKind, Placement, Refusal};
use assethub_connectors::domain::Fen;
use assethub_connectors::HoldStatus;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// Echoed identifiers of the request answered.
#[derive(Default)]
struct Echo {
    qqbh: Option<String>,
    ywlsh: Option<String>,
}

/// `POST /bdc/api/kz/cf`: 查封登记.
pub async fn seal(State(r): State<Arc<Registry>>, headers: HeaderMap, body: Bytes) -> Response {
    r.control(Op::Seal, &headers, &body)
}

/// `POST /bdc/api/kz/jf`: 解封登记.
pub async fn release(State(r): State<Arc<Registry>>, headers: HeaderMap, body: Bytes) -> Response {
    r.control(Op::Release, &headers, &body)
}

/// `POST /bdc/api/kz/xf`: 续封登记.
pub async fn renew(State(r): State<Arc<Registry>>, headers: HeaderMap, body: Bytes) -> Response {
    r.control(Op::Renew, &headers, &body)
}

/// `POST /bdc/api/kz/jgcx`: the current result of the business sent with `Ywlsh`.
pub async fn status(State(r): State<Arc<Registry>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = auth::check(&headers, &r.settings.token) {
        return r.kz_reply(
            StatusCode::FORBIDDEN,
            Code::Unauthorized,
            refused.message(),
            Echo::default(),
            None,
        );
    }
    let parsed = xml_text(&headers, &body).and_then(|text| {
        let request: KzRequest = quick_xml::de::from_str(text)
            .map_err(|_| Rejection::new(Code::BadRequest, "请求报文格式错误", None))?;
        let head = request
            .head
            .ok_or_else(|| Rejection::new(Code::BadRequest, "缺少报文头 Head", None))?;
        let rid = request_id(&head.qqbh, "请求编号 Qqbh", None)?;
        let key = request_id(&head.ywlsh, "业务流水号 Ywlsh", Some(rid))?;
        case_of(&head.ajh, &head.fy, Some(rid))?;
        Ok((rid.to_string(), key.to_string()))
    });
    let (qqbh, key) = match parsed {
        Ok(ids) => ids,
        Err(rejection) => return r.rejected(rejection),
    };
    let echo = Echo {
        qqbh: Some(qqbh),
        ywlsh: Some(key.clone()),
    };
    match r.book.by_key(&key) {
        None => r.kz_reply(
            StatusCode::OK,
            Code::UnknownKey,
            "未找到该业务流水号的办理记录",
            echo,
            None,
        ),
        Some(answer) => r.kz_reply(
            StatusCode::OK,
            Code::Success,
            "查询成功",
            echo,
            Some(body_of(&answer)),
        ),
    }
}

/// The register's seals on `certificate` for an inquiry answer.
pub(super) fn register_seals(book: &HoldBook, certificate: &str) -> Vec<Cfxx> {
    register_cfxx(&book.holds_on(certificate))
}

impl Registry {
    fn control(&self, op: Op, headers: &HeaderMap, body: &[u8]) -> Response {
        if let Err(refused) = auth::check(headers, &self.settings.token) {
            tracing::debug!(agency = %self.name, reason = refused.message(), "token refused");
            return self.kz_reply(
                StatusCode::FORBIDDEN,
                Code::Unauthorized,
                refused.message(),
                Echo::default(),
                None,
            );
        }
        let order = match parse(op, headers, body) {
            Ok(order) => order,
            Err(rejection) => return self.rejected(rejection),
        };
        let echo = Echo {
            qqbh: Some(order.request_id.clone()),
            ywlsh: Some(order.key.clone()),
        };
        // The seal is checked before the register is touched, so before a replay is answered.
        if let Err((code, msg)) = esign::check(&self.trusted, op, &order, esign::now_secs()) {
            tracing::debug!(agency = %self.name, op = op.name(), code = code.as_str(), "control request not sealed");
            return self.kz_reply(StatusCode::OK, code, &msg, echo, None);
        }
        match self.act(op, &order) {
            Ok(answer) => {
                tracing::debug!(agency = %self.name, op = op.name(), hold = %answer.hold, status = ?answer.status, "control done");
                let msg = match (op, answer.status) {
                    (Op::Seal, HoldStatus::Queued { .. }) => "该不动产已被查封，已办理轮候查封",
                    (Op::Seal, _) => "查封登记成功",
                    (Op::Release, _) => "解封登记成功",
                    (Op::Renew, _) => "续封登记成功",
                };
                self.kz_reply(
                    StatusCode::OK,
                    Code::Success,
                    msg,
                    echo,
                    Some(body_of(&answer)),
                )
            }
            Err((status, code, msg)) => {
                tracing::debug!(agency = %self.name, op = op.name(), code = code.as_str(), "control refused");
                self.kz_reply(status, code, &msg, echo, None)
            }
        }
    }

    fn act(&self, op: Op, order: &Order) -> Result<Answer, Refused> {
        self.check_holder(order)?;
        let today = self.knobs.today();
        let fingerprint = order.fingerprint(op);
        let (key, hold) = (order.key.as_str(), order.hold.as_str());
        let refused = |r: Refusal| refusal(&r);
        match (op, order.until) {
            (Op::Seal, Some(until)) => {
                check_term(today, today, until)?;
                let placement = Placement {
                    kind: HoldKind::Seal,
                    asset: order.certificate.clone(),
                    court: order.case.court().to_string(),
                    case: order.case.as_str().to_string(),
                    ruling: order.ruling.clone(),
                    amount: Fen(0),
                    until,
                    balance: Fen(0),
                    frozen_elsewhere: Fen(0),
                    seals_elsewhere: self.recorded_seals(order, today),
                };
                self.book
                    .place(key, &fingerprint, placement)
                    .map_err(refused)
            }
            (Op::Release, _) => {
                self.case_seal(order)?;
                self.book.release(key, &fingerprint, hold).map_err(refused)
            }
            (Op::Renew, Some(until)) => {
                let seal = self.case_seal(order)?;
                check_term(today, seal.until.max(today), until)?;
                self.book
                    .renew(key, &fingerprint, hold, until)
                    .map_err(refused)
            }
            _ => Err((
                StatusCode::BAD_REQUEST,
                Code::BadTerm,
                "缺少查封结束日期 Cfjssj".into(),
            )),
        }
    }

    /// The property must be registered to the right holder named, by number and name.
    fn check_holder(&self, order: &Order) -> Result<(), Refused> {
        let holds = self
            .population
            .get(order.id.as_str())
            .filter(|debtor| debtor.name == order.name)
            .is_some_and(|debtor| {
                data::holdings(&self.name, self.locale, &self.population, debtor)
                    .iter()
                    .any(|p| p.certificate_number == order.certificate)
            });
        if holds {
            Ok(())
        } else {
            Err((
                StatusCode::OK,
                Code::NotTheDebtors,
                format!("不动产权证号 {} 未登记在该权利人名下", order.certificate),
            ))
        }
    }

    /// Seals other courts hold on the property in the registry's older records.
    fn recorded_seals(&self, order: &Order, today: assethub_connectors::domain::CivilDate) -> u32 {
        self.population
            .get(order.id.as_str())
            .map(|debtor| {
                data::holdings(&self.name, self.locale, &self.population, debtor)
                    .iter()
                    .filter(|p| p.certificate_number == order.certificate)
                    .map(|p| crate::seal::standing(&p.seals, today))
                    .sum()
            })
            .unwrap_or(0)
    }

    /// The seal `order.hold` on `order.certificate`, which must be this case's.
    fn case_seal(&self, order: &Order) -> Result<Hold, Refused> {
        let seal = self
            .book
            .holds_on(&order.certificate)
            .into_iter()
            .find(|h| h.id == order.hold && h.kind == HoldKind::Seal)
            .ok_or_else(|| refusal(&Refusal::NoSuchHold))?;
        if seal.court != order.case.court() || seal.case != order.case.as_str() {
            return Err((
                StatusCode::OK,
                Code::WrongState,
                "该查封非本案办理，不得解封或续封".into(),
            ));
        }
        Ok(seal)
    }

    fn rejected(&self, rejection: Rejection) -> Response {
        tracing::debug!(agency = %self.name, code = rejection.code.as_str(), "control request rejected");
        let echo = Echo {
            qqbh: rejection.request_id,
            ywlsh: None,
        };
        self.kz_reply(
            StatusCode::BAD_REQUEST,
            rejection.code,
            &rejection.message,
            echo,
            None,
        )
    }

    fn kz_reply(
        &self,
        status: StatusCode,
        code: Code,
        msg: &str,
        echo: Echo,
        body: Option<KzResponseBody>,
    ) -> Response {
        let response = KzResponse {
            head: KzResponseHead {
                code: code.as_str(),
                msg: msg.to_string(),
                qqbh: echo.qqbh,
                ywlsh: echo.ywlsh,
                cxjg: self.settings.registry_name.clone(),
                fksj: now_compact(),
            },
            body,
        };
        match wire::to_xml(&response) {
            Ok(xml) => xml_response(status, xml),
            Err(e) => {
                tracing::error!(agency = %self.name, error = %e, "could not encode an answer");
                xml_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KzResponse><Head><Code>{}</Code><Msg>系统内部错误</Msg></Head></KzResponse>",
                        Code::Internal.as_str()
                    ),
                )
            }
        }
    }
}

fn body_of(answer: &Answer) -> KzResponseBody {
    let lhsx = match answer.status {
        HoldStatus::Queued { position } => Some(position),
        _ => None,
    };
    let sm = match (answer.message.is_empty(), lhsx) {
        (true, Some(position)) => format!("已被其他法院查封，轮候第{position}位"),
        _ => answer.message.clone(),
    };
    KzResponseBody {
        cfbh: answer.hold.clone(),
        zt: status_word(answer.status),
        lhsx,
        cfjssj: answer.until.compact(),
        sm,
    }
}

/// The register's refusal in the registry's codes.
fn refusal(refusal: &Refusal) -> Refused {
    let (code, msg) = match refusal {
        Refusal::KeyReused => (Code::KeyReused, "业务流水号已用于其他业务".to_string()),
        Refusal::NoSuchHold => (
            Code::NoSuchSeal,
            "查封编号不存在或不是该不动产的查封".to_string(),
        ),
        Refusal::WrongState(why) | Refusal::BadAmount(why) => {
            (Code::WrongState, format!("当前状态不允许办理: {why}"))
        }
    };
    (StatusCode::OK, code, msg)
}
