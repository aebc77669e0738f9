//! `/maps/{code}.svg` and `/api/maps/{code}`: the map of a region's children, drawn once
//! at start-up. Also the SVG response with an ETag that charts share.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::regions::readable_region;
use super::wire::{MapJson, MapShape, Problem};
use crate::auth::Actor;
use crate::maps::RenderedMap;

/// `GET /maps/{code}.svg`.
#[utoipa::path(get, path = "/maps/{file}", tag = "regions",
    summary = "A region's map as SVG (`/maps/CODE.svg`), coloured by the screens; an ETag answers repeats with 304",
    params(("file" = String, Path, description = "`CODE.svg`, CODE a 12-digit region code")),
    responses(
        (status = 200, description = "The map", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such region the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn svg(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    // The router cannot match a suffix after a parameter, so the route is `/maps/{file}`.
    let code = file.strip_suffix(".svg").ok_or_else(|| {
        ApiError::not_found(format!("{file} not found; a map is at /maps/CODE.svg"))
    })?;
    let map = readable_map(&state, &actor, code)?;
    let etag = etag_of(&map.svg);
    Ok(svg_response(&headers, &etag, map.svg.clone()))
}

/// `GET /api/maps/{code}`: the same map as JSON, for screens that build the SVG in place.
#[utoipa::path(get, path = "/api/maps/{code}", tag = "regions",
    summary = "A region's map as JSON: its children's shapes, or generated tiles where no boundary is known",
    params(("code" = String, Path, description = "A 12-digit region code")),
    responses(
        (status = 200, description = "The map", body = MapJson),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such region the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn json(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<MapJson>, ApiError> {
    let map = readable_map(&state, &actor, &code)?;
    let view = &map.view;
    let shapes = view.regions.iter().map(|r| (r, false));
    let tiles = view.tiles.iter().map(|t| (&t.region, true));
    let regions = shapes
        .chain(tiles)
        .map(|(r, tile)| MapShape {
            code: r.code.as_str().to_string(),
            name: r.name.clone(),
            d: r.d.clone(),
            label: r.label,
            tile,
        })
        .collect();
    Ok(Json(MapJson {
        code: view.code.as_str().to_string(),
        name: view.name.clone(),
        view_box: view.view_box.clone(),
        regions,
    }))
}

fn readable_map(
    state: &AppState,
    actor: &Actor,
    code: &str,
) -> Result<std::sync::Arc<RenderedMap>, ApiError> {
    let code = readable_region(state, actor, code)?;
    state
        .maps
        .get(&code)
        .ok_or_else(|| ApiError::not_found(format!("region {code} has no map")))
}

/// A strong ETag of a body.
pub(super) fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..10]))
}

/// An SVG image that browsers must revalidate (`no-cache`): 304 when the request's
/// `If-None-Match` names the current ETag, else the image.
pub(super) fn svg_response(headers: &HeaderMap, etag: &str, body: String) -> Response {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    let etag_value = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\""));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml; charset=utf-8"),
        );
        response
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::ETAG, etag_value);
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}
