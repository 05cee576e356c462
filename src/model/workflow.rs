use serde::Serialize;

use std::borrow::Cow;

use super::{Condition, Party};
use crate::input::{check_text, At, FromJson, IntoOwned, MAX_STEPS};
use crate::output::ToJson;

/// One version of a workflow: its ordered steps. Its strings borrow from the JSON text it was
/// read from (`'a`), so that validating an edit copies none of them; an engine keeps an owned
/// copy (`into_owned`). (`Cow` rather than an alias of it: tsify declares it as `string`.)
/// Ids are only bounded in length when read: validation names an id that is not one.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, IntoOwned, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinition<'a> {
    #[json(check = check_text)]
    pub id: Cow<'a, str>,
    #[json(check = check_text)]
    pub name: Cow<'a, str>,
    /// An integer >= 1. Several versions of one id may coexist; new cases take the highest.
    #[json(check = at_least_one)]
    pub version: u32,
    #[json(max = MAX_STEPS)]
    pub steps: Vec<Step<'a>>,
}

fn at_least_one(version: &u32, at: &At) -> crate::Result<()> {
    match version {
        0 => Err(at.error("must be an integer of at least 1")),
        _ => Ok(()),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, IntoOwned, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Step<'a> {
    #[json(check = check_text)]
    pub id: Cow<'a, str>,
    #[json(check = check_text)]
    pub name: Cow<'a, str>,
    /// The client does this step: no handoff, no assignee, ownership unchanged.
    #[serde(default)]
    pub client_facing: bool,
    /// Who does the work; `None` means the case owner at that point. Never changes ownership.
    #[serde(default)]
    pub assignee: Option<Party>,
    /// `None` is "No Handoff"; otherwise ownership passes to `to` when the step triggers.
    #[serde(default)]
    pub handoff: Option<Handoff>,
    /// `None` means the previous step in `steps` (nothing for the first).
    #[serde(default)]
    #[json(max = MAX_STEPS, each = check_text)]
    pub after: Option<Vec<Cow<'a, str>>>,
    /// The step is skipped when this is false.
    #[serde(default)]
    #[json(check = Condition::check_limits)]
    pub when: Option<Condition>,
    /// The step's work is due this long after it triggers (SPEC §11): a duration of days,
    /// hours and minutes, checked by validation (`invalid-duration`), not when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(check = check_text)]
    pub due: Option<Cow<'a, str>>,
}

crate::input::owned!(Handoff);

/// "Handoff the case to…": an ownership transfer that must be completed before the step proceeds.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    pub to: Party,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(default = true)]
    pub required: bool,
    /// Unclaimed this long, the handoff goes to `escalate.to` instead (SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(default)]
    pub escalate: Option<Escalation>,
}

/// `handoff.escalate`: after how long unclaimed, and to whom.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// A duration, checked by validation (`invalid-duration`).
    #[json(check = check_text)]
    pub after: String,
    pub to: Party,
}
