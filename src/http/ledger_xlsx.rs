//! `GET /api/ledger.xlsx`: the ledger as a town office keeps it, one workbook (rust_xlsxwriter):
//! 序号, 线索来源, 问题类型, 村社, 发现时间, 核实结果, 处理方式, 处理人数, 应退缴（元）,
//! 已退缴（元）, 办结时间, and a sum row. Amounts are written as numbers of 元 with two
//! decimals (from fen, exactly: fen / 100 is exact to the cent in an f64 below 2^53 fen).
//! Audited (`export`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::FixedOffset;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::AppState;
use super::auth::AuthUser;
use super::client::client_ip;
use super::error::ApiError;
use super::ledger::{LedgerQuery, office_only, rule_namer};
use super::wire::{LedgerRow, Problem};
use crate::audit::{AuditAction, AuditEntry};

/// The most rows one export holds; a wider filter is refused (narrow the period or region).
pub const MAX_EXPORT_ROWS: usize = 50_000;

const HEADERS: [&str; 11] = [
    "序号",
    "线索来源",
    "问题类型",
    "村社",
    "发现时间",
    "核实结果",
    "处理方式",
    "处理人数",
    "应退缴（元）",
    "已退缴（元）",
    "办结时间",
];

/// `GET /api/ledger.xlsx`.
#[utoipa::path(get, path = "/api/ledger.xlsx", tag = "ledger",
    summary = "The ledger as an Excel workbook, with a sum row (town and city offices; audited)",
    params(
        ("town" = Option<String>, Query, description = "Only this town (12 digits)"),
        ("village" = Option<String>, Query, description = "Only this village (12 digits)"),
        ("region" = Option<String>, Query, description = "Only within this region"),
        ("rule" = Option<String>, Query, description = "Only this rule's code"),
        ("finding" = Option<String>, Query, description = "substantiated, partly_substantiated, unsubstantiated or pending"),
        ("from" = Option<String>, Query, description = "Found on or after this day (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Found on or before this day"),
    ),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a town or city office", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More rows than one export holds (50,000): narrow the filter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong or unknown (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn export(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: axum::http::request::Parts,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    office_only(&actor)?;
    params.remove("after");
    params.remove("limit");
    let query = LedgerQuery::parse(&params)?;
    let page = state
        .engine
        .ledger_page(&actor, &query.filter, None, MAX_EXPORT_ROWS);
    if page.next.is_some() {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_rows",
            format!("more than {MAX_EXPORT_ROWS} rows match; narrow the period, region or rule"),
        ));
    }
    let tree = state.engine.regions();
    let names = rule_namer(&state);
    let rows: Vec<LedgerRow> = page
        .items
        .iter()
        .map(|e| LedgerRow::of(tree, &names, e))
        .collect();
    let bytes = workbook(&rows).map_err(|e| ApiError::internal(&e))?;
    let entry = AuditEntry::new(
        state.clock.now(),
        actor.username(),
        AuditAction::Export,
        "ledger.xlsx",
    )
    .with_client(client_ip(&parts))
    .with_detail(&format!("{} rows", rows.len()));
    crate::audit::record(state.engine.store(), entry).await;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''%E7%96%91%E4%BC%BC%E9%97%AE%E9%A2%98%E7%BA%BF%E7%B4%A2%E5%8F%B0%E8%B4%A6.xlsx",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    ))
}

/// The workbook's bytes: a header row, a row per ledger row, a sum row.
pub fn workbook(rows: &[LedgerRow]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("疑似问题线索台账")?;
    let bold = Format::new().set_bold().set_align(FormatAlign::Center);
    let money = Format::new().set_num_format("#,##0.00");
    for (col, title) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    let (mut due, mut recovered, mut people) = (0i64, 0i64, 0i64);
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        write_row(sheet, r, row, &money)?;
        if let Some(case) = &row.case {
            due += case.amount_due_fen;
            recovered += case.recovered_fen;
            people += i64::from(case.people);
        }
    }
    let sum = (rows.len() + 1) as u32;
    sheet.write_string_with_format(sum, 0, "合计", &bold)?;
    sheet.write_number(sum, 7, people as f64)?;
    sheet.write_number_with_format(sum, 8, yuan(due), &money)?;
    sheet.write_number_with_format(sum, 9, yuan(recovered), &money)?;
    for (col, width) in [6, 10, 28, 18, 18, 10, 24, 10, 14, 14, 18]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

fn write_row(
    sheet: &mut Worksheet,
    r: u32,
    row: &LedgerRow,
    money: &Format,
) -> Result<(), XlsxError> {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let time = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&beijing)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let place = match (&row.town_name, &row.region_name) {
        (Some(town), Some(name)) if town != name => format!("{town}{name}"),
        (_, Some(name)) => name.clone(),
        _ => row.region.clone(),
    };
    sheet.write_number(r, 0, f64::from(r))?;
    sheet.write_string(r, 1, &row.source_label)?;
    sheet.write_string(r, 2, &row.problem)?;
    sheet.write_string(r, 3, &place)?;
    sheet.write_string(r, 4, time(row.raised_at))?;
    let Some(case) = &row.case else {
        sheet.write_string(r, 5, "待核实")?;
        return Ok(());
    };
    let handling: Vec<&str> = case.handling.iter().map(|h| h.label()).collect();
    sheet.write_string(r, 5, &case.finding_label)?;
    sheet.write_string(r, 6, handling.join("、"))?;
    sheet.write_number(r, 7, f64::from(case.people))?;
    sheet.write_number_with_format(r, 8, yuan(case.amount_due_fen), money)?;
    sheet.write_number_with_format(r, 9, yuan(case.recovered_fen), money)?;
    if let Some(at) = case.concluded_at {
        sheet.write_string(r, 10, time(at))?;
    }
    Ok(())
}

/// Fen as 元, for a cell formatted with two decimals.
fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}
