//! The wall screens: plain HTML, CSS and JavaScript modules from `screens/`, compiled into
//! the binary so a deployed server needs no files beside it and no front-end build step.
//! Pages are the same for every region; their scripts read the code from the address and
//! fetch what the signed-in token may see.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Every page and asset, by the name it is served under.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        HTML,
        include_bytes!("../../screens/index.html"),
    ),
    ("city.html", HTML, include_bytes!("../../screens/city.html")),
    ("town.html", HTML, include_bytes!("../../screens/town.html")),
    (
        "village.html",
        HTML,
        include_bytes!("../../screens/village.html"),
    ),
    (
        "audit.html",
        HTML,
        include_bytes!("../../screens/audit.html"),
    ),
    (
        "audit.js",
        JS,
        include_bytes!("../../screens/assets/audit.js"),
    ),
    (
        "audit.css",
        CSS,
        include_bytes!("../../screens/assets/audit.css"),
    ),
    ("api.js", JS, include_bytes!("../../screens/assets/api.js")),
    (
        "live.js",
        JS,
        include_bytes!("../../screens/assets/live.js"),
    ),
    (
        "wall.js",
        JS,
        include_bytes!("../../screens/assets/wall.js"),
    ),
    (
        "commands.js",
        JS,
        include_bytes!("../../screens/assets/commands.js"),
    ),
    (
        "login.js",
        JS,
        include_bytes!("../../screens/assets/login.js"),
    ),
    (
        "city.js",
        JS,
        include_bytes!("../../screens/assets/city.js"),
    ),
    (
        "town.js",
        JS,
        include_bytes!("../../screens/assets/town.js"),
    ),
    (
        "village.js",
        JS,
        include_bytes!("../../screens/assets/village.js"),
    ),
    (
        "wall.css",
        CSS,
        include_bytes!("../../screens/assets/wall.css"),
    ),
    (
        "favicon.svg",
        SVG,
        include_bytes!("../../screens/assets/favicon.svg"),
    ),
];

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// `GET /`: the wall starts at the sign-in page.
pub async fn root() -> Redirect {
    Redirect::to("/screens/")
}

/// `GET /screens` (no slash): the same page under its canonical address.
pub async fn screens_bare() -> Redirect {
    Redirect::permanent("/screens/")
}

/// `GET /screens/`: sign in, then go to the screen of the user's role and region.
pub async fn login_page() -> Response {
    serve("index.html")
}

/// `GET /screens/city`.
pub async fn city_page() -> Response {
    serve("city.html")
}

/// `GET /screens/town/{code}`.
pub async fn town_page(Path(_code): Path<String>) -> Response {
    serve("town.html")
}

/// `GET /screens/village/{code}`.
pub async fn village_page(Path(_code): Path<String>) -> Response {
    serve("village.html")
}

/// `GET /screens/audit`: the audit log (审计日志), for the city office.
pub async fn audit_page() -> Response {
    serve("audit.html")
}

/// `GET /screens/assets/{file}`: a script, the style sheet or an icon; 404 otherwise.
pub async fn asset(Path(file): Path<String>) -> Response {
    if file.ends_with(".html") {
        return not_found(&file);
    }
    serve(&file)
}

fn serve(name: &str) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return not_found(name);
    };
    let mut response = (StatusCode::OK, *body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Walls run for months: they must pick up a new version of a page at their next
    // reload, so every load revalidates.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found(name: &str) -> Response {
    super::error::ApiError::not_found(format!("no screen file named {name:?}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_unique_name_and_content() {
        for (i, (name, _, body)) in FILES.iter().enumerate() {
            assert!(!body.is_empty(), "{name} is empty");
            assert!(
                FILES[i + 1..].iter().all(|(other, _, _)| other != name),
                "{name} listed twice"
            );
        }
    }
}
