//! 我要反映: anyone may report a problem about a village. A report is held to a limit per
//! client address and a challenge, checked whole (region, category, text, phone, photo),
//! and becomes a finding of the rule `public_report`: a warning of the village on its town
//! office's queue and the city wall, with the text as evidence. The same complaint while
//! the first is open is folded into it. The reporter gets an unguessable receipt code; the
//! phone number stays in the report record, masked to the offices, unmasked only by an
//! audited request.

use axum::Json;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::attachments::{MAX_PHOTO_BYTES, image_type};
use super::auth::AuthUser;
use super::challenge::Refused;
use super::client::client_ip;
use super::error::ApiError;
use super::public::{private_page, too_many};
use super::public_pages::{layout, problem_page};
use super::report_pages::{Choice, Draft, category_name, progress, receipt_body, report_form};
use super::wire::{Problem, ReportList, ReportPhones, ReportView};
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::Role;
use crate::domain::region::RegionCode;
use crate::engine::{FindingOutcome, RuleFinding};
use crate::public::mask::mask_phone;
use crate::regions::RegionTree;
use crate::rules::RuleParams;
use crate::rules::catalogue::WarningLevel;
use crate::store::{Attachment, ReportRecord};
use crate::workflow::warning::PUBLIC_REPORT_RULE;

/// The largest report accepted: a photo and a page of text.
pub const MAX_REPORT_BYTES: usize = MAX_PHOTO_BYTES + 64 * 1024;

/// What a report too large for the body limit is told (and answered 413 with).
const TOO_LARGE: &str = "提交的内容过大：照片不能超过 5 MB。";

/// The most text one form field other than the text may hold.
const MAX_FIELD_BYTES: usize = 256;

#[derive(serde::Deserialize)]
pub struct FormQuery {
    region: Option<String>,
    town: Option<String>,
}

/// `GET /public/report?region=CODE`: the form (the region chosen if given). In a tree
/// too large for one list of villages, first the town (`?town=CODE` then shows its
/// villages).
#[utoipa::path(get, path = "/public/report", tag = "public reports",
    summary = "我要反映: the public report form",
    params(("region" = Option<String>, Query, description = "The village chosen"), ("town" = Option<String>, Query, description = "In a large tree, the town whose villages to offer")),
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
    ))]
pub async fn form(State(state): State<AppState>, Query(query): Query<FormQuery>) -> Response {
    let Some(max_chars) = max_text_chars(&state) else {
        return closed();
    };
    let draft = Draft {
        region: query.region.unwrap_or_default().chars().take(12).collect(),
        ..Draft::default()
    };
    let town: Option<String> = query.town.map(|t| t.chars().take(12).collect());
    render_form(
        &state,
        &draft,
        town.as_deref(),
        max_chars,
        None,
        StatusCode::OK,
    )
}

/// `POST /public/report` (multipart).
#[utoipa::path(post, path = "/public/report", tag = "public reports",
    summary = "Send a public report (multipart: village, category, text, optional phone and photo, the challenge's answer); it raises or joins a warning",
    responses(
        (status = 201, description = "Received: the receipt code and page", content_type = "text/html", body = String),
        (status = 503, description = "Could not be saved now; try again", content_type = "text/html", body = String),
        (status = 422, description = "The form again, saying what is wrong", content_type = "text/html", body = String),
        (status = 413, description = "Too large", content_type = "text/html", body = String),
        (status = 429, description = "Too many requests from this address (Retry-After)", content_type = "text/html", body = String),
    ))]
pub async fn submit(State(state): State<AppState>, parts: Parts, multipart: Multipart) -> Response {
    let Some(max_chars) = max_text_chars(&state) else {
        return closed();
    };
    if let Err(wait) = state.public_limits.reports.check(client_ip(&parts)) {
        let minutes = wait.as_secs().max(1).div_ceil(60);
        let text = format!("同一网络提交的反映过多，请 {minutes} 分钟后再试。");
        return too_many("提交过于频繁", &text, wait);
    }
    let sent = match read_report(multipart, state.engine.regions(), max_chars).await {
        Ok(sent) => sent,
        Err((draft, problem)) => {
            let status = if problem == TOO_LARGE {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return render_form(&state, &draft, None, max_chars, Some(&problem), status);
        }
    };
    let now = state.clock.now();
    if let Err(refused) = state
        .public_limits
        .challenges
        .answer(&sent.challenge, &sent.answer, now)
    {
        let problem = match refused {
            Refused::Wrong => "验证答案不对，请重新计算。",
            Refused::TooFast => "提交太快了，请核对内容后再提交。",
            Refused::Stale => "表单已过期，请重新填写验证答案后提交。",
        };
        return render_form(
            &state,
            &sent.draft,
            None,
            max_chars,
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match file(&state, sent).await {
        Ok(receipt) => {
            let body = receipt_body(&receipt, 0, None, true);
            private_page(StatusCode::CREATED, layout("反映已受理", &[], body))
        }
        Err(error) => {
            tracing::error!(error = %error, "a public report could not be filed");
            private_page(
                StatusCode::SERVICE_UNAVAILABLE,
                problem_page("暂时无法受理", "系统繁忙，您的反映没有保存，请稍后再试。"),
            )
        }
    }
}

/// `GET /public/report/{code}`: where the report stands and the office's reply.
#[utoipa::path(get, path = "/public/report/{code}", tag = "public reports",
    summary = "Where a report stands, and the office's public reply",
    params(("code" = String, Path, description = "The receipt code")),
    responses(
        (status = 200, description = "The receipt page", content_type = "text/html", body = String),
        (status = 404, description = "Not found", content_type = "text/html", body = String),
    ))]
pub async fn receipt(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let not_found = || {
        private_page(
            StatusCode::NOT_FOUND,
            problem_page(
                "没有这个回执码",
                "请核对回执码。回执码由 16 位数字和字母组成。",
            ),
        )
    };
    if code.len() != 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return not_found();
    }
    let Ok(Some(report)) = state.engine.store().get_report(&code).await else {
        return not_found();
    };
    let Some(warning) = state.engine.warning(&report.warning) else {
        return not_found();
    };
    let (stage, _) = progress(warning.step);
    let body = receipt_body(&code, stage, warning.public_reply.as_deref(), false);
    private_page(StatusCode::OK, layout("反映办理进度", &[], body))
}

/// `GET /api/warnings/{id}/reports`: the reports a warning holds, phone numbers masked
/// (offices that may read the warning; never a display).
#[utoipa::path(get, path = "/api/warnings/{id}/reports", tag = "public reports",
    summary = "The public reports (我要反映) a warning holds, phone numbers masked",
    params(("id" = String, Path, description = "The warning's id")),
    responses(
        (status = 200, description = "The reports, newest first", body = ReportList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A wall display does not read reports", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warning the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ReportList>, ApiError> {
    let warning = state.engine.warning_for(&actor, &id)?;
    if actor.role() == Role::Display {
        return Err(ApiError::forbidden("a wall display does not read reports"));
    }
    let reports = state.engine.store().reports_of(&warning.id).await?;
    let reports = reports
        .iter()
        .map(|r| ReportView {
            category: r.category.clone(),
            category_name: category_name(&r.category),
            text: r.text.clone(),
            phone: r.phone.as_deref().map(mask_phone),
            photo: r.photo.clone(),
            at: r.at,
        })
        .collect();
    Ok(Json(ReportList { reports }))
}

/// `POST /api/warnings/{id}/reports/unmask`: the reporters' phone numbers, for an office
/// that may change the warning; audited.
#[utoipa::path(post, path = "/api/warnings/{id}/reports/unmask", tag = "public reports",
    summary = "The reporters' phone numbers, for the town or city office responsible (audited)",
    params(("id" = String, Path, description = "The warning's id")),
    responses(
        (status = 200, description = "The numbers, in the order of the report list", body = ReportPhones),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the office responsible", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warning the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn unmask(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    Path(id): Path<String>,
) -> Result<Json<ReportPhones>, ApiError> {
    let warning = state.engine.warning_for(&actor, &id)?;
    let office = matches!(actor.role(), Role::TownOffice | Role::CityOffice);
    if !office || !crate::auth::can_write(&actor, &warning.region) {
        return Err(ApiError::forbidden(
            "only the town or city office responsible sees reporters' phone numbers",
        ));
    }
    let reports = state.engine.store().reports_of(&warning.id).await?;
    let phones: Vec<Option<String>> = reports.iter().map(|r| r.phone.clone()).collect();
    let shown = phones.iter().flatten().count();
    let entry = AuditEntry::new(
        state.clock.now(),
        actor.username(),
        AuditAction::Unmask,
        &warning.id,
    )
    .with_client(client_ip(&parts))
    .with_detail(&format!(
        "reporters' phone numbers of a public report ({shown} shown)"
    ));
    crate::audit::record(state.engine.store(), entry).await;
    Ok(Json(ReportPhones { phones }))
}

/// A report as sent, checked.
struct Sent {
    draft: Draft,
    region: RegionCode,
    photo: Option<(String, &'static str, Vec<u8>)>,
    challenge: String,
    answer: String,
}

/// Reads and checks the form; on a problem, what was sent (to fill the form again) and
/// what is wrong, in words the reporter reads.
async fn read_report(
    mut multipart: Multipart,
    regions: &RegionTree,
    max_chars: usize,
) -> Result<Sent, (Draft, String)> {
    let mut draft = Draft::default();
    let (mut challenge, mut answer, mut photo) = (String::new(), String::new(), None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err((draft, TOO_LARGE.to_string()));
            }
            Err(_) => return Err((draft, "表单内容不完整，请重新提交。".to_string())),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "photo" {
            photo = read_photo(field)
                .await
                .map_err(|problem| (std::mem::take(&mut draft), problem))?;
            continue;
        }
        let limit = if name == "text" {
            max_chars * 4
        } else {
            MAX_FIELD_BYTES
        };
        let value = read_text(field, limit).await.ok_or_else(|| {
            (
                std::mem::take(&mut draft),
                "内容过长，请删减后再提交。".to_string(),
            )
        })?;
        match name.as_str() {
            "region" => draft.region = value,
            "category" => draft.category = value,
            "text" => draft.text = value,
            "phone" => draft.phone = value,
            "challenge" => challenge = value,
            "answer" => answer = value,
            _ => {}
        }
    }
    let problem = check(&draft, max_chars);
    let region = RegionCode::parse(draft.region.trim())
        .ok()
        .filter(|code| regions.get(code).is_some());
    match (problem, region) {
        (Some(problem), _) => Err((draft, problem)),
        (None, None) => Err((draft, "请选择反映的村（社区）。".to_string())),
        (None, Some(region)) => Ok(Sent {
            draft,
            region,
            photo,
            challenge,
            answer,
        }),
    }
}

/// What is wrong with the fields, if anything.
fn check(draft: &Draft, max_chars: usize) -> Option<String> {
    let text = draft.text.trim();
    let chars = text.chars().count();
    if category_name(&draft.category).is_none() {
        return Some("请选择问题类别。".to_string());
    }
    if chars < 5 {
        return Some("请写明具体情况（至少 5 个字）。".to_string());
    }
    if chars > max_chars {
        return Some(format!(
            "具体情况最多 {max_chars} 个字，现在有 {chars} 个字。"
        ));
    }
    let phone = draft.phone.trim();
    let mobile =
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if !phone.is_empty() && !mobile {
        return Some("联系电话应为 11 位手机号码，也可以不填。".to_string());
    }
    None
}

/// A text field read to at most `limit` bytes; `None` if it is longer or not UTF-8.
async fn read_text(mut field: Field<'_>, limit: usize) -> Option<String> {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        if bytes.len() + chunk.len() > limit {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).ok()
}

/// The optional photo, judged by its content; `Ok(None)` when none was chosen.
async fn read_photo(
    mut field: Field<'_>,
) -> Result<Option<(String, &'static str, Vec<u8>)>, String> {
    let name = field
        .file_name()
        .unwrap_or("photo")
        .chars()
        .take(120)
        .collect::<String>();
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
            return Err("照片不能超过 5 MB。".to_string());
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    let kind = image_type(&bytes).ok_or_else(|| "照片应为 JPEG、PNG 或 WebP 图片。".to_string())?;
    Ok(Some((name, kind, bytes)))
}

/// Files the report: the finding (raised or folded), the photo, the record; the receipt.
async fn file(state: &AppState, sent: Sent) -> anyhow::Result<String> {
    let Sent {
        draft,
        region,
        photo,
        ..
    } = sent;
    let engine = &state.engine;
    let entry = state
        .catalogue
        .get(PUBLIC_REPORT_RULE)
        .ok_or_else(|| anyhow::anyhow!("public_report is off"))?;
    let text = draft.text.trim().to_string();
    let category = category_name(&draft.category).unwrap_or("其他问题");
    let normalized: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let digest = hex::encode(&Sha256::digest(normalized.as_bytes())[..8]);
    let finding = RuleFinding {
        rule: PUBLIC_REPORT_RULE.to_string(),
        subject: format!("report:{}:{}:{digest}", region.as_str(), draft.category),
        region,
        title: format!("群众反映：{category}"),
        summary: text.chars().take(120).collect(),
        evidence: json!({"source": "public", "category": draft.category, "category_name": category, "text": text, "basis": entry.legal_basis}),
        severity: entry.severity,
        deadline_days: entry.deadline_days,
        reminder: entry.level == WarningLevel::Yellow,
    };
    let warning = match engine.apply_finding(finding).await? {
        FindingOutcome::Raised(id)
        | FindingOutcome::Relapsed(id)
        | FindingOutcome::AlreadyOpen(id)
        | FindingOutcome::Dismissed(id)
        | FindingOutcome::ReminderClosed(id) => id,
    };
    let now = engine.now();
    let photo_id = match photo {
        Some((name, content_type, bytes)) => {
            let attachment = Attachment {
                id: uuid::Uuid::new_v4().simple().to_string(),
                warning: warning.clone(),
                name,
                content_type: content_type.to_string(),
                bytes,
                uploaded_by: "public".to_string(),
                at: now,
            };
            engine.store().put_attachment(&attachment).await?;
            Some(attachment.id)
        }
        None => None,
    };
    let receipt = receipt_code();
    let phone = Some(draft.phone.trim().to_string()).filter(|p| !p.is_empty());
    let record = ReportRecord {
        receipt: receipt.clone(),
        warning,
        village: draft.region.clone(),
        category: draft.category.clone(),
        text,
        phone,
        photo: photo_id,
        at: now,
    };
    engine.store().put_report(&record).await?;
    Ok(receipt)
}

/// Sixteen characters of an alphabet without 0, 1, I and O: read aloud
/// and typed back without confusion, and with more than 70 random bits never guessed.
fn receipt_code() -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let bytes = uuid::Uuid::new_v4();
    let mut bits = u128::from_be_bytes(*bytes.as_bytes());
    (0..16)
        .map(|_| {
            let c = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

fn max_text_chars(state: &AppState) -> Option<usize> {
    match &state.catalogue.get(PUBLIC_REPORT_RULE)?.params {
        RuleParams::PublicReport(params) => Some(params.max_text_chars),
        _ => None,
    }
}

fn render_form(
    state: &AppState,
    draft: &Draft,
    town: Option<&str>,
    max_chars: usize,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let challenge = state.public_limits.challenges.issue(state.clock.now());
    let regions = state.engine.regions();
    let body = report_form(
        regions,
        &Choice::of(regions, town, draft),
        draft,
        &challenge,
        max_chars,
        problem,
    );
    private_page(status, layout("我要反映", &[], body))
}

fn closed() -> Response {
    private_page(
        StatusCode::NOT_FOUND,
        problem_page(
            "暂不受理网上反映",
            "本地暂未开通网上反映，请到镇纪委或拨打举报电话反映。",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_needs_a_category_some_text_and_a_mobile_number_if_any() {
        let draft = |category: &str, text: &str, phone: &str| Draft {
            region: "990102100201".into(),
            category: category.into(),
            text: text.into(),
            phone: phone.into(),
        };
        assert_eq!(check(&draft("other", "村里低保评定不公开", ""), 500), None);
        assert!(check(&draft("nope", "村里低保评定不公开", ""), 500).is_some());
        assert!(check(&draft("other", "短", ""), 500).is_some());
        assert!(check(&draft("other", "村里低保评定不公开", "12345"), 500).is_some());
        assert_eq!(
            check(&draft("other", "村里低保评定不公开", "13812345678"), 500),
            None
        );
        assert!(check(&draft("other", &"长".repeat(501), ""), 500).is_some());
    }
}
