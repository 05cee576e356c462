//! The JSON bodies of `POST /push`, `POST /pull` and the error body (SPEC §6, field for field).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::case::{CaseState, Command, StartCase};
use crate::input::{check_id, check_reason, check_timestamp, At, FromJson, Reader};
use crate::output::ToJson;

/// The second release's wire version (SPEC §13): states and commands gained fields.
pub const SCHEMA_VERSION: u32 = 2;
/// Mutations accepted in one push; more is `413 too-large`.
pub const MAX_MUTATIONS_PER_PUSH: usize = 500;
/// Cases one pull answers at most, and the page size when the client names none (SPEC §14); also
/// the most `caseIds` one pull may name.
pub const MAX_PULL_LIMIT: usize = 1_000;

/// One queued change: `{ id, caseId, kind: "startCase", input, at }` or `{ …, kind: "command",
/// command, at }`. Carries no actor: the server decides as the authenticated member.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(
        type = "{ id: number; caseId: string; at: string } & ({ kind: \"startCase\"; input: StartCase } | { kind: \"command\"; command: Command })"
    )
)]
pub struct Mutation {
    /// 1, 2, 3 … per client.
    pub id: u64,
    pub case_id: String,
    pub body: MutationBody,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MutationBody {
    StartCase(StartCase),
    Command(Command),
}

impl Serialize for Mutation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("caseId", &self.case_id)?;
        match &self.body {
            MutationBody::StartCase(input) => {
                map.serialize_entry("kind", "startCase")?;
                map.serialize_entry("input", input)?;
            }
            MutationBody::Command(command) => {
                map.serialize_entry("kind", "command")?;
                map.serialize_entry("command", command)?;
            }
        }
        map.serialize_entry("at", &self.at)?;
        map.end()
    }
}

impl ToJson for Mutation {
    fn write_json(&self, out: &mut String) {
        use crate::output::key;
        let first = &mut true;
        out.push('{');
        key(out, first, "\"id\":");
        self.id.write_json(out);
        key(out, first, "\"caseId\":");
        self.case_id.write_json(out);
        match &self.body {
            MutationBody::StartCase(input) => {
                key(out, first, "\"kind\":\"startCase\"");
                key(out, first, "\"input\":");
                input.write_json(out);
            }
            MutationBody::Command(command) => {
                key(out, first, "\"kind\":\"command\"");
                key(out, first, "\"command\":");
                command.write_json(out);
            }
        }
        key(out, first, "\"at\":");
        self.at.write_json(out);
        out.push('}');
    }
}

#[derive(FromJson)]
#[json(rename_all = "camelCase", expected = "a mutation { id, caseId, kind, input | command, at }")]
struct RawMutation {
    id: u64,
    #[json(check = check_id)]
    case_id: String,
    kind: String,
    #[json(default)]
    input: Option<StartCase>,
    #[json(default)]
    command: Option<Command>,
    #[json(check = check_timestamp)]
    at: String,
}

impl<'de> FromJson<'de> for Mutation {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        let raw = RawMutation::read(reader, at)?;
        let body = match (raw.kind.as_str(), raw.input, raw.command) {
            ("startCase", Some(input), None) => MutationBody::StartCase(input),
            ("command", None, Some(command)) => MutationBody::Command(command),
            ("startCase" | "command", _, _) => {
                return Err(crate::input::invalid(
                    at,
                    "a startCase mutation carries input, a command mutation carries command",
                ))
            }
            (other, _, _) => {
                return Err(crate::input::invalid(&at.key("kind"), format!("unknown mutation kind \"{other}\"")))
            }
        };
        Ok(Mutation { id: raw.id, case_id: raw.case_id, body, at: raw.at })
    }
}

/// A push as the server reads it: the envelope, and each mutation's id and text, which is read
/// on its own afterwards (`from_json::<Mutation>`), so that a malformed mutation is that
/// mutation's rejection and still advances the counter, while a malformed envelope is a 400.
/// The same reader as every other input: a field given twice is refused, never "last wins".
#[derive(FromJson)]
#[json(rename_all = "camelCase", expected = "a push")]
pub struct PushEnvelope<'a> {
    pub schema_version: u32,
    #[json(check = check_id)]
    pub client_id: String,
    pub mutations: Vec<PushItem<'a>>,
}

/// One mutation of a push, not yet read: its `id` and its whole text.
pub struct PushItem<'a> {
    pub id: u64,
    pub text: &'a str,
}

impl<'de> FromJson<'de> for PushItem<'de> {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        let text = reader.raw()?;
        // Field names are compared as written: a lone surrogate in one is the mutation's
        // problem, found when it is read, not the envelope's.
        let id = crate::input::read_text(text, at, |reader| {
            let mut id = None;
            reader.loose_object(&mut |reader, name| match name {
                "id" => crate::input::field(&mut id, reader, &at.key("id"), name),
                _ => reader.raw().map(drop),
            })?;
            id.ok_or_else(|| crate::input::missing_field(at, "id"))
        })?;
        if id == 0 {
            return Err(Box::new(at.key("id").error("must be 1 or more: mutations count 1, 2, 3 …")));
        }
        Ok(PushItem { id, text })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    pub schema_version: u32,
    pub client_id: String,
    pub mutations: Vec<Mutation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct PushResponse {
    pub last_mutation_id: u64,
    pub results: Vec<MutationResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, FromJson, ToJson)]
#[serde(rename_all = "lowercase")]
pub enum MutationStatus {
    Applied,
    Rejected,
    Duplicate,
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    pub id: u64,
    pub status: MutationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[json(default)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[json(default)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    pub schema_version: u32,
    #[json(check = check_id)]
    pub client_id: String,
    pub cookie: Option<String>,
    /// The most cases after the cookie's place this page may carry (the cases changed behind it
    /// since the last page come on top: `sync::Page`); the server caps it at [`MAX_PULL_LIMIT`].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(default, check = check_limit)]
    pub limit: Option<u64>,
    /// Only these cases (the ones of them the actor may see), and the cookie does not move: what
    /// `fetchCase` asks for (SPEC §14).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(default, max = MAX_PULL_LIMIT, each = check_id)]
    pub case_ids: Option<Vec<String>>,
}

fn check_limit(limit: &u64, at: &At) -> crate::Result<()> {
    if *limit == 0 {
        return Err(at.error("must be 1 or more"));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[serde(rename_all = "camelCase")]
pub struct PullResponse {
    pub cookie: String,
    pub last_mutation_id: u64,
    pub config_version: u64,
    /// Cases changed since the request's cookie; every case when it was null.
    pub cases: Vec<CaseState>,
    /// This client's rejections recorded since the cookie (on a page's last answer only).
    pub rejections: Vec<Rejection>,
    /// More cases follow: pull again with this answer's cookie (SPEC §14). A backend of the
    /// first release never says so.
    #[json(default)]
    pub more: bool,
}

/// A mutation the server refused: final, reported, never retried.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
pub struct Rejection {
    pub id: u64,
    pub code: String,
    pub message: String,
}

/// `{ "error": { "code", "message" } }`.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[json(expected = "an error")]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorBody { error: ErrorInfo { code: code.to_owned(), message: message.into() } }
    }
}

/// Cases one `POST /reassign` may name in `caseIds`.
pub const MAX_REASSIGN_CASE_IDS: usize = 1_000;

/// `POST /reassign`'s body (SPEC §10, §13): move what member `from` holds in the open cases (or
/// in those of `caseIds`) to member `to`; `dryRun` answers what would happen and changes nothing.
/// `from`, `to` and `reason` are `planReassignment`'s.
#[derive(Clone, Debug, PartialEq, FromJson)]
#[json(rename_all = "camelCase", expected = "a reassignment { from, to, reason, dryRun?, caseIds? }")]
pub struct ReassignRequest {
    #[json(check = check_id)]
    pub from: String,
    #[json(check = check_id)]
    pub to: String,
    #[json(check = check_reason)]
    pub reason: String,
    #[json(default)]
    pub dry_run: bool,
    #[json(default, max = MAX_REASSIGN_CASE_IDS, each = check_id)]
    pub case_ids: Option<Vec<String>>,
}

impl ReassignRequest {
    /// What the core plans from.
    pub fn reassignment(&self) -> crate::case::Reassignment {
        crate::case::Reassignment { from: self.from.clone(), to: self.to.clone(), reason: self.reason.clone() }
    }
}

/// `POST /migrate`'s body (SPEC §10): every open case of `workflowId` on `fromVersion` migrated
/// with `{ type: "migrateCase", toVersion, mapping, reason }`; `dryRun` answers what would
/// happen and changes nothing.
#[derive(Clone, Debug, PartialEq, FromJson)]
#[json(
    rename_all = "camelCase",
    expected = "a migration { workflowId, fromVersion, toVersion, mapping?, reason, dryRun? }"
)]
pub struct MigrateRequest {
    #[json(check = check_id)]
    pub workflow_id: String,
    pub from_version: u32,
    pub to_version: u32,
    #[json(default)]
    pub mapping: Option<std::collections::BTreeMap<String, String>>,
    #[json(check = check_reason)]
    pub reason: String,
    #[json(default)]
    pub dry_run: bool,
}
