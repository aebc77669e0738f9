//! `GET /api/contacts`, `PUT /api/contacts/{id}` and `DELETE /api/contacts/{id}`: the
//! city office keeps the officials notifications reach, one at a time, beside importing
//! them as the `contacts` dataset. Every change is audited and reaches the outbox at once.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;

use super::AppState;
use super::auth::{AuthUser, city_office_only};
use super::client::client_ip;
use super::error::{ApiError, ApiJson};
use super::wire::{ContactInput, ContactList, Problem};
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::Actor;
use crate::domain::region::RegionCode;
use crate::import::DatasetKind;
use crate::import::contacts::{ContactRow, normalise_mobile, problems};
use crate::notify::contacts::Contact;

const MAX_LIMIT: usize = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Only contacts held for this region or a region within it.
    region: Option<String>,
    /// At most 500; default 200.
    limit: Option<usize>,
    /// The last `contact_id` of the previous page.
    after: Option<String>,
}

/// `GET /api/contacts?region=&limit=&after=` (city office), ordered by id.
#[utoipa::path(get, path = "/api/contacts", tag = "notifications",
    summary = "The officials notifications reach, by id (city office)",
    params(ContactQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad region or limit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(query): Query<ContactQuery>,
) -> Result<Json<ContactList>, ApiError> {
    city_office_only(&actor, "keeps the contacts")?;
    let limit = query.limit.unwrap_or(200);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let region = match query.region.as_deref() {
        Some(text) => {
            Some(RegionCode::parse(text).map_err(|e| ApiError::invalid("region", e.to_string()))?)
        }
        None => None,
    };
    let directory = state.outbox.directory();
    let mut contacts: Vec<&Contact> = directory
        .all()
        .filter(|c| region.is_none_or(|r| c.region_code.is_within(&r)))
        .filter(|c| {
            query
                .after
                .as_deref()
                .is_none_or(|after| c.contact_id.as_str() > after)
        })
        .collect();
    contacts.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
    let next = (contacts.len() > limit).then(|| contacts[limit - 1].contact_id.clone());
    contacts.truncate(limit);
    Ok(Json(ContactList {
        items: contacts.into_iter().cloned().collect(),
        next,
    }))
}

/// `PUT /api/contacts/{id}`: adds the contact or replaces the one with this id.
#[utoipa::path(put, path = "/api/contacts/{id}", tag = "notifications",
    summary = "Add or replace one contact (city office; audited)",
    params(("id" = String, Path, description = "The contact's id")),
    request_body = ContactInput,
    responses(
        (status = 200, description = "The contact as stored", body = Contact),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the route's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn put(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    city_office_only(&actor, "keeps the contacts")?;
    let region_code = RegionCode::parse(&input.region_code)
        .map_err(|e| ApiError::invalid("region_code", e.to_string()))?;
    if state.engine.regions().get(&region_code).is_none() {
        return Err(ApiError::invalid(
            "region_code",
            "not a region of this deployment's tree",
        ));
    }
    let blank_to_none = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let contact = Contact {
        contact_id: id,
        name: input.name,
        role: input.role,
        region_code,
        mobile: blank_to_none(input.mobile).map(|m| normalise_mobile(&m)),
        dingtalk_user_id: blank_to_none(input.dingtalk_user_id),
        wecom_user_id: blank_to_none(input.wecom_user_id),
        email: blank_to_none(input.email),
    };
    if let Some(problem) = problems(&contact).into_iter().next() {
        let field = if problem.column == "contact_id" {
            "id"
        } else {
            problem.column
        };
        return Err(ApiError::invalid(field, problem.reason));
    }
    let row = ContactRow {
        source_row: 0,
        contact: contact.clone(),
    };
    let json = serde_json::to_string(&crate::import::rows::Row::Contact(row))
        .expect("a contact serializes");
    let store = state.engine.store();
    store
        .put_rows(
            DatasetKind::Contacts.as_str(),
            [(contact.contact_id.clone(), json)],
        )
        .await?;
    audit(&state, &actor, &parts, "contact saved", &contact.contact_id).await;
    state.outbox.reload_contacts().await?;
    Ok(Json(contact))
}

/// `DELETE /api/contacts/{id}`.
#[utoipa::path(delete, path = "/api/contacts/{id}", tag = "notifications",
    summary = "Remove one contact (city office; audited)",
    params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contact", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    city_office_only(&actor, "keeps the contacts")?;
    let store = state.engine.store();
    if id.len() > 256
        || !store
            .delete_row(DatasetKind::Contacts.as_str(), &id)
            .await?
    {
        return Err(ApiError::not_found("no such contact"));
    }
    audit(&state, &actor, &parts, "contact removed", &id).await;
    state.outbox.reload_contacts().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit(state: &AppState, actor: &Actor, parts: &Parts, what: &str, id: &str) {
    let entry = AuditEntry::new(
        state.clock.now(),
        actor.username(),
        AuditAction::ContactChanged,
        id,
    )
    .with_client(client_ip(parts))
    .with_detail(what);
    crate::audit::record(state.engine.store(), entry).await;
}
