//! The hub as the console reaches it: one lazily connected channel, and per request the
//! service clients carrying the signed-in person's token. A refusal is put in plain words
//! for the page ([`plain`]), never shown as a bare gRPC code.

use assethub_client::{authed, Authed, Bearer};
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_proto::v1::cases_client::CasesClient;
use assethub_proto::v1::orders_client::OrdersClient;
use tonic::transport::Channel;
use tonic::{Code, Status};

pub struct Hub {
    channel: Channel,
}

impl Hub {
    /// A channel to `addr` (trusting `ca_file` for `https://`) that connects on first use.
    pub fn lazy(addr: &str, ca_file: Option<&std::path::Path>) -> Result<Self, String> {
        let first = assethub_client::connect::addresses(addr)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("no hub address")?;
        let tls = ca_file
            .map(|ca| assethub_client::Tls::from_files(Some(ca), None, None))
            .transpose()
            .map_err(|e| e.to_string())?;
        let endpoint =
            assethub_client::connect::endpoint(&first, tls.as_ref()).map_err(|e| e.to_string())?;
        Ok(Self {
            channel: endpoint.connect_lazy(),
        })
    }

    fn authed(&self, token: &str) -> Authed {
        // A token that is not valid header text is sent as none: the hub refuses the call.
        let bearer = Bearer::new(Some(token)).unwrap_or_else(|_| Bearer::new(None).unwrap());
        authed(self.channel.clone(), bearer)
    }

    pub fn search(&self, token: &str) -> AssetHubClient<Authed> {
        AssetHubClient::new(self.authed(token))
    }

    pub fn orders(&self, token: &str) -> OrdersClient<Authed> {
        OrdersClient::new(self.authed(token))
    }

    pub fn cases(&self, token: &str) -> CasesClient<Authed> {
        CasesClient::new(self.authed(token))
    }

    pub fn audit(&self, token: &str) -> AuditClient<Authed> {
        AuditClient::new(self.authed(token))
    }
}

/// What a refusal means, in the users' words, with the hub's own reason after it.
pub fn plain(status: &Status) -> String {
    let what = match status.code() {
        Code::PermissionDenied => "您无权进行此项操作，或该案件不属于本院",
        Code::Unauthenticated => "登录已失效，请重新登录",
        Code::InvalidArgument => "填写的内容有误",
        Code::NotFound => "未找到",
        Code::AlreadyExists => "该操作已提交过",
        Code::FailedPrecondition => "当前状态不允许此项操作",
        Code::ResourceExhausted => "请求过于频繁，请稍后再试",
        Code::DeadlineExceeded => "等待超时，请稍后查看结果",
        Code::Unavailable => "执行查控平台暂时无法访问，请稍后再试",
        Code::Aborted => "与其他操作冲突，请刷新后重试",
        _ => "操作未能完成",
    };
    let reason: String = status.message().chars().take(300).collect();
    if reason.is_empty() {
        what.to_string()
    } else {
        format!("{what}：{reason}")
    }
}
