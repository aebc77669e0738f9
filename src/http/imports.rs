//! `POST /api/imports/{kind}`: the city office uploads dataset files (multipart, one or
//! more `file` parts). The whole upload is checked before anything is written; a refused
//! upload answers 422 with every bad cell listed.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use crate::auth::Role;
use crate::import::DatasetKind;
use crate::import::service::{ImportFailure, import_files};
use crate::scan::run_scan;

/// The largest upload accepted, in bytes (a million-row CSV is about 100 MB).
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

pub async fn upload(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(kind): Path<String>,
    mut multipart: Multipart,
) -> Result<Json<Value>, ApiError> {
    if actor.role() != Role::CityOffice {
        return Err(ApiError::forbidden("only the city office imports datasets"));
    }
    let kind = DatasetKind::parse(&kind).map_err(|e| ApiError::not_found(e.to_string()))?;
    let mut files = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::invalid("file", format!("the upload is not valid multipart: {e}")))?
    {
        let name = field
            .file_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("upload-{}.csv", files.len() + 1));
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::invalid("file", format!("{name} could not be read: {e}")))?;
        files.push((name, bytes.to_vec()));
    }
    if files.is_empty() {
        return Err(ApiError::invalid("file", "attach at least one file part"));
    }
    let engine = &state.engine;
    match import_files(engine.store(), engine.regions(), kind, &files).await {
        Ok(report) => {
            tracing::info!(
                kind = kind.as_str(),
                rows = report.rows,
                actor = actor.username(),
                "import"
            );
            // The new rows are judged at once, so the walls show what the import revealed.
            let scan = run_scan(engine, &state.catalogue).await?;
            let mut body = serde_json::to_value(report).expect("reports serialize");
            body["scan"] = serde_json::to_value(scan).expect("reports serialize");
            Ok(Json(body))
        }
        Err(ImportFailure::Invalid(errors)) => {
            let list: Vec<Value> = errors
                .errors()
                .iter()
                .map(|e| json!({"file": e.file, "row": e.row, "column": e.column, "value": e.value, "reason": e.reason}))
                .collect();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_refused",
                format!("{} problem(s) found; nothing was imported", list.len()),
            )
            .with(json!({ "errors": list })))
        }
        Err(ImportFailure::Store(e)) => Err(e.into()),
    }
}
