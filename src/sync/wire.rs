//! The JSON bodies of `POST /push`, `POST /pull` and the error body (SPEC §6, field for field).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::case::{CaseState, Command, StartCase};
use crate::input::{check_id, check_timestamp, At, CheckInput};
use crate::json::Reader;
use crate::read::{read_object, FromJson};

/// The second release's wire version (SPEC §13): states and commands gained fields.
pub const SCHEMA_VERSION: u32 = 2;
/// Mutations accepted in one push; more is `413 too-large`.
pub const MAX_MUTATIONS_PER_PUSH: usize = 500;

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

struct RawMutation {
    id: u64,
    case_id: String,
    kind: String,
    input: Option<StartCase>,
    command: Option<Command>,
    at: String,
}

read_object!(RawMutation "a mutation { id, caseId, kind, input | command, at }" {
    id: "id", case_id: "caseId", kind: "kind", input: "input" = None, command: "command" = None, at: "at",
});

impl<'de> FromJson<'de> for Mutation {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::Result<Self> {
        let raw = RawMutation::read(reader, at)?;
        let body = match (raw.kind.as_str(), raw.input, raw.command) {
            ("startCase", Some(input), None) => MutationBody::StartCase(input),
            ("command", None, Some(command)) => MutationBody::Command(command),
            ("startCase" | "command", _, _) => {
                return Err(crate::read::invalid(
                    at,
                    "a startCase mutation carries input, a command mutation carries command",
                ))
            }
            (other, _, _) => {
                return Err(crate::read::invalid(&at.key("kind"), format!("unknown mutation kind \"{other}\"")))
            }
        };
        Ok(Mutation { id: raw.id, case_id: raw.case_id, body, at: raw.at })
    }
}

impl CheckInput for Mutation {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_id(&self.case_id, &at.key("caseId"))?;
        check_timestamp(&self.at, &at.key("at"))?;
        match &self.body {
            MutationBody::StartCase(input) => input.check_limits(&at.key("input")),
            MutationBody::Command(_) => Ok(()),
        }
    }
}

/// A push as the server reads it: the envelope, and each mutation's id and text, which is read
/// on its own afterwards (`from_json::<Mutation>`), so that a malformed mutation is that
/// mutation's rejection and still advances the counter, while a malformed envelope is a 400.
/// The same reader as every other input: a field given twice is refused, never "last wins".
pub struct PushEnvelope<'a> {
    pub schema_version: u32,
    pub client_id: String,
    pub mutations: Vec<PushItem<'a>>,
}

read_object!(PushEnvelope<'a> "a push { schemaVersion, clientId, mutations }" {
    schema_version: "schemaVersion", client_id: "clientId", mutations: "mutations",
});

impl CheckInput for PushEnvelope<'_> {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_id(&self.client_id, &at.key("clientId"))?;
        let mutations = at.key("mutations");
        for (index, item) in self.mutations.iter().enumerate() {
            if item.id == 0 {
                return Err(mutations.index(index).key("id").error("must be 1 or more: mutations count 1, 2, 3 …"));
            }
        }
        Ok(())
    }
}

/// One mutation of a push, not yet read: its `id` and its whole text.
pub struct PushItem<'a> {
    pub id: u64,
    pub text: &'a str,
}

impl<'de> FromJson<'de> for PushItem<'de> {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::Result<Self> {
        let text = reader.raw()?;
        // Field names are compared as written: a lone surrogate in one is the mutation's
        // problem, found when it is read, not the envelope's.
        let id = crate::json::read(text, |reader| {
            let mut id = None;
            reader.loose_object(&mut |reader, name| match name {
                "id" => crate::read::field(&mut id, reader, &at.key("id"), name),
                _ => reader.raw().map(drop),
            })?;
            id.ok_or_else(|| crate::read::missing_field(at, "id"))
        })?;
        Ok(PushItem { id, text })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    pub schema_version: u32,
    pub client_id: String,
    pub mutations: Vec<Mutation>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushResponse {
    pub last_mutation_id: u64,
    pub results: Vec<MutationResult>,
}

read_object!(PushResponse "a push response" { last_mutation_id: "lastMutationId", results: "results" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MutationStatus {
    Applied,
    Rejected,
    Duplicate,
}

impl<'de> FromJson<'de> for MutationStatus {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::Result<Self> {
        crate::read::variant(
            reader,
            at,
            &[
                ("applied", MutationStatus::Applied),
                ("rejected", MutationStatus::Rejected),
                ("duplicate", MutationStatus::Duplicate),
            ],
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    pub id: u64,
    pub status: MutationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

read_object!(MutationResult "a mutation result" {
    id: "id", status: "status", code: "code" = None, message: "message" = None,
});

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    pub schema_version: u32,
    pub client_id: String,
    pub cookie: Option<String>,
}

read_object!(PullRequest "a pull request { schemaVersion, clientId, cookie }" {
    schema_version: "schemaVersion", client_id: "clientId", cookie: "cookie",
});

impl CheckInput for PullRequest {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_id(&self.client_id, &at.key("clientId"))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullResponse {
    pub cookie: String,
    pub last_mutation_id: u64,
    pub config_version: u64,
    /// Cases changed since the request's cookie; every case when it was null.
    pub cases: Vec<CaseState>,
    /// This client's rejections recorded since the cookie.
    pub rejections: Vec<Rejection>,
}

read_object!(PullResponse "a pull response" {
    cookie: "cookie", last_mutation_id: "lastMutationId", config_version: "configVersion",
    cases: "cases", rejections: "rejections",
});

impl CheckInput for PullResponse {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        let cases = at.key("cases");
        for (index, case) in self.cases.iter().enumerate() {
            case.check_limits(&cases.index(index))?;
        }
        Ok(())
    }
}

impl CheckInput for PushResponse {
    fn check_limits(&self, _at: &At) -> crate::Result<()> {
        Ok(())
    }
}

/// A mutation the server refused: final, reported, never retried.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    pub id: u64,
    pub code: String,
    pub message: String,
}

read_object!(Rejection "a rejection { id, code, message }" { id: "id", code: "code", message: "message" });

/// `{ "error": { "code", "message" } }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}

read_object!(ErrorBody "an error body" { error: "error" });
read_object!(ErrorInfo "an error { code, message }" { code: "code", message: "message" });

impl CheckInput for ErrorBody {
    fn check_limits(&self, _at: &At) -> crate::Result<()> {
        Ok(())
    }
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorBody { error: ErrorInfo { code: code.to_owned(), message: message.into() } }
    }
}
