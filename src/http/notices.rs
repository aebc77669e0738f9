//! `GET /screens/notices/{warning}/{n}`: the `n`th notice of a warning (催办 / 督办 /
//! 移送查办通知书) as a document to print on one A4 page (`screens/assets/notice.css`,
//! `@page { size: A4 }`), server-rendered with maud. Town and city offices that may read
//! the warning; anyone else is sent to sign in.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, FixedOffset, Utc};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::ledger::office_only;
use super::wire::Problem;
use crate::projections::supervision::town_of;
use crate::store::RecordedEvent;
use crate::workflow::{NoticeKind, SupervisionLevel, Warning};

/// `GET /screens/notices/{warning}/{n}`.
#[utoipa::path(get, path = "/screens/notices/{warning}/{n}", tag = "screens",
    summary = "A supervision notice (督办通知书) to print on one A4 page (town and city offices)",
    params(("warning" = String, Path, description = "The warning's id"), ("n" = usize, Path, description = "The warning's notice, from 1")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page"),
        (status = 403, description = "Not a town or city office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notice the caller may read", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn page(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, ApiError> {
    let Ok(AuthUser(actor)) = user else {
        let back = format!("/screens/?next=/screens/notices/{}/{n}", urlencode(&id));
        return Ok(Redirect::to(&back).into_response());
    };
    office_only(&actor)?;
    let warning = state.engine.warning_for(&actor, &id)?;
    let missing = || ApiError::not_found(format!("warning {id} has no notice {n}"));
    let mark = *n
        .checked_sub(1)
        .and_then(|i| warning.notices.get(i))
        .ok_or_else(missing)?;
    let number = state.engine.notice_number(&mark).ok_or_else(missing)?;
    let history = state.engine.history(&id).await?;
    let event = history
        .iter()
        .find(|e| e.position == mark.position)
        .ok_or_else(missing)?;
    let basis = warning
        .rule()
        .and_then(|code| state.catalogue.get(code))
        .map(|r| (r.name_zh.clone(), r.legal_basis.clone()));
    let doc = Notice {
        state: &state,
        warning: &warning,
        kind: mark.kind,
        number,
        event,
        basis,
    };
    let headers = [(axum::http::header::CACHE_CONTROL, "no-store")];
    let body = axum::response::Html(doc.render().into_string());
    Ok((StatusCode::OK, headers, body).into_response())
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

struct Notice<'a> {
    state: &'a AppState,
    warning: &'a Warning,
    kind: NoticeKind,
    number: String,
    event: &'a RecordedEvent,
    /// The rule's name and legal basis.
    basis: Option<(String, String)>,
}

fn day(at: DateTime<Utc>) -> String {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&beijing)
        .format("%Y年%-m月%-d日")
        .to_string()
}

impl Notice<'_> {
    fn name(&self, code: &crate::domain::region::RegionCode) -> String {
        self.state
            .engine
            .regions()
            .get(code)
            .map_or_else(|| code.as_str().to_string(), |r| r.name.clone())
    }

    /// 受文单位: the village (its Party branch and committee) for an urge or a supervision
    /// notice; the town's discipline commission for a transfer.
    fn recipient(&self) -> String {
        let w = self.warning;
        match self.kind {
            NoticeKind::Transfer => format!("{}纪委", self.name(&town_of(w.region))),
            _ => format!("{}党组织、村（居）民委员会", self.name(&w.region)),
        }
    }

    /// 发文机关: the office holding the warning when the notice went out.
    fn issuer(&self) -> String {
        let tree = self.state.engine.regions();
        match self.warning.holder {
            Some(SupervisionLevel::City) => format!("{}纪委监委", tree.root().name),
            _ => format!("{}数字监察办公室", self.name(&town_of(self.warning.region))),
        }
    }

    fn text(&self, key: &str) -> String {
        self.event
            .data
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn deadline(&self) -> String {
        match self.event.data.get("deadline").and_then(Value::as_str) {
            Some(at) => at.parse::<DateTime<Utc>>().map(day).unwrap_or_default() + "前",
            None => "按查办程序办理，结果报送发文机关".into(),
        }
    }

    fn requirements(&self) -> &'static str {
        match self.kind {
            NoticeKind::Urge => {
                "请接此通知后立即组织整改，逐项核实问题，整改完成后通过“清风”平台提交整改说明及佐证材料。"
            }
            NoticeKind::Supervise => {
                "该预警已逾期未整改，现予督办。请主要负责人亲自部署，限期整改到位，并将整改情况书面报告发文机关；逾期未完成的，将依规依纪移送查办。"
            }
            NoticeKind::Transfer => {
                "经监督的再监督程序，该问题线索整改不力，现移送查办。请依规依纪依法调查处置，并在“清风”平台录入核实结果、处理方式及退缴情况。"
            }
        }
    }

    fn evidence(&self) -> Vec<(String, String)> {
        let value = self.warning.evidence.to_value();
        let Some(map) = value.as_object() else {
            return Vec::new();
        };
        map.iter()
            .take(12)
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), shown.chars().take(120).collect())
            })
            .collect()
    }

    fn render(&self) -> Markup {
        let w = self.warning;
        let note = if self.kind == NoticeKind::Transfer {
            self.text("reason")
        } else {
            self.text("note")
        };
        let (rule, basis) = self.basis.clone().unwrap_or_else(|| {
            (
                "人工录入线索".into(),
                "《中国共产党纪律检查委员会工作条例》".into(),
            )
        });
        html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.kind.title()) " " (self.number) }
                    link rel="stylesheet" href="/screens/assets/notice.css";
                }
                body {
                    article.notice {
                        h1 { (self.kind.title()) }
                        p.number { (self.number) }
                        p.recipient { (self.recipient()) "：" }
                        section {
                            h2 { "一、事项及证据" }
                            p { "预警编号 " span.mono { (w.id) } "（" (rule) "），" (day(w.raised_at)) "发现：" (w.title) "。" }
                            p.subject { "对象：" (w.subject) }
                            @let evidence = self.evidence();
                            @if !evidence.is_empty() {
                                table.evidence { @for (k, v) in &evidence { tr { th { (k) } td { (v) } } } }
                            }
                            @if !note.is_empty() { p { "说明：" (note) } }
                        }
                        section { h2 { "二、依据" } p { (basis) } }
                        section { h2 { "三、期限" } p { (self.deadline()) } }
                        section { h2 { "四、要求" } p { (self.requirements()) } }
                        footer {
                            p.issuer { (self.issuer()) }
                            p.date { (day(self.event.at)) }
                        }
                    }
                    nav.noprint { a href="/screens/ledger" { "线索台账" } " · 打印：Ctrl+P（A4）" }
                }
            }
        }
    }
}
