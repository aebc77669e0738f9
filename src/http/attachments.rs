//! Photos of a rectification: `POST /api/warnings/{id}/attachments` (multipart, one image
//! per request) and `GET /api/attachments/{id}`. A file is judged by its first bytes, never
//! by its name or the type the browser claims, so a text file renamed `.png` is refused.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::wire::{AttachmentView, Problem};
use crate::auth::can_write;
use crate::store::Attachment;
use crate::workflow::Warning;
use crate::workflow::command::allowed_commands;

/// The largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// The largest request body. Well above one photo, so that an oversized photo is read to
/// its end and answered with a 422 naming it (rather than a connection cut mid-upload).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// The most photos one rectification may cite.
pub const MAX_PHOTOS_PER_SUBMISSION: usize = 20;

/// `POST /api/warnings/{id}/attachments`: stores one image for the warning and answers
/// `{"id","name","content_type","size"}`. The uploader must be able to change the
/// warning's region (its steward, or an office above it); unreadable warnings are 404.
///
/// With an `Idempotency-Key` header the upload is done at most once: the photo's id is
/// derived from the uploader, the warning and the key, so a tablet that resends a queued
/// photo after a lost answer gets the first upload back (200) instead of a second copy;
/// the same key with another file is refused (422 `idempotency_key_reused`).
#[utoipa::path(post, path = "/api/warnings/{id}/attachments", tag = "warnings",
    summary = "Attach a photo (JPEG, PNG or WebP, at most 5 MB) to a warning, to cite in a rectification",
    params(
        ("id" = String, Path, description = "The warning's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Upload at most once: the same key and file again answer the first photo (200)"),
    ),
    request_body(content_type = "multipart/form-data", description = "One file part: the photo"),
    responses(
        (status = 201, description = "Stored", body = AttachmentView),
        (status = 200, description = "Already stored under this Idempotency-Key", body = AttachmentView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not change this warning", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warning the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The warning takes no evidence in its state", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The request is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not one readable image, or the key was used for another file", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A photo quota is full (`quota`, `limit`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let key = super::warnings::idempotency_key(&headers)?;
    let warning = state.engine.warning_for(&actor, &id)?;
    if !can_write(&actor, &warning.region) {
        return Err(ApiError::forbidden(format!(
            "a {} of {} may not attach files to a warning of region {}",
            actor.role().as_str(),
            actor.region().as_str(),
            warning.region.as_str()
        )));
    }
    let store = state.engine.store();
    let attachment_id = match &key {
        Some(key) => keyed_id(actor.username(), &warning.id, key),
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    if let Some(key) = &key
        && let Some(first) = store.get_attachment(&attachment_id).await?
    {
        let (name, _, bytes) = read_upload(multipart).await?;
        return replay(first, &name, &bytes, key);
    }
    check_takes_evidence(&state, &warning)?;
    check_quota(&state, &warning.id, actor.username()).await?;
    let (name, content_type, bytes) = read_upload(multipart).await?;
    let attachment = Attachment {
        id: attachment_id,
        warning: warning.id.clone(),
        name,
        content_type: content_type.to_string(),
        bytes,
        uploaded_by: actor.username().to_string(),
        at: state.engine.now(),
    };
    if let Err(error) = store.put_attachment(&attachment).await {
        // Two sends of one key raced: the one that lost finds the winner's photo.
        if let Some(key) = &key
            && let Some(first) = store.get_attachment(&attachment.id).await?
        {
            return replay(first, &attachment.name, &attachment.bytes, key);
        }
        return Err(error.into());
    }
    tracing::info!(warning = %warning.id, attachment = %attachment.id, size = attachment.bytes.len(), actor = actor.username(), "attachment");
    Ok((StatusCode::CREATED, Json(attachment_view(&attachment))))
}

/// The multipart body's one image part (other parts are skipped).
async fn read_upload(
    mut multipart: Multipart,
) -> Result<(String, &'static str, Vec<u8>), ApiError> {
    let mut photo = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::invalid("file", format!("the upload is not valid multipart: {e}")))?
    {
        if field.file_name().is_none() {
            continue;
        }
        if photo.is_some() {
            return Err(ApiError::invalid("file", "send one photo per request"));
        }
        photo = Some(read_photo(field).await?);
    }
    photo.ok_or_else(|| ApiError::invalid("file", "attach one image file part"))
}

/// The id of the photo a user uploads to a warning under an idempotency key: the first 32
/// hex digits of a SHA-256, the same form as a random id, and unguessable without the key.
fn keyed_id(username: &str, warning: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("qingfeng-attachment\n{username}\n{warning}\n{key}"));
    hex::encode(&digest[..16])
}

/// The answer to a resent upload: the first one's, if it is the same file.
fn replay(
    first: Attachment,
    name: &str,
    bytes: &[u8],
    key: &str,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    if first.name != name || first.bytes != bytes {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!("Idempotency-Key {key} was already used for a different photo"),
        ));
    }
    Ok((StatusCode::OK, Json(attachment_view(&first))))
}

fn attachment_view(attachment: &Attachment) -> AttachmentView {
    AttachmentView {
        id: attachment.id.clone(),
        name: attachment.name.clone(),
        content_type: attachment.content_type.clone(),
        size: attachment.bytes.len(),
    }
}

/// `GET /api/attachments/{id}`: the image, to anyone who may read its warning's region.
#[utoipa::path(get, path = "/api/attachments/{id}", tag = "warnings",
    summary = "A photo, to whoever may read its warning",
    params(("id" = String, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The image", content_type = "image/*"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such photo the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("attachment {id} not found"));
    if !is_attachment_id(&id) {
        return Err(missing());
    }
    let attachment = state
        .engine
        .store()
        .get_attachment(&id)
        .await?
        .ok_or_else(missing)?;
    // Whoever cannot read the warning is told the attachment does not exist.
    state
        .engine
        .warning_for(&actor, &attachment.warning)
        .map_err(|_| missing())?;
    let content_type = HeaderValue::from_str(&attachment.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        // An attachment never changes; only the signed-in browser may keep it.
        .header(header::CACHE_CONTROL, "private, max-age=86400, immutable")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(attachment.bytes))
        .map_err(|e| ApiError::internal(&e))
}

/// A photo is proof of a rectification, so it is taken only while the warning's state
/// accepts one (`submit_rectification` applies); a closed or verified warning takes none.
fn check_takes_evidence(state: &AppState, warning: &Warning) -> Result<(), ApiError> {
    let allowed = allowed_commands(warning, state.engine.now(), state.engine.settings());
    if allowed.contains(&"submit_rectification") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "evidence_not_taken",
        format!(
            "warning {} is {}; photos are taken only while a rectification may be submitted",
            warning.id,
            warning.step.as_str()
        ),
    )
    .with(json!({ "state": warning.step.as_str() })))
}

/// Holds the warning and the uploader to the configured photo quotas (429 naming the
/// quota). Two uploads racing past the same count may overshoot by the requests in
/// flight, which the per-request size bounds.
async fn check_quota(state: &AppState, warning: &str, uploader: &str) -> Result<(), ApiError> {
    let quota = state.settings.photos;
    let since = state.engine.now() - chrono::Duration::hours(24);
    let (on_warning, by_user) = state
        .engine
        .store()
        .attachment_counts(warning, uploader, since)
        .await?;
    let over = |name: &str, limit: u64, detail: String| {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "photo_quota", detail)
            .with(json!({ "quota": name, "limit": limit }))
    };
    if on_warning >= quota.per_warning {
        return Err(over(
            "per_warning",
            quota.per_warning,
            format!(
                "warning {warning} already holds {on_warning} photos, the most one warning may hold"
            ),
        ));
    }
    if by_user >= quota.per_user_per_day {
        return Err(over(
            "per_user_per_day",
            quota.per_user_per_day,
            format!(
                "{uploader} uploaded {by_user} photos in the last 24 hours, the most allowed; try again later"
            ),
        )
        .retry_after(3600));
    }
    Ok(())
}

/// Checks that every photo a rectification cites was uploaded for this warning, so the
/// event never records an id that leads nowhere or to another warning's file.
pub async fn check_cited(state: &AppState, warning: &str, ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > MAX_PHOTOS_PER_SUBMISSION {
        return Err(ApiError::invalid(
            "photos",
            format!("a rectification may cite at most {MAX_PHOTOS_PER_SUBMISSION} photos"),
        ));
    }
    for id in ids {
        let info = if is_attachment_id(id) {
            state.engine.store().attachment_info(id).await?
        } else {
            None
        };
        match info {
            Some(info) if info.warning == warning => {}
            _ => {
                return Err(ApiError::invalid(
                    "photos",
                    format!("photo {id:?} was not uploaded for warning {warning}"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads one file part to its end, keeping at most `MAX_PHOTO_BYTES`, and judges it.
async fn read_photo(mut field: Field<'_>) -> Result<(String, &'static str, Vec<u8>), ApiError> {
    let name = clean_name(field.file_name().unwrap_or_default());
    let mut bytes = Vec::new();
    let mut size = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        ApiError::invalid("file", format!("{name} could not be read: {e}"))
            .with(json!({ "field": "file", "file": name }))
    })? {
        size += chunk.len();
        if size <= MAX_PHOTO_BYTES {
            bytes.extend_from_slice(&chunk);
        }
    }
    let refuse = |reason: String| {
        ApiError::invalid("file", format!("{name}: {reason}"))
            .with(json!({ "field": "file", "file": name }))
    };
    if size > MAX_PHOTO_BYTES {
        return Err(refuse(format!(
            "the file is {size} bytes; a photo may be at most {MAX_PHOTO_BYTES} bytes (5 MB)"
        )));
    }
    let content_type = image_type(&bytes).ok_or_else(|| {
        refuse(
            "the file is not a JPEG, PNG or WebP image (judged by its content, not its name)"
                .to_string(),
        )
    })?;
    Ok((name, content_type, bytes))
}

/// The image type by the file's signature: JPEG, PNG or WebP, nothing else.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The file name without any directory part, trimmed to a sane length.
fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if name.is_empty() {
        "photo".to_string()
    } else {
        name
    }
}

/// Ids are the simple form of a UUID; anything else cannot name an attachment.
fn is_attachment_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_judged_by_their_signature() {
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(image_type(b"hello, this is text"), None);
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(clean_name("C:\\photos\\整改.jpg"), "整改.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name(""), "photo");
    }
}
