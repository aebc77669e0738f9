//! The HTTP API (axum). The only module, with `ws`, that knows wire formats: JSON shapes,
//! status codes, headers. Handlers are thin: parse, call the engine, render.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod browser;
pub mod challenge;
pub mod charts;
pub mod client;
pub mod contacts;
pub mod error;
pub mod imports;
pub mod ledger;
pub mod ledger_xlsx;
pub mod login;
pub mod login_guard;
pub mod maps;
pub mod metrics;
pub mod notices;
pub mod notifications;
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
pub mod warnings;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

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
    /// The notification outbox (deliveries in a warning's history, dead letters).
    pub outbox: Arc<crate::outbox::Outbox>,
}

pub fn router(state: AppState) -> Router {
    browser::with_security_headers(routes(state))
}

fn routes(state: AppState) -> Router {
    let (router, _) = api_router(state.settings.import.max_file_bytes).split_for_parts();
    router
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

/// Every route, each with its OpenAPI entry (`#[utoipa::path]` on the handler): what is
/// served and what `/api/openapi.json` documents are the same list. `import_limit` is the
/// configured import size, which only sets a body limit and is not documented.
pub fn api_router(import_limit: usize) -> OpenApiRouter<AppState> {
    use axum::extract::DefaultBodyLimit;
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(login::login).layer(DefaultBodyLimit::max(4096)))
        .routes(routes!(auth::me))
        .routes(routes!(auth::logout))
        .routes(routes!(warnings::raise, warnings::list))
        .routes(routes!(warnings::get_one))
        .routes(routes!(warnings::command))
        .routes(routes!(imports::upload).layer(DefaultBodyLimit::max(
            import_limit + imports::MULTIPART_SLACK,
        )))
        .routes(routes!(regions::tree))
        .routes(routes!(regions::summary))
        .routes(routes!(regions::overdue))
        .routes(routes!(openapi::document))
        .routes(routes!(maps::svg))
        .routes(routes!(maps::json))
        .routes(routes!(charts::chart))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(crate::ws::upgrade))
        .routes(
            routes!(attachments::upload)
                .layer(DefaultBodyLimit::max(attachments::MAX_REQUEST_BYTES)),
        )
        .routes(routes!(attachments::download))
        .routes(routes!(rules::list))
        .routes(routes!(audit::list))
        .routes(routes!(ledger::list))
        .routes(routes!(ledger_xlsx::export))
        .routes(routes!(ledger::funnel))
        .routes(routes!(publications::list, publications::decide_one))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::resend))
        .routes(routes!(contacts::list))
        .routes(routes!(contacts::put, contacts::delete).layer(DefaultBodyLimit::max(4096)))
        .merge(public_routes())
        .merge(screen_routes())
}

/// The public pages and forms, which strangers reach.
fn public_routes() -> OpenApiRouter<AppState> {
    use axum::extract::DefaultBodyLimit;
    OpenApiRouter::new()
        .routes(routes!(public::home))
        .routes(routes!(public::home_slash))
        .routes(routes!(public::region))
        .routes(routes!(public::month))
        .routes(
            routes!(public::lookup_form, public::lookup)
                .layer(DefaultBodyLimit::max(public::MAX_LOOKUP_BYTES)),
        )
        .routes(routes!(public::asset))
        .routes(
            routes!(report::form, report::submit)
                .layer(DefaultBodyLimit::max(report::MAX_REPORT_BYTES)),
        )
        .routes(routes!(report::receipt))
        .routes(routes!(report::list))
        .routes(routes!(report::unmask))
}

/// The wall, office and tablet pages.
fn screen_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(screens::root))
        .routes(routes!(screens::screens_bare))
        .routes(routes!(screens::login_page))
        .routes(routes!(screens::city_page))
        .routes(routes!(screens::town_page))
        .routes(routes!(screens::village_page))
        .routes(routes!(screens::village_worker))
        .routes(routes!(screens::audit_page))
        .routes(routes!(screens::publish_page))
        .routes(routes!(screens::notifications_page))
        .routes(routes!(screens::ledger_page))
        .routes(routes!(notices::page))
        .routes(routes!(screens::asset))
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
