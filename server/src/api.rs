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
use handoff_engine::input::from_json;
use handoff_engine::sync::{ErrorBody, PullRequest, PushEnvelope, MAX_MUTATIONS_PER_PUSH, SCHEMA_VERSION};
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
        .nest_service("/pkg", ServeDir::new(pkg).redirect_path_prefix("/pkg"))
        .fallback_service(ServeDir::new(www))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

/// The actor of the request's token, if it may use the server at all: a member the directory
/// lacks, or one who is deactivated, is refused every request, reads included (SPEC §8).
fn authenticate(app: &App, request: &Request) -> Result<Actor, ApiError> {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let actor = app.tokens.actor(authorization).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send Authorization: Bearer <token> with a known token.",
        )
    })?;
    if let Some(id) = actor.member_id() {
        if app.engine.roster().active_member(id).is_none() {
            return Err(ApiError::not_permitted(format!("Member {id} is not an active member of this firm.")));
        }
    }
    Ok(actor.clone())
}

/// The body as text, at most [`MAX_BODY_BYTES`].
async fn text(request: Request) -> Result<String, ApiError> {
    let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("A request body may have at most {MAX_BODY_BYTES} bytes."),
        )
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::invalid_request("The body must be UTF-8 JSON."))
}

/// A first-release client gets 426 and reloads, rather than misreading a state (SPEC §13).
fn schema(version: u32) -> Result<(), ApiError> {
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UPGRADE_REQUIRED,
        "unsupported-schema-version",
        format!("Schema version {version} is not supported; this server speaks {SCHEMA_VERSION}. Reload the app."),
    ))
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
    let actor = match authenticate(&app, &request) {
        Ok(actor) => actor,
        Err(error) => return error.into_response(),
    };
    let text = match text(request).await {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    // Read with the engine's own reader, as the module reads it: a field given twice is
    // refused, never "last wins". Each mutation is kept as text and read alone in the store.
    let envelope = match from_json::<PushEnvelope>(&text) {
        Ok(envelope) => envelope,
        Err(error) => return ApiError::invalid_request(error.message).into_response(),
    };
    if let Err(error) = schema(envelope.schema_version) {
        return error.into_response();
    }
    if envelope.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        let message = format!("A push may carry at most {MAX_MUTATIONS_PER_PUSH} mutations.");
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message).into_response();
    }
    let client_id = envelope.client_id;
    let mutations: Vec<(u64, String)> = envelope.mutations.iter().map(|item| (item.id, item.text.to_owned())).collect();
    respond(move || app.store.push(&app.engine, &client_id, &actor, &mutations)).await
}

async fn pull(State(app): State<Arc<App>>, request: Request) -> Response {
    let actor = match authenticate(&app, &request) {
        Ok(actor) => actor,
        Err(error) => return error.into_response(),
    };
    let pull = match text(request).await.and_then(|text| {
        let pull = from_json::<PullRequest>(&text).map_err(|error| ApiError::invalid_request(error.message))?;
        schema(pull.schema_version).map(|()| pull)
    }) {
        Ok(pull) => pull,
        Err(error) => return error.into_response(),
    };
    respond(move || app.store.pull(&pull.client_id, &actor, pull.cookie.as_deref(), app.config_version)).await
}

/// Clients may read it too: their engine needs it, and it holds no case data (SPEC §13).
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
