//! Real responses checked against the OpenAPI document the server generates. The helpers
//! that send requests (`TestApp::get`, `command_with`, `raise`, `upload`, `attach_keyed`,
//! sign-in and sign-out) pass every answer through [`checked`], so each test that uses them
//! also checks that the status is one the document lists for that route and method, that
//! the content type is the documented one, and that a JSON body is valid against the
//! documented schema.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Value, json};

static DOCUMENT: LazyLock<Value> = LazyLock::new(qingfeng::http::openapi::spec);

/// Compiled schemas by (route, method, status, media type).
type Validators = HashMap<(String, String, u16, String), Arc<jsonschema::Validator>>;
static VALIDATORS: LazyLock<Mutex<Validators>> = LazyLock::new(Default::default);

/// Checks `response` to `METHOD path` against the document and gives it back unread.
pub async fn checked(method: &str, path: &str, response: reqwest::Response) -> reqwest::Response {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    conforms(method, path, status.as_u16(), content_type, &bytes);
    let mut rebuilt = axum::http::Response::builder().status(status);
    for (name, value) in &headers {
        rebuilt = rebuilt.header(name, value);
    }
    reqwest::Response::from(rebuilt.body(bytes).unwrap())
}

/// Panics, saying what differs, unless the answer is one the document describes.
pub fn conforms(method: &str, path: &str, status: u16, content_type: &str, body: &[u8]) {
    let method = method.to_ascii_lowercase();
    let route = route_of(path).unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"));
    let operation = &DOCUMENT["paths"][&route][&method];
    assert!(
        operation.is_object(),
        "{method} {route} is not in the document"
    );
    let response = &operation["responses"][status.to_string()];
    let listed: Vec<&String> = operation["responses"].as_object().unwrap().keys().collect();
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which the document does not list for {route} (it lists {listed:?}); body: {}",
        String::from_utf8_lossy(&body[..body.len().min(500)])
    );
    let Some(content) = response["content"].as_object() else {
        return;
    };
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let Some((documented, described)) = content.iter().find(|(name, _)| media_matches(name, media))
    else {
        panic!(
            "{method} {path} answered {status} as {content_type:?}; the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if !media.ends_with("json") {
        return;
    }
    let instance: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!("{method} {path} answered {status} with JSON that does not parse: {e}")
    });
    let key = (route.clone(), method.clone(), status, documented.clone());
    let validator = validator(key, &described["schema"]);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with a body the document does not describe:\n{}\nbody: {instance}",
        errors.join("\n")
    );
}

fn validator(key: (String, String, u16, String), schema: &Value) -> Arc<jsonschema::Validator> {
    let mut validators = VALIDATORS.lock().unwrap();
    validators
        .entry(key)
        .or_insert_with(|| {
            // The schema's `$ref`s point into `#/components`, so it is checked under a root
            // that holds them.
            let root = json!({"allOf": [schema], "components": DOCUMENT["components"]});
            Arc::new(jsonschema::validator_for(&root).expect("the document's schemas compile"))
        })
        .clone()
}

/// The document's route for a concrete path: the one whose segments match, preferring
/// literal segments to parameters (`/screens/village/sw.js` over `/screens/village/{code}`).
pub fn route_of(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    DOCUMENT["paths"]
        .as_object()?
        .keys()
        .filter_map(|route| {
            let parts: Vec<&str> = route.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    part == segment || (part.starts_with('{') && !segment.is_empty())
                });
            let params = parts.iter().filter(|p| p.starts_with('{')).count();
            fits.then_some((params, route))
        })
        .min()
        .map(|(_, route)| route.clone())
}

fn media_matches(documented: &str, actual: &str) -> bool {
    match documented.strip_suffix("/*") {
        Some(family) => actual.starts_with(&format!("{family}/")),
        None => documented == actual,
    }
}
