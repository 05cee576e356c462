//! HTTP: the sync protocol under /sync (SPEC §6), the demo at /, the package at /pkg. Reads and
//! checks the request envelope, authenticates, and hands the rest to the store. A malformed
//! envelope is a 400; a malformed mutation inside a good envelope is that mutation's rejection.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use handoff_engine::case::Actor;
use handoff_engine::input::{id_problem, MAX_ID_CHARS};
use handoff_engine::sync::{ErrorBody, MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION};
use handoff_engine::Engine;
use serde_json::Value;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::store::Store;
use crate::tokens::Tokens;

/// Largest request body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The page may load its own scripts, styles and WebAssembly, and talk to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

pub struct App {
    pub engine: Engine,
    pub config_json: Value,
    pub config_version: u64,
    pub tokens: Tokens,
    pub store: Store,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid-request", message)
    }
    pub fn not_permitted(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "not-permitted", message)
    }
    pub fn mutation_gap(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "mutation-gap", message)
    }
    pub fn client_state_not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::GONE, "client-state-not-found", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&ErrorBody::new(self.code, self.message)).unwrap_or_default();
        (self.status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

fn json(value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => ApiError::internal(error.to_string()).into_response(),
    }
}

pub fn router(app: Arc<App>, www: PathBuf, pkg: PathBuf) -> Router {
    let sync = Router::new()
        .route("/push", post(push))
        .route("/pull", post(pull))
        .route("/config", get(config))
        .with_state(app);
    Router::new()
        .nest("/sync", sync)
        .nest_service("/pkg", ServeDir::new(pkg))
        .fallback_service(ServeDir::new(www))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

fn authenticate<'a>(app: &'a App, request: &Request) -> Result<&'a Actor, ApiError> {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    app.tokens.actor(authorization).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send Authorization: Bearer <token> with a known token.",
        )
    })
}

/// An authenticated sync request: its actor, its client id and the rest of its JSON object.
struct SyncRequest {
    actor: Actor,
    client_id: String,
    fields: serde_json::Map<String, Value>,
}

/// Authenticates, then reads the body as a JSON object with a supported `schemaVersion`, a valid
/// `clientId` and no fields but `allowed`.
async fn sync_request(app: &App, request: Request, kind: &str, allowed: &[&str]) -> Result<SyncRequest, ApiError> {
    let actor = authenticate(app, &request)?.clone();
    let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("A request body may have at most {MAX_BODY_BYTES} bytes."),
        )
    })?;
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(ApiError::invalid_request("The body must be a JSON object."));
    };
    match fields.remove("schemaVersion").as_ref().and_then(Value::as_u64) {
        Some(version) if version == u64::from(SCHEMA_VERSION) => {}
        Some(version) => {
            return Err(ApiError::new(
                StatusCode::UPGRADE_REQUIRED,
                "unsupported-schema-version",
                format!("Schema version {version} is not supported; this server speaks {SCHEMA_VERSION}."),
            ))
        }
        None => return Err(ApiError::invalid_request("schemaVersion must be a number.")),
    }
    let client_id = match fields.remove("clientId") {
        Some(Value::String(id)) if id_problem(&id).is_none() => id,
        _ => {
            return Err(ApiError::invalid_request(format!("clientId must be an id of 1 to {MAX_ID_CHARS} characters.")))
        }
    };
    if let Some(field) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid_request(format!("A {kind} has no field {field}.")));
    }
    Ok(SyncRequest { actor, client_id, fields })
}

/// Runs a store operation off the async runtime and answers with its JSON or its error.
async fn respond<T: serde::Serialize + Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => json(&value),
        Ok(Err(error)) => error.into_response(),
        Err(error) => ApiError::internal(error.to_string()).into_response(),
    }
}

async fn push(State(app): State<Arc<App>>, request: Request) -> Response {
    let SyncRequest { actor, client_id, mut fields } = match sync_request(&app, request, "push", &["mutations"]).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let Some(Value::Array(items)) = fields.remove("mutations") else {
        return ApiError::invalid_request("mutations must be an array.").into_response();
    };
    if items.len() > MAX_MUTATIONS_PER_PUSH {
        let message = format!("A push may carry at most {MAX_MUTATIONS_PER_PUSH} mutations.");
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message).into_response();
    }
    let mut mutations = Vec::with_capacity(items.len());
    for item in items {
        match item.get("id").and_then(Value::as_u64).filter(|&id| id > 0) {
            Some(id) => mutations.push((id, item)),
            None => return ApiError::invalid_request("Every mutation needs an id: 1, 2, 3 …").into_response(),
        }
    }
    respond(move || app.store.push(&app.engine, &client_id, &actor, &mutations)).await
}

async fn pull(State(app): State<Arc<App>>, request: Request) -> Response {
    let SyncRequest { actor, client_id, fields } = match sync_request(&app, request, "pull", &["cookie"]).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let cookie = match fields.get("cookie") {
        Some(Value::String(cookie)) => Some(cookie.clone()),
        Some(Value::Null) => None,
        _ => return ApiError::invalid_request("cookie must be a string or null.").into_response(),
    };
    respond(move || app.store.pull(&client_id, &actor, cookie.as_deref(), app.config_version)).await
}

async fn config(State(app): State<Arc<App>>, request: Request) -> Response {
    if let Err(error) = authenticate(&app, &request) {
        return error.into_response();
    }
    let mut body = app.config_json.clone();
    if let Value::Object(map) = &mut body {
        map.insert("configVersion".into(), Value::from(app.config_version));
    }
    json(&body)
}
