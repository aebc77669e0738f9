//! The HTTP API (axum). The only module, with `ws`, that knows wire formats: JSON shapes,
//! status codes, headers. Handlers are thin: parse, call the engine, render.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod browser;
pub mod challenge;
pub mod charts;
pub mod client;
pub mod error;
pub mod imports;
pub mod login;
pub mod login_guard;
pub mod maps;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod public;
pub mod public_pages;
pub mod publications;
pub mod rate;
pub mod regions;
pub mod report;
pub mod report_pages;
pub mod rules;
pub mod screens;
pub mod token_cache;
pub mod views;
pub mod warnings;

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::engine::Engine;
pub use metrics::Metrics;

/// Shared by every handler; cheap to clone (handles only).
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// The rule catalogue a scan after each import runs.
    pub catalogue: Arc<crate::rules::catalogue::Catalogue>,
    pub metrics: Arc<Metrics>,
    /// Every region's map, drawn at start-up.
    pub maps: Arc<crate::maps::Maps>,
    /// Drawn charts, redrawn when their data changes.
    pub charts: Arc<crate::charts::ChartCache>,
    /// Recently resolved bearer tokens (`auth::resolve`).
    pub tokens: Arc<token_cache::TokenCache>,
    /// The live-stream hub the WebSocket screens join.
    pub hub: Arc<crate::ws::Hub>,
    /// Sign-in limits, check slots and the lock of unknown usernames.
    pub login: Arc<login_guard::LoginGuard>,
    /// What the deployment configured (`--security FILE`).
    pub settings: Arc<crate::security::SecuritySettings>,
    /// The time sessions and locks are measured against (injected, so tests move it).
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The public pages' ledger of published payments.
    pub public: Arc<crate::public::PublicSite>,
    /// The public forms' per-address limits.
    pub public_limits: Arc<public::PublicLimits>,
}

pub fn router(state: AppState) -> Router {
    browser::with_security_headers(routes(state))
}

fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/auth/login",
            post(login::login).layer(axum::extract::DefaultBodyLimit::max(4096)),
        )
        .route("/api/auth/me", get(auth::me))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/warnings", post(warnings::raise).get(warnings::list))
        .route("/api/warnings/{id}", get(warnings::get_one))
        .route("/api/warnings/{id}/commands", post(warnings::command))
        .route(
            "/api/imports/{kind}",
            post(imports::upload).layer(axum::extract::DefaultBodyLimit::max(
                state.settings.import.max_file_bytes + imports::MULTIPART_SLACK,
            )),
        )
        .route("/api/regions", get(regions::tree))
        .route("/api/regions/{code}/summary", get(regions::summary))
        .route("/api/overdue", get(regions::overdue))
        .route("/api/openapi.json", get(openapi::document))
        .route("/maps/{file}", get(maps::svg))
        .route("/api/maps/{code}", get(maps::json))
        .route("/charts/{file}", get(charts::chart))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/ws", get(crate::ws::upgrade))
        .route(
            "/api/warnings/{id}/attachments",
            post(attachments::upload).layer(axum::extract::DefaultBodyLimit::max(
                attachments::MAX_REQUEST_BYTES,
            )),
        )
        .route("/api/attachments/{id}", get(attachments::download))
        .route("/api/rules", get(rules::list))
        .route("/api/audit", get(audit::list))
        .route(
            "/api/publications",
            get(publications::list).post(publications::decide_one),
        )
        .route("/public", get(public::home))
        .route("/public/", get(public::home))
        .route("/public/region/{code}", get(public::region))
        .route("/public/region/{code}/{fund}/{period}", get(public::month))
        .route(
            "/public/lookup",
            get(public::lookup_form)
                .post(public::lookup)
                .layer(axum::extract::DefaultBodyLimit::max(public::MAX_LOOKUP_BYTES)),
        )
        .route("/public/assets/{file}", get(public::asset))
        .route(
            "/public/report",
            get(report::form)
                .post(report::submit)
                .layer(axum::extract::DefaultBodyLimit::max(report::MAX_REPORT_BYTES)),
        )
        .route("/public/report/{code}", get(report::receipt))
        .route("/api/warnings/{id}/reports", get(report::list))
        .route("/api/warnings/{id}/reports/unmask", post(report::unmask))
        .route("/", get(screens::root))
        .route("/screens", get(screens::screens_bare))
        .route("/screens/", get(screens::login_page))
        .route("/screens/city", get(screens::city_page))
        .route("/screens/town/{code}", get(screens::town_page))
        .route("/screens/village/{code}", get(screens::village_page))
        .route("/screens/village/sw.js", get(screens::village_worker))
        .route("/screens/audit", get(screens::audit_page))
        .route("/screens/publish", get(screens::publish_page))
        .route("/screens/assets/{file}", get(screens::asset))
        .layer(middleware::from_fn_with_state(state.clone(), browser::same_origin))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), route = %route, path = %request.uri().path())
        }))
        .with_state(state)
}

/// Counts every request by matched route and status, and times it, for `/metrics`.
async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .request(&route, response.status().as_u16(), seconds);
    response
}
