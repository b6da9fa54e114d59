//! Every asset seen through one shape: its kind, a title, typed attributes, its money value and
//! the units it counts in. Built-in details are mapped here field by field, so a client that
//! knows no kind can still show every asset; an asset of another kind is already generic.

use super::asset::{
    AccountStatus, Asset, AssetDetail, Attribute, AttributeValue as V, DepositType, Encumbrance,
    EncumbranceKind, GenericDetail, PaymentBalanceType,
};
use super::{AssetKind, Fen};

impl AssetDetail {
    /// The kind of asset this detail describes.
    pub fn kind(&self) -> AssetKind {
        match self {
            Self::Deposit(_) => AssetKind::BANK,
            Self::Property(_) => AssetKind::REAL_ESTATE,
            Self::Vehicle(_) => AssetKind::VEHICLE,
            Self::Payment(_) => AssetKind::PAYMENT,
            Self::Other(generic) => generic.kind,
        }
    }

    /// The money the asset holds or is worth, where stated.
    pub fn value(&self) -> Option<Fen> {
        match self {
            Self::Deposit(d) => Some(d.balance),
            Self::Payment(p) => Some(p.balance),
            Self::Property(_) | Self::Vehicle(_) => None,
            Self::Other(generic) => generic.value,
        }
    }
}

impl Asset {
    pub fn kind(&self) -> AssetKind {
        self.detail.kind()
    }

    /// This asset as a client that knows no kind would show it.
    pub fn generic(&self) -> GenericDetail {
        match &self.detail {
            AssetDetail::Other(generic) => generic.clone(),
            AssetDetail::Deposit(d) => {
                let deposit_type = match d.deposit_type {
                    DepositType::Demand => "活期",
                    DepositType::Time => "定期",
                };
                generic(
                    AssetKind::BANK,
                    format!("{} {} {}", d.branch, deposit_type, d.account_number),
                    vec![
                        text("account_number", "账号", &d.account_number),
                        text("deposit_type", "存款类型", deposit_type),
                        text("currency", "币种", &d.currency),
                        Attribute::new("balance", "余额", V::Money(d.balance)),
                        Attribute::new("frozen", "已冻结", V::Money(d.frozen)),
                        text("status", "状态", account_status(d.status)),
                        text("branch", "开户网点", &d.branch),
                    ],
                    Some(d.balance),
                )
            }
            AssetDetail::Payment(p) => {
                let balance_type = match p.balance_type {
                    PaymentBalanceType::Wallet => "余额",
                    PaymentBalanceType::Fund => "理财",
                };
                generic(
                    AssetKind::PAYMENT,
                    format!("{balance_type} {}", p.account_id),
                    vec![
                        text("account_id", "账户", &p.account_id),
                        text("balance_type", "类型", balance_type),
                        Attribute::new("balance", "余额", V::Money(p.balance)),
                        Attribute::new("frozen", "已冻结", V::Money(p.frozen)),
                    ],
                    Some(p.balance),
                )
            }
            AssetDetail::Property(r) => {
                let mut attributes = vec![
                    text("certificate_number", "不动产权证号", &r.certificate_number),
                    text("address", "坐落", &r.address),
                    Attribute::new("area", "面积", V::Centi(r.area_centi_m2 as i64))
                        .with_unit("m²"),
                    text("ownership_share", "共有情况", &r.ownership_share),
                    text("usage", "用途", &r.usage),
                ];
                attributes.extend(encumbrances(&r.encumbrances));
                generic(AssetKind::REAL_ESTATE, r.address.clone(), attributes, None)
            }
            AssetDetail::Vehicle(v) => {
                let mut attributes = vec![
                    text("plate", "号牌", &v.plate),
                    text("vin", "车架号", &v.vin),
                    text("brand", "品牌", &v.brand),
                    text("model", "型号", &v.model),
                    text("registration_status", "登记状态", &v.registration_status),
                ];
                attributes.extend(encumbrances(&v.encumbrances));
                generic(
                    AssetKind::VEHICLE,
                    format!("{} {} {}", v.plate, v.brand, v.model),
                    attributes,
                    None,
                )
            }
        }
    }
}

fn generic(
    kind: AssetKind,
    title: String,
    attributes: Vec<Attribute>,
    value: Option<Fen>,
) -> GenericDetail {
    GenericDetail {
        kind,
        title,
        attributes,
        value,
        quantity: None,
        frozen_quantity: None,
    }
}

fn text(key: &str, label: &str, value: &str) -> Attribute {
    Attribute::new(key, label, V::Text(value.to_string()))
}

fn account_status(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Normal => "正常",
        AccountStatus::Frozen => "冻结",
        AccountStatus::Dormant => "久悬",
        AccountStatus::Closed => "销户",
    }
}

fn encumbrances(list: &[Encumbrance]) -> Vec<Attribute> {
    list.iter()
        .map(|e| {
            let what = match e.kind {
                EncumbranceKind::Mortgage => "抵押",
                EncumbranceKind::Seal => "查封",
                EncumbranceKind::QueuedSeal => "轮候查封",
            };
            let until = e.until.as_deref().unwrap_or("");
            Attribute::new(
                "encumbrance",
                what,
                V::Text(format!("{} {}–{until}", e.holder, e.since)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AssetRef, DepositAccount, SourceId};

    #[test]
    fn a_deposit_shows_its_balance_as_money_and_its_kind() {
        let asset = Asset {
            asset_ref: AssetRef::new(&SourceId::new("bank-a").unwrap(), "6222:1"),
            detail: AssetDetail::Deposit(DepositAccount {
                account_number: "6222000011112222".into(),
                deposit_type: DepositType::Demand,
                currency: "CNY".into(),
                balance: Fen(123_456),
                frozen: Fen(0),
                status: AccountStatus::Normal,
                branch: "北京分行".into(),
            }),
        };
        let shown = asset.generic();
        assert_eq!(shown.kind, AssetKind::BANK);
        assert_eq!(shown.value, Some(Fen(123_456)));
        let balance = shown
            .attributes
            .iter()
            .find(|a| a.key == "balance")
            .unwrap();
        assert_eq!(balance.value, V::Money(Fen(123_456)));
        assert!(shown.title.contains("6222000011112222"));
    }
}
