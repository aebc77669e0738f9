//! The one error type of the HTTP API. Every error becomes `application/problem+json`
//! (RFC 9457) with a stable machine `code`; a 500 is logged with its cause chain and the
//! client only learns that something went wrong.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::wire::Problem;
use crate::engine::EngineError;
use crate::store::StoreError;
use crate::workflow::Rejection;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Extension members added to the problem document (state, allowed commands, field).
    pub extra: Value,
    /// Seconds to send as `Retry-After` (a 429 or 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            extra: Value::Null,
            retry_after: None,
        }
    }

    /// Tells the client when to try again.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn with(mut self, extra: Value) -> ApiError {
        self.extra = extra;
        self
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail)
            .with(json!({ "field": field }))
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// An unexpected failure: logged here with its cause, never shown to the client.
    pub fn internal(error: &dyn std::error::Error) -> ApiError {
        let mut chain = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error.cause_chain = %chain, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://qingfeng.example/problems/{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail,
            extra: match self.extra {
                Value::Object(extra) => extra,
                _ => Default::default(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        match error {
            EngineError::NotFound(id) => ApiError::not_found(format!("warning {id} not found")),
            EngineError::UnknownRegion(code) => ApiError::invalid(
                "region",
                format!("region {code} is not in the region tree"),
            ),
            EngineError::Rejected(rejection) => rejection.into(),
            EngineError::Conflict {
                id,
                expected,
                actual,
                state,
                allowed,
            } => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!(
                    "warning {id} was changed by someone else: expected version {expected}, it is at version {actual}"
                ),
            )
            .with(json!({ "state": state.as_str(), "version": actual, "allowed": allowed })),
            EngineError::KeyReused(key) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                format!("Idempotency-Key {key} was already used for a different request"),
            ),
            EngineError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::internal(&error)
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        match rejection {
            Rejection::Forbidden { reason } => ApiError::forbidden(reason),
            Rejection::Invalid { field, reason } => ApiError::invalid(field, reason),
            Rejection::NotApplicable {
                command,
                state,
                allowed,
                reason,
            } => ApiError::new(StatusCode::CONFLICT, "command_not_applicable", reason)
                .with(json!({ "command": command, "state": state.as_str(), "allowed": allowed })),
        }
    }
}

/// A JSON request body whose refusal is a problem document like every other error: axum's
/// own `Json` answers a malformed body in plain text. A body over its route's limit stays
/// 413; any other unreadable body (not JSON, not the shape, no JSON content type) is 422
/// with `field: "body"` and serde's words for what is wrong and where.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    rejection.body_text(),
                ))
            }
            Err(rejection) => Err(ApiError::invalid("body", rejection.body_text())),
        }
    }
}
