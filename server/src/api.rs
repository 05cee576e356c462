//! HTTP: the sync protocol under /sync (SPEC §6), the demo at /, the package at /pkg.
//! Authenticates, has the core read the request envelope, and hands the rest to the store. The
//! one place that knows HTTP statuses: each refusal of the protocol (`sync::Refusal`) and each
//! storage failure becomes a status, a code and the refusal's message here.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use handoff_engine::case::Actor;
use handoff_engine::sync::{check_actor, ErrorBody, PullRequest, PushEnvelope, Refusal};
use serde_json::Value;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::store::{Store, StoreError};

/// Largest request body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The page may load its own scripts, styles and WebAssembly, and talk to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

pub struct App {
    pub tokens: crate::tokens::Watched,
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
    fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid-request", message)
    }
    fn too_large(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message)
    }
    fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::Malformed { .. } => ApiError::invalid_request(message),
            Refusal::SchemaVersion { .. } => {
                ApiError::new(StatusCode::UPGRADE_REQUIRED, "unsupported-schema-version", message)
            }
            Refusal::TooManyMutations => ApiError::too_large(message),
            Refusal::InactiveMember { .. } | Refusal::NotYours => {
                ApiError::new(StatusCode::FORBIDDEN, "not-permitted", message)
            }
            Refusal::Gap { .. } => ApiError::new(StatusCode::CONFLICT, "mutation-gap", message),
            Refusal::UnknownClient { .. } | Refusal::UnknownCookie => {
                ApiError::new(StatusCode::GONE, "client-state-not-found", message)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Refused(refusal) => refusal.into(),
            // The database's own words name its tables, constraints and users: they go to the
            // server's log, and the caller is told only to try again.
            StoreError::Raced(_) | StoreError::Storage(_) => {
                eprintln!("handoff-server: {error}");
                ApiError::internal("The server could not read or store this just now; try again.")
            }
        }
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
        .route("/config/change", post(change))
        .route("/config/history", get(history))
        .route("/config/{version}", get(config_version))
        .route("/cases/{case_id}/events", get(case_events))
        .route("/stuck", get(stuck))
        .route("/reassign", post(reassign))
        .route("/migrate", post(migrate))
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

/// The actor of the request's token, if it may use the server at all (`sync::check_actor`).
fn authenticate(app: &App, request: &Request) -> Result<Actor, ApiError> {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let actor = app.tokens.current().actor(authorization).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Send Authorization: Bearer <token> with a known token.",
        )
    })?;
    check_actor(&app.store.current().engine, &actor)?;
    Ok(actor)
}

/// The request's actor if it is an active admin of the configuration in use (SPEC §9, §10);
/// anyone else is told that only an admin may do `what`.
fn admin(app: &App, request: &Request, what: &str) -> Result<String, ApiError> {
    let actor = authenticate(app, request)?;
    let current = app.store.current();
    match actor.member_id().and_then(|id| current.engine.roster().active_member(id)) {
        Some(member) if member.admin => Ok(member.id.to_string()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "not-permitted", format!("Only an admin may {what}."))),
    }
}

const CONFIGURATION: &str = "read or change the configuration";

/// The body as text, at most [`MAX_BODY_BYTES`].
async fn text(request: Request) -> Result<String, ApiError> {
    let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(format!("A request body may have at most {MAX_BODY_BYTES} bytes.")))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::invalid_request("The body must be UTF-8 JSON."))
}

/// Runs a request's store operation to its end as a task of its own, and answers with its JSON
/// or its error. A task, because the request's own future is dropped when its client goes away:
/// a store operation stopped between two of its statements would leave a transaction open,
/// holding its rows' locks, on a connection the pool hands out again.
async fn respond<T, F>(work: F) -> Response
where
    T: serde::Serialize + Send + 'static,
    F: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
{
    match tokio::spawn(crate::store::counting(work)).await {
        Ok((Ok(value), read)) => with_reads(json(&value), read),
        Ok((Err(error), read)) => with_reads(error.into_response(), read),
        Err(error) => ApiError::internal(error.to_string()).into_response(),
    }
}

/// Whether responses say how many case states the store read for them
/// (`HANDOFF_COUNT_READS=1`, for the tests and the bench). Off by default: told that, a client
/// could learn whether a case it named exists.
static COUNT_READS: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("HANDOFF_COUNT_READS").is_some_and(|value| value == "1"));

/// The header that says how many case states a response's store operation read.
pub const STATES_READ_HEADER: &str = "handoff-states-read";

fn with_reads(mut response: Response, read: u64) -> Response {
    if *COUNT_READS {
        response.headers_mut().insert(STATES_READ_HEADER, HeaderValue::from(read));
    }
    response
}

/// The request's actor and its body, or the answer that refuses it.
async fn actor_and_body(app: &App, request: Request) -> Result<(Actor, String), Response> {
    let actor = authenticate(app, &request).map_err(IntoResponse::into_response)?;
    let text = text(request).await.map_err(IntoResponse::into_response)?;
    Ok((actor, text))
}

async fn push(State(app): State<Arc<App>>, request: Request) -> Response {
    let (actor, text) = match actor_and_body(&app, request).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    // Each mutation is kept as text in the envelope and read once, when the store decides it.
    respond(async move {
        let push = PushEnvelope::from_body(&text)?;
        Ok(app.store.push(&actor, &push).await?)
    })
    .await
}

async fn pull(State(app): State<Arc<App>>, request: Request) -> Response {
    let (actor, text) = match actor_and_body(&app, request).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    respond(async move {
        let pull = PullRequest::from_body(&text)?;
        Ok(app.store.pull(&actor, &pull).await?)
    })
    .await
}

/// The configuration `text` with its `configVersion`, as `GET /config` answers.
fn with_version(text: &str, version: u64) -> Result<Value, ApiError> {
    let mut body: Value = serde_json::from_str(text).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Value::Object(map) = &mut body {
        map.insert("configVersion".into(), Value::from(version));
    }
    Ok(body)
}

/// The configuration in use, read fresh (another process may have changed it). Clients may read
/// it too: their engine needs it, and it holds no case data (SPEC §13).
async fn config(State(app): State<Arc<App>>, request: Request) -> Response {
    if let Err(error) = authenticate(&app, &request) {
        return error.into_response();
    }
    respond(async move {
        let current = app.store.fresh().await?;
        with_version(&current.text, current.version)
    })
    .await
}

/// `POST /config/change` (admins; SPEC §9): the change decided inside its transaction (see
/// `change::decide`), answered with the status the decision says.
async fn change(State(app): State<Arc<App>>, request: Request) -> Response {
    let by = match admin(&app, &request, CONFIGURATION) {
        Ok(by) => by,
        Err(error) => return error.into_response(),
    };
    let text = match text(request).await {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    let change = match crate::change::read(&text) {
        Ok(change) => change,
        Err(message) => return ApiError::invalid_request(message).into_response(),
    };
    let answered = tokio::spawn(crate::store::counting(async move {
        let decide =
            |current: &crate::store::Published, open: &[handoff_engine::case::CaseState], history: &[String]| {
                crate::change::decide(&change, current, open, history)
            };
        app.store.change_config(&by, change.change_id.as_deref(), &decide).await
    }))
    .await;
    match answered {
        Ok((Ok((status, body)), read)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            with_reads((status, [(header::CONTENT_TYPE, "application/json")], body).into_response(), read)
        }
        Ok((Err(error), read)) => with_reads(ApiError::from(error).into_response(), read),
        Err(error) => ApiError::internal(error.to_string()).into_response(),
    }
}

/// `GET /config/history` (admins): every accepted change, the seed first (SPEC §9, §13).
async fn history(State(app): State<Arc<App>>, request: Request) -> Response {
    if let Err(error) = admin(&app, &request, CONFIGURATION) {
        return error.into_response();
    }
    respond(async move {
        let changes: Vec<Value> = app
            .store
            .history()
            .await?
            .into_iter()
            .map(|recorded| {
                let published: Value = serde_json::from_str(&recorded.published).unwrap_or(Value::Array(Vec::new()));
                serde_json::json!({
                    "configVersion": recorded.version,
                    "at": recorded.at,
                    "by": recorded.by,
                    "published": published,
                    "directory": recorded.directory,
                    "owners": recorded.owners,
                    "reason": recorded.reason,
                })
            })
            .collect();
        Ok(serde_json::json!({ "changes": changes }))
    })
    .await
}

/// `GET /config/{configVersion}` (admins): that configuration as it was.
async fn config_version(
    State(app): State<Arc<App>>,
    axum::extract::Path(version): axum::extract::Path<String>,
    request: Request,
) -> Response {
    if let Err(error) = admin(&app, &request, CONFIGURATION) {
        return error.into_response();
    }
    let Some(number) = version.parse::<u64>().ok().filter(|n| *n >= 1 && version == n.to_string()) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-config-version",
            format!("There is no configuration version {version}."),
        )
        .into_response();
    };
    respond(async move {
        match app.store.config_text(number).await? {
            Some(text) => with_version(&text, number),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-config-version",
                format!("There is no configuration version {number}."),
            )),
        }
    })
    .await
}

/// `GET /cases/{caseId}/events`: the audit trail (SPEC §9, §13), every stored event in `seq`
/// order for members; a client of the case gets those the core shows clients; anyone else 404.
async fn case_events(
    State(app): State<Arc<App>>,
    axum::extract::Path(case_id): axum::extract::Path<String>,
    request: Request,
) -> Response {
    let actor = match authenticate(&app, &request) {
        Ok(actor) => actor,
        Err(error) => return error.into_response(),
    };
    respond(async move {
        let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown-case", format!("There is no case {case_id}."));
        let Some((state, events)) = app.store.case_events(&case_id).await? else { return Err(unknown()) };
        let current = app.store.current();
        let shown = handoff_engine::sync::audit_trail(&current.engine, &actor, &state, events).ok_or_else(unknown)?;
        Ok(serde_json::json!({ "caseId": case_id, "events": shown }))
    })
    .await
}

/// `GET /stuck` (members; SPEC §10): the stuck work of every open case, from the index the
/// store keeps in step with every case write and configuration change, never by reading the
/// cases. A client gets `403` whatever cases exist: the answer names other people's cases.
async fn stuck(State(app): State<Arc<App>>, request: Request) -> Response {
    match authenticate(&app, &request) {
        Ok(actor) if actor.member_id().is_some() => {}
        Ok(_) => {
            return ApiError::new(StatusCode::FORBIDDEN, "not-permitted", "Only members may read the stuck work.")
                .into_response()
        }
        Err(error) => return error.into_response(),
    }
    respond(async move {
        let (version, stuck) = app.store.stuck().await?;
        Ok(serde_json::json!({ "configVersion": version, "stuck": stuck }))
    })
    .await
}

/// The admin and the body of a bulk request, read as `T`: a malformed one is `400
/// invalid-request` naming the field.
async fn admin_request<T>(app: &App, request: Request, what: &str) -> Result<(String, T), ApiError>
where
    T: for<'de> handoff_engine::input::FromJson<'de>,
{
    let by = admin(app, &request, what)?;
    let text = text(request).await?;
    let read = handoff_engine::input::from_json::<T>(&text)
        .map_err(|error| ApiError::invalid_request(error.into_parts().message))?;
    Ok((by, read))
}

/// `POST /reassign` (admins; SPEC §10, §13): the core's plan for the open cases that name
/// `from`, each command decided as the admin and the applied ones stored together.
async fn reassign(State(app): State<Arc<App>>, request: Request) -> Response {
    let (by, reassign) =
        match admin_request::<handoff_engine::sync::ReassignRequest>(&app, request, "reassign work").await {
            Ok(read) => read,
            Err(error) => return error.into_response(),
        };
    // `to` must be an active member other than `from`: the planner says so before anything is read.
    if let Err(error) = app.store.current().engine.plan_reassignment(&[], &reassign.reassignment()) {
        return ApiError::invalid_request(error.into_parts().message).into_response();
    }
    respond(async move { Ok(app.store.reassign(&by, &reassign).await?) }).await
}

/// `POST /migrate` (admins; SPEC §10): `migrateCase` on every open case of the workflow's
/// `fromVersion`, each decided and stored on its own.
async fn migrate(State(app): State<Arc<App>>, request: Request) -> Response {
    let (by, migrate) =
        match admin_request::<handoff_engine::sync::MigrateRequest>(&app, request, "migrate cases").await {
            Ok(read) => read,
            Err(error) => return error.into_response(),
        };
    if app.store.current().engine.latest_workflow(&migrate.workflow_id).is_none() {
        let message =
            format!("workflowId names \"{}\", which is no workflow of the configuration.", migrate.workflow_id);
        return ApiError::invalid_request(message).into_response();
    }
    // The command as the core reads any migrateCase, so that its mapping is checked alike.
    let command = serde_json::json!({
        "type": "migrateCase",
        "toVersion": migrate.to_version,
        "mapping": migrate.mapping.clone().unwrap_or_default(),
        "reason": migrate.reason,
    });
    let command = match handoff_engine::case::Command::from_json(&command.to_string()) {
        Ok(command) => command,
        Err(error) => return ApiError::invalid_request(error.into_parts().message).into_response(),
    };
    respond(async move {
        let results = app.store.migrate(&by, &migrate, &command).await?;
        Ok(serde_json::json!({ "results": results }))
    })
    .await
}
