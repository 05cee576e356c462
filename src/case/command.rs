//! What callers pass in to run a case: the actor and time (`Ctx`), `startCase` input, and
//! commands. Commands are read through a flat raw shape first, so that a wrong or misplaced
//! field is reported with its own path ("to", "reason") rather than as "no variant matched".

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::state::{check_clients, check_facts, check_party, check_roles};
use crate::error::{HandoffError, Result};
use crate::input::{check_id, check_reason, check_timestamp, from_json, At, FromJson, Kind, Reader};
use crate::model::{Facts, Party};
use crate::output::ToJson;

/// Who acts: a member, a client (on client-facing steps) or the system (starting cases).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, ToJson)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(type = "{ kind: \"member\"; id: string } | { kind: \"client\"; id?: string } | { kind: \"system\" }")
)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Actor {
    // `Arc`, like `Ctx::at`: every event of a command carries its actor, without a copy.
    Member {
        id: Arc<str>,
    },
    /// A client with an id may act only on cases whose `clients` hold it (SPEC §8); one
    /// without stands for "the client of this case", as the calling application vouches.
    Client {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Arc<str>>,
    },
    System,
}

#[derive(FromJson)]
#[json(expected = "an actor")]
struct RawActor {
    kind: String,
    #[json(default, check = check_id)]
    id: Option<String>,
}

impl<'de> FromJson<'de> for Actor {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        let raw = RawActor::read(reader, at)?;
        match (raw.kind.as_str(), raw.id) {
            ("member", Some(id)) => Ok(Actor::Member { id: id.into() }),
            ("member", None) => Err(crate::input::missing_field(at, "id")),
            ("client", id) => Ok(Actor::Client { id: id.map(Into::into) }),
            ("system", None) => Ok(Actor::System),
            ("system", Some(_)) => Err(crate::input::invalid(&at.key("id"), "a system actor has no id")),
            (other, _) => Err(crate::input::invalid(
                &at.key("kind"),
                format!("unknown actor kind \"{other}\": expected member, client or system"),
            )),
        }
    }
}

crate::input::deserialize_with_reader!(Actor);

impl Actor {
    pub fn member_id(&self) -> Option<&str> {
        match self {
            Actor::Member { id } => Some(id),
            Actor::Client { .. } | Actor::System => None,
        }
    }

    /// A client actor's id: `Some(None)` for a client without one, `None` for anyone else.
    pub fn client_id(&self) -> Option<Option<&str>> {
        match self {
            Actor::Client { id } => Some(id.as_deref()),
            Actor::Member { .. } | Actor::System => None,
        }
    }
}

/// The actor and the time of a call. Deciding never reads a clock.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[json(expected = "a context")]
pub struct Ctx {
    pub actor: Actor,
    /// ISO-8601 timestamp with a time zone, supplied by the caller.
    // `Arc`: every event of the command carries it, and cloning it copies nothing, so a
    // command's events allocate no copies of its time.
    #[json(check = check_timestamp)]
    pub at: Arc<str>,
}

/// `startCase` input.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
#[json(expected = "startCase input")]
pub struct StartCase {
    #[json(check = check_id)]
    pub case_id: String,
    #[json(check = check_id)]
    pub workflow_id: String,
    #[serde(default)]
    #[json(check = check_facts)]
    pub facts: Facts,
    #[serde(default)]
    #[json(check = check_roles)]
    pub case_roles: BTreeMap<String, String>,
    /// The client ids of the people this case is for (SPEC §8): at most 16, fixed at start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[json(check = check_clients)]
    pub clients: Vec<String>,
}

/// SPEC §4 `Command`.
#[derive(Clone, Debug, PartialEq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Command {
    CompleteHandoff {
        step_id: String,
        /// The member who becomes owner, for role and team targets.
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    RevertHandoff {
        step_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Claim,
    CompleteStep {
        step_id: String,
    },
    SkipStep {
        step_id: String,
        reason: String,
    },
    AssignStep {
        step_id: String,
        to: Option<Party>,
    },
    TransferOwnership {
        to: Party,
        reason: String,
    },
    SetCaseRole {
        role_id: String,
        member_id: String,
    },
    /// Who the case is for (SPEC §13): the owner or an admin, with a reason.
    SetClients {
        clients: Vec<String>,
        reason: String,
    },
    /// The pending handoff of a step gets a new target (SPEC §10): admins only, with a reason.
    RedirectHandoff {
        step_id: String,
        to: Party,
        reason: String,
    },
    /// The case moves onto another version of its workflow (SPEC §10): admins only, all or
    /// nothing.
    MigrateCase {
        /// Any whole number: one that no version has is `unknown-case-workflow`.
        to_version: u64,
        /// Old step id to new step id; a step it does not name keeps its id.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        mapping: BTreeMap<String, String>,
        reason: String,
    },
    /// The clock's command (SPEC §11), for the system actor and admins: at `ctx.at`, every
    /// deadline that has passed is acted on.
    Tick,
    /// The step is due later (SPEC §13): the owner or an admin, with a reason.
    ExtendDeadline {
        step_id: String,
        due_at: String,
        reason: String,
    },
}

impl Command {
    pub fn from_json(text: &str) -> Result<Command> {
        from_json::<RawCommand>(text)?.into_command(&At::ROOT)
    }

    pub fn step_id(&self) -> Option<&str> {
        match self {
            Command::CompleteHandoff { step_id, .. }
            | Command::RevertHandoff { step_id, .. }
            | Command::CompleteStep { step_id }
            | Command::SkipStep { step_id, .. }
            | Command::AssignStep { step_id, .. }
            | Command::RedirectHandoff { step_id, .. }
            | Command::ExtendDeadline { step_id, .. } => Some(step_id),
            Command::Claim
            | Command::Tick
            | Command::TransferOwnership { .. }
            | Command::SetCaseRole { .. }
            | Command::SetClients { .. }
            | Command::MigrateCase { .. } => None,
        }
    }
}

/// A command nested in another value (a sync mutation): its paths start at the command.
impl<'de> FromJson<'de> for Command {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        Ok(RawCommand::read(reader, at)?.into_command(at)?)
    }
}

/// Every field any command may have; `into_command` checks which belong to the type.
#[derive(FromJson)]
#[json(rename_all = "camelCase", expected = "a command { type, ... }")]
struct RawCommand {
    #[json(rename = "type")]
    kind: String,
    #[json(default)]
    step_id: Option<String>,
    #[json(default = Target::Absent)]
    to: Target,
    #[json(default)]
    reason: Option<String>,
    #[json(default)]
    role_id: Option<String>,
    #[json(default)]
    member_id: Option<String>,
    #[json(default)]
    clients: Option<Vec<String>>,
    #[json(default)]
    to_version: Option<u64>,
    #[json(default)]
    mapping: Option<BTreeMap<String, String>>,
    #[json(default, check = check_timestamp)]
    due_at: Option<String>,
}

/// `to`: a member id (completeHandoff), a party (transferOwnership, assignStep,
/// redirectHandoff), `null`, or absent.
enum Target {
    Id(String),
    Party(Party),
    Null,
    Absent,
}

impl<'de> FromJson<'de> for Target {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        match reader.kind()? {
            Kind::String => reader.text().map(|id| Target::Id(id.into_owned())),
            Kind::Null => reader.null().map(|()| Target::Null),
            Kind::Object => Party::read(reader, at).map(Target::Party),
            found => Err(crate::input::expected(at, "a member id, a party or null", found)),
        }
    }
}

/// The type of a command (what `allowedCommands` lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub enum CommandType {
    CompleteHandoff,
    RevertHandoff,
    Claim,
    CompleteStep,
    SkipStep,
    AssignStep,
    TransferOwnership,
    SetCaseRole,
    SetClients,
    RedirectHandoff,
    MigrateCase,
    Tick,
    ExtendDeadline,
}

/// Each command type's name, the fields it may have besides `type`, and those of them it needs:
/// one table, read once per command (a second match on the type's text would repeat every
/// comparison), so that each field below is read in one place.
const TYPES: [(&str, CommandType, &[&str], &[&str]); 13] = [
    ("completeHandoff", CommandType::CompleteHandoff, &["stepId", "to"], &["stepId"]),
    ("revertHandoff", CommandType::RevertHandoff, &["stepId", "reason"], &["stepId"]),
    ("claim", CommandType::Claim, &[], &[]),
    ("completeStep", CommandType::CompleteStep, &["stepId"], &["stepId"]),
    ("skipStep", CommandType::SkipStep, &["stepId", "reason"], &["stepId", "reason"]),
    ("assignStep", CommandType::AssignStep, &["stepId", "to"], &["stepId", "to"]),
    ("transferOwnership", CommandType::TransferOwnership, &["to", "reason"], &["to", "reason"]),
    ("setCaseRole", CommandType::SetCaseRole, &["roleId", "memberId"], &["roleId", "memberId"]),
    ("setClients", CommandType::SetClients, &["clients", "reason"], &["clients", "reason"]),
    ("redirectHandoff", CommandType::RedirectHandoff, &["stepId", "to", "reason"], &["stepId", "to", "reason"]),
    ("migrateCase", CommandType::MigrateCase, &["toVersion", "mapping", "reason"], &["toVersion", "reason"]),
    ("tick", CommandType::Tick, &[], &[]),
    ("extendDeadline", CommandType::ExtendDeadline, &["stepId", "dueAt", "reason"], &["stepId", "dueAt", "reason"]),
];

impl RawCommand {
    /// The command of these fields, `at` being where the command stands in its document. The
    /// fields are checked in one order whatever the type (stepId, to, roleId, memberId, clients,
    /// toVersion, mapping, dueAt, reason): the first bad or missing one is reported.
    fn into_command(self, at: &At) -> Result<Command> {
        let kind = self.kind.as_str();
        let fail = |field: &str, message: String| HandoffError::invalid_input(at.key(field).path(), message);
        let Some(&(_, command_type, allowed, needed)) = TYPES.iter().find(|(name, ..)| *name == kind) else {
            return Err(fail("type", format!("\"{kind}\" is not a command type.")));
        };
        let present = [
            ("stepId", self.step_id.is_some()),
            ("to", !matches!(self.to, Target::Absent)),
            ("reason", self.reason.is_some()),
            ("roleId", self.role_id.is_some()),
            ("memberId", self.member_id.is_some()),
            ("clients", self.clients.is_some()),
            ("toVersion", self.to_version.is_some()),
            ("mapping", self.mapping.is_some()),
            ("dueAt", self.due_at.is_some()),
        ];
        if let Some((field, _)) = present.iter().find(|(field, here)| *here && !allowed.contains(field)) {
            return Err(fail(field, format!("A {kind} command has no field {field}.")));
        }
        // An absent field: its default, unless the command needs it.
        let absent = |field: &str| match needed.contains(&field) {
            true => Err(fail(field, format!("A {kind} command needs {field}."))),
            false => Ok(()),
        };
        let id = |value: Option<String>, field: &str| match value {
            Some(value) => check_id(&value, &at.key(field)).map(|()| value),
            None => absent(field).map(|()| String::new()),
        };
        let step_id = id(self.step_id, "stepId")?;
        let handoff = command_type == CommandType::CompleteHandoff;
        let to = match self.to {
            Target::Absent => absent("to").map(|()| Target::Absent),
            Target::Id(member) if handoff => check_id(&member, &at.key("to")).map(|()| Target::Id(member)),
            Target::Party(party) if !handoff => check_party(&party, &at.key("to")).map(|()| Target::Party(party)),
            Target::Null => Ok(Target::Null),
            Target::Id(_) => Err(fail(
                "to",
                format!("In a {kind} command, to is a party: {{ \"kind\": \"member\", \"id\": \"…\" }}."),
            )),
            Target::Party(_) => Err(fail(
                "to",
                "In a completeHandoff command, to is the id of the member who becomes owner.".to_owned(),
            )),
        }?;
        let role_id = id(self.role_id, "roleId")?;
        let member_id = id(self.member_id, "memberId")?;
        let clients = match self.clients {
            Some(clients) => check_clients(&clients, &at.key("clients")).map(|()| clients),
            None => absent("clients").map(|()| Vec::new()),
        }?;
        let to_version = match self.to_version {
            Some(version) => version,
            None => absent("toVersion").map(|()| 0)?,
        };
        let mapping = self.mapping.unwrap_or_default();
        // Ids to ids, as a case's roles are, and as many.
        check_roles(&mapping, &at.key("mapping"))?;
        let due_at = match self.due_at {
            Some(due_at) => due_at,
            None => absent("dueAt").map(|()| String::new())?,
        };
        let reason = match self.reason {
            Some(text) => check_reason(&text, &at.key("reason")).map(|()| text),
            None => absent("reason").map(|()| String::new()),
        }?;
        let party = |to: Target| match to {
            Target::Party(party) => Some(party),
            _ => None,
        };
        let someone = || fail("to", format!("In a {kind} command, to names who receives it."));
        Ok(match command_type {
            CommandType::CompleteHandoff => Command::CompleteHandoff {
                step_id,
                to: match to {
                    Target::Id(member) => Some(member),
                    _ => None,
                },
            },
            CommandType::RevertHandoff => {
                Command::RevertHandoff { step_id, reason: Some(reason).filter(|r| !r.is_empty()) }
            }
            CommandType::Claim => Command::Claim,
            CommandType::CompleteStep => Command::CompleteStep { step_id },
            CommandType::SkipStep => Command::SkipStep { step_id, reason },
            CommandType::AssignStep => Command::AssignStep { step_id, to: party(to) },
            CommandType::TransferOwnership => Command::TransferOwnership { to: party(to).ok_or_else(someone)?, reason },
            CommandType::SetCaseRole => Command::SetCaseRole { role_id, member_id },
            CommandType::SetClients => Command::SetClients { clients, reason },
            CommandType::RedirectHandoff => {
                Command::RedirectHandoff { step_id, to: party(to).ok_or_else(someone)?, reason }
            }
            CommandType::MigrateCase => Command::MigrateCase { to_version, mapping, reason },
            CommandType::Tick => Command::Tick,
            CommandType::ExtendDeadline => Command::ExtendDeadline { step_id, due_at, reason },
        })
    }
}
