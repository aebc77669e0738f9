//! The OpenAPI 3.1 document of the API, served at `/api/openapi.json`. Written out here
//! beside the routes it describes; a test checks every documented path is routed.

use axum::Json;
use serde_json::{Value, json};

use crate::workflow::{Command, Step};

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

pub fn spec() -> Value {
    let problem = json!({"description": "An error", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let warning = json!({"description": "The warning", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Warning"}}}});
    let auth = json!([{"bearer": []}]);
    let states: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
    let list_parameters: Vec<Value> = [
        "region", "level", "state", "rule", "overdue", "limit", "after",
    ]
    .iter()
    .map(|p| json!({"name": p, "in": "query", "required": false, "schema": {"type": "string"}}))
    .collect();
    // Its own value: one json! this long passes the macro's recursion limit.
    let publications = json!({
                "get": {"summary": "Every imported welfare month with its payments, total and state (unpublished, published, withdrawn, changed): city office and leaders", "security": auth,
                    "responses": {"200": {"description": "`{months: [{fund, fund_name, period, payments, total_fen, total_yuan, state, decided_by, decided_at}]}`"}, "403": problem}},
                "post": {"summary": "Publish a fund's month on the public pages, or withdraw it (city office; audited)", "security": auth,
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["fund", "period", "action"], "properties": {"fund": {"type": "string"}, "period": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"}, "action": {"enum": ["publish", "withdraw"]}}}}}},
                    "responses": {"200": {"description": "The month as now decided"}, "403": problem, "409": problem, "422": problem}}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Qingfeng (清风) API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Smart supervision of village and town power, funds and projects. Errors are problem+json with a stable `code`."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "code", "detail"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "code": {"type": "string", "description": "Stable machine code, e.g. command_not_applicable, version_conflict, forbidden, invalid_field"},
                    "detail": {"type": "string"}, "state": {"type": "string"}, "allowed": {"type": "array", "items": {"type": "string"}}, "field": {"type": "string"}}},
                "Warning": {"type": "object", "required": ["id", "region", "level", "state", "version", "deadline"], "properties": {
                    "id": {"type": "string"}, "region": {"type": "string", "pattern": "^[0-9]{12}$"}, "title": {"type": "string"},
                    "severity": {"enum": ["high", "medium", "low"]}, "subject": {"type": "string"}, "rule": {"type": ["string", "null"]},
                    "evidence": {}, "level": {"enum": ["red", "yellow", "green"]},
                    "state": {"enum": states, "description": "`reminder` is a yellow reminder (到期提醒) opened by a rule whose catalogue level is yellow"},
                    "reminder": {"type": "boolean", "description": "Opened as a reminder and not turned red"},
                    "version": {"type": "integer"}, "deadline": {"type": "string", "format": "date-time"}, "overdue": {"type": "boolean"},
                    "days_overdue": {"type": ["integer", "null"]}, "supervision": {"type": ["object", "null"]},
                    "allowed": {"type": "array", "items": {"type": "string"}, "description": "Commands the caller may send now"},
                    "history": {"type": "array", "items": {"type": "object"}}}},
                "Command": {"type": "object", "required": ["type"], "properties": {
                    "type": {"enum": Command::KINDS, "description": "close_reminder {note} closes a yellow reminder (the village steward or an office); reply_publicly {text} answers the reporters of a public report on their receipt page (an office)"}, "note": {"type": "string"}, "text": {"type": "string"}, "reason": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1}, "attachments": {"type": "array", "items": {"type": "string"}},
                    "photos": {"type": "array", "items": {"type": "string"}, "description": "Same as attachments: ids from POST /api/warnings/{id}/attachments"}}},
                "Summary": {"type": "object", "properties": {
                    "red": {"type": "integer"}, "yellow": {"type": "integer"}, "green": {"type": "integer"}, "overdue": {"type": "integer"},
                    "supervised": {"type": "integer"}, "on_time_rate": {"type": ["number", "null"]}, "median_days_to_rectify": {"type": ["number", "null"]},
                    "raised_today": {"type": "integer"}, "rectified_today": {"type": "integer"}, "today_since": {"type": "string", "format": "date-time"},
                    "regions": {"type": "array"}}}
            }
        },
        "paths": {
            "/api/auth/login": {"post": {"summary": "Sign in; returns a bearer token",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "`{token, username, role, region, expires_at}`"}, "401": problem}}},
            "/api/auth/me": {"get": {"summary": "Who the token belongs to", "security": auth, "responses": {"200": {"description": "The actor"}, "401": problem}}},
            "/api/auth/logout": {"post": {"summary": "Sign out: the token the request carries stops working", "security": auth, "responses": {"204": {"description": "Signed out"}, "401": problem}}},
            "/api/warnings": {
                "post": {"summary": "Raise a warning by hand", "security": auth,
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["region", "title", "severity", "subject"], "properties": {"region": {"type": "string"}, "title": {"type": "string"}, "severity": {"enum": ["high", "medium", "low"]}, "subject": {"type": "string"}}}}}},
                    "responses": {"201": warning, "200": warning, "403": problem, "422": problem}},
                "get": {"summary": "List readable warnings", "security": auth,
                    "parameters": list_parameters,
                    "responses": {"200": {"description": "`{total, limit, next, items}`: a page, newest first; pass `next` as `after` for the page after it (null on the last); `total` counts every match, or is null when only walking more than 5,000 warnings could count them"}, "422": problem}}},
            "/api/warnings/{id}": {"get": {"summary": "One warning with its full history", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": warning, "404": problem}}},
            "/api/warnings/{id}/commands": {"post": {"summary": "Send a lifecycle command", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}, "description": "A retry with the same key returns the first result and writes nothing"},
                               {"name": "If-Match", "in": "header", "schema": {"type": "integer"}, "description": "The version the command was decided against"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Command"}}}},
                "responses": {"200": warning, "403": problem, "404": problem, "409": problem, "422": problem}}},
            "/api/imports/{kind}": {"post": {"summary": "Import dataset files (city office). The whole upload is checked first; a refused upload writes nothing and lists every bad cell", "security": auth,
                "parameters": [{"name": "kind", "in": "path", "required": true, "schema": {"enum": ["contracts", "contract_payments", "village_payments", "projects", "welfare_payments", "vehicles", "companies", "public_employees", "cadres", "relatives", "deaths", "bids"]}}],
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}},
                "responses": {"200": {"description": "`{kind, files, rows, warnings: [{file, row, column, value, message}], scan}`; a warning did not stop the import (a credit code whose check character fails, as some early codes do; a column the kind does not use)"}, "403": problem, "422": {"description": "Refused; `errors[]` has file, row, column, value, reason", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
            "/api/regions": {"get": {"summary": "The readable region tree", "security": auth, "responses": {"200": {"description": "`{regions}`"}}}},
            "/api/regions/{code}/summary": {"get": {"summary": "Counts rolled up over a region and per child", "security": auth,
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The summary", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}}}, "404": problem}}},
            "/api/overdue": {"get": {"summary": "Overdue and supervised warnings, longest overdue first", "security": auth,
                "parameters": [{"name": "region", "in": "query", "schema": {"type": "string"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}, {"name": "after", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "`{total, limit, next, items}`; pass `next` as `after` for the page after"}, "422": problem}}},
            "/maps/{code}.svg": {"get": {"summary": "Map of a region's children (a village: itself) as SVG; each shape is `<path class=\"region\" data-code data-name>`, each label `<text class=\"label\" data-code>`; no colours. Bearer or qingfeng_token cookie", "security": auth,
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The map", "content": {"image/svg+xml": {}}}, "304": {"description": "Unchanged"}, "404": problem}}},
            "/api/maps/{code}": {"get": {"summary": "The same map as JSON: `{code, name, viewBox, regions: [{code, name, d, label: [x, y]}]}`", "security": auth,
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The map"}, "404": problem}}},
            "/charts/trend.svg": {"get": {"summary": "Warnings raised and rectified (verified) per day over the last `days` days (Asia/Shanghai), within the region", "security": auth,
                "parameters": [{"name": "region", "in": "query", "schema": {"type": "string"}, "description": "Defaults to the caller's region"}, {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 366, "default": 30}}],
                "responses": {"200": {"description": "SVG; `ETag`, `Cache-Control: no-cache`", "content": {"image/svg+xml": {}}}, "304": {"description": "Unchanged"}, "404": problem, "422": problem}}},
            "/charts/rectification.svg": {"get": {"summary": "On-time rectification rate and rectified share per child region", "security": auth,
                "parameters": [{"name": "region", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "SVG; `ETag`, `Cache-Control: no-cache`", "content": {"image/svg+xml": {}}}, "304": {"description": "Unchanged"}, "404": problem}}},
            "/charts/domains.svg": {"get": {"summary": "Open and total warnings by rule domain (hand-raised: 人工线索)", "security": auth,
                "parameters": [{"name": "region", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "SVG; `ETag`, `Cache-Control: no-cache`", "content": {"image/svg+xml": {}}}, "304": {"description": "Unchanged"}, "404": problem}}},
            "/api/warnings/{id}/attachments": {"post": {"summary": "Attach one photo (JPEG, PNG or WebP by content, at most 5 MB) to a warning; cite its id in submit_rectification's `photos`", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}, "description": "A resend with the same key and file returns the first upload (200) and stores nothing"}],
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": {"description": "`{id, name, content_type, size}`"}, "200": {"description": "A resend under the same Idempotency-Key: the first upload"}, "403": problem, "404": problem, "409": {"description": "`evidence_not_taken`: the warning's state takes no rectification now"}, "429": {"description": "`photo_quota`: `quota` (per_warning, per_user_per_day) and `limit` name the quota reached"}, "422": {"description": "Refused; `file` names the file", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
            "/api/attachments/{id}": {"get": {"summary": "A photo, to those who may read its warning's region", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The image"}, "404": problem}}},
            "/api/rules": {"get": {"summary": "The enabled rules with their Chinese names", "security": auth, "responses": {"200": {"description": "`{rules: [{code, name, name_en, domain, basis, severity, deadline_days}]}`"}}}},
            "/api/audit": {"get": {"summary": "The audit log, newest first (city office): `{records: [{seq, at, actor, client, action, target, detail, hash, prev_hash}], next}`; pass `next` as `after` for older records (a page may be short and still have a `next`; null ends it). Dates are days in Asia/Shanghai", "security": auth,
                "parameters": [{"name": "action", "in": "query", "schema": {"enum": crate::audit::AuditAction::ALL.map(crate::audit::AuditAction::as_str)}},
                               {"name": "actor", "in": "query", "schema": {"type": "string"}},
                               {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "RFC 3339 or YYYY-MM-DD, inclusive"},
                               {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "RFC 3339 or YYYY-MM-DD, inclusive"},
                               {"name": "after", "in": "query", "schema": {"type": "integer"}, "description": "The previous page's `next`"},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}],
                "responses": {"200": {"description": "A page of records"}, "403": problem, "422": problem}}},
            "/api/publications": publications,
            "/api/warnings/{id}/reports": {"get": {"summary": "The public reports a warning holds: `{reports: [{category, category_name, text, phone (masked), photo, at}]}` (offices that may read it; not displays)", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The reports"}, "403": problem, "404": problem}}},
            "/api/warnings/{id}/reports/unmask": {"post": {"summary": "The reporters' phone numbers (the town or city office responsible; audited as `unmask`)", "security": auth,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "`{phones: [string|null]}`"}, "403": problem, "404": problem}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "Readiness: store reachable and projection caught up", "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format"}}}}
        }
    })
}
