//! `POST /api/imports/{kind}`: the city office uploads dataset files (multipart, one or
//! more `file` parts). The whole upload is checked before anything is written; a refused
//! upload answers 422 with every bad cell listed.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::client::client_ip;
use super::error::ApiError;
use super::wire::{ImportResponse, Problem};
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::Role;
use crate::import::service::{ImportFailure, import_files_within};
use crate::import::{DatasetKind, ImportLimits};
use crate::scan::run_scan;

/// Room in an upload's body for the multipart framing around the files.
pub const MULTIPART_SLACK: usize = 64 * 1024;
/// The most files one upload may carry.
const MAX_FILES: usize = 32;

#[utoipa::path(post, path = "/api/imports/{kind}", tag = "imports",
    summary = "Import a department's dataset files (city office): checked whole before anything is written, then scanned",
    params(("kind" = String, Path, description = "The dataset kind, e.g. welfare_payments, residents, deaths, cadres, companies, contracts, bids")),
    request_body(content_type = "multipart/form-data", description = "One or more `file` parts: CSV (UTF-8 or GB18030) or .xlsx"),
    responses(
        (status = 200, description = "Imported, with what the scan it triggered found", body = ImportResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city office imports", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dataset kind", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The upload is over the configured size", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused whole: `errors` names each bad file, row, column and value", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: axum::http::request::Parts,
    Path(kind): Path<String>,
    mut multipart: Multipart,
) -> Result<Json<ImportResponse>, ApiError> {
    if actor.role() != Role::CityOffice {
        return Err(ApiError::forbidden("only the city office imports datasets"));
    }
    let kind = DatasetKind::parse(&kind).map_err(|e| ApiError::not_found(e.to_string()))?;
    let limits = state.settings.import;
    let files = read_files(&mut multipart, &limits).await?;
    let engine = &state.engine;
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let audited = |action, detail: String| {
        let entry = AuditEntry::new(state.clock.now(), actor.username(), action, kind.as_str())
            .with_client(client_ip(&parts))
            .with_detail(&format!("{}: {detail}", names.join(", ")));
        crate::audit::record(engine.store(), entry)
    };
    let result = import_files_within(engine.store(), engine.regions(), kind, &files, &limits).await;
    match &result {
        Ok(report) => audited(AuditAction::Import, format!("{} rows", report.rows)).await,
        Err(failure @ ImportFailure::Invalid(_)) => {
            audited(
                AuditAction::ImportRefused,
                failure.to_string().chars().take(300).collect(),
            )
            .await
        }
        Err(ImportFailure::Store(_)) => {}
    }
    match result {
        Ok(report) => {
            tracing::info!(
                kind = kind.as_str(),
                rows = report.rows,
                actor = actor.username(),
                "import"
            );
            if kind == DatasetKind::WelfarePayments {
                // A re-imported month that was published must not show what nobody
                // published: the ledger notices the change and hides it.
                state
                    .public
                    .rebuild(engine.store(), &engine.shared_regions())
                    .await?;
            }
            if kind == DatasetKind::Contacts {
                // The next notification goes to the contacts just imported, not to the
                // ones the outbox read up to half a minute ago.
                state.outbox.reload_contacts().await?;
            }
            // The new rows are judged at once, so the walls show what the import revealed.
            let scan = run_scan(engine, &state.catalogue).await?;
            let opened: u64 = scan.rules.iter().map(|line| line.raised).sum();
            let detail = format!(
                "after importing {}: {opened} warnings opened",
                kind.as_str()
            );
            let entry = AuditEntry::new(
                state.clock.now(),
                actor.username(),
                AuditAction::Scan,
                "datasets",
            )
            .with_client(client_ip(&parts))
            .with_detail(&detail);
            crate::audit::record(engine.store(), entry).await;
            Ok(Json(ImportResponse { report, scan }))
        }
        Err(failure @ ImportFailure::Invalid(_)) => Err(refused(&failure)),
        Err(ImportFailure::Store(e)) => Err(e.into()),
    }
}

/// The upload's files, each read whole (the body limit bounds them all together).
async fn read_files(
    multipart: &mut Multipart,
    limits: &ImportLimits,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut files = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(&e, limits))?
    {
        if files.len() == MAX_FILES {
            let detail = format!("an upload may carry at most {MAX_FILES} files");
            return Err(ApiError::invalid("file", detail));
        }
        let name = field
            .file_name()
            .map(|name| name.chars().take(200).collect::<String>())
            .unwrap_or_else(|| format!("upload-{}.csv", files.len() + 1));
        let bytes = field.bytes().await.map_err(|e| unreadable(&e, limits))?;
        files.push((name, bytes.to_vec()));
    }
    if files.is_empty() {
        return Err(ApiError::invalid("file", "attach at least one file part"));
    }
    Ok(files)
}

/// A body that could not be read: too large (413, naming the limit) or not multipart.
fn unreadable(error: &axum::extract::multipart::MultipartError, limits: &ImportLimits) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            format!(
                "the upload is over the limit max_file_bytes = {} bytes",
                limits.max_file_bytes
            ),
        )
        .with(json!({ "limit": "max_file_bytes", "max": limits.max_file_bytes }));
    }
    ApiError::invalid(
        "file",
        format!("the upload is not valid multipart: {error}"),
    )
}

/// A refused import: 413 naming the limit when a file is over one, else 422 with every
/// problem listed.
fn refused(failure: &ImportFailure) -> ApiError {
    let ImportFailure::Invalid(errors) = failure else {
        unreachable!("only refusals are rendered here");
    };
    let list: Vec<Value> = errors
        .errors()
        .iter()
        .map(|e| {
            let mut entry = json!({"file": e.file, "row": e.row, "column": e.column, "value": e.value, "reason": e.reason});
            if let Some(limit) = e.limit {
                entry["limit"] = json!(limit.as_str());
            }
            entry
        })
        .collect();
    if let Some(limit) = failure.limit() {
        let first = errors.errors().iter().find(|e| e.limit.is_some());
        let detail = first.map_or_else(String::new, ToString::to_string);
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "import_too_large",
            format!("{detail}; nothing was imported"),
        )
        .with(json!({ "limit": limit.as_str(), "errors": list }));
    }
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_refused",
        format!("{} problem(s) found; nothing was imported", list.len()),
    )
    .with(json!({ "errors": list }))
}
