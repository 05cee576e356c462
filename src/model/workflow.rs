use serde::Serialize;

use super::{Condition, Party};
use crate::input::{check_count, check_text, At, CheckInput, MAX_STEPS};
use std::borrow::Cow;

use crate::read::read_object;

/// One version of a workflow: its ordered steps. Its strings borrow from the JSON text it was
/// read from (`'a`), so that validating an edit copies none of them; an engine keeps an owned
/// copy (`into_owned`). (`Cow` rather than an alias of it: tsify declares it as `string`.)
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinition<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    /// An integer >= 1. Several versions of one id may coexist; new cases take the highest.
    pub version: u32,
    pub steps: Vec<Step<'a>>,
}

read_object!(WorkflowDefinition<'a> "a workflow definition { id, name, version, steps }" { id: "id", name: "name", version: "version", steps: "steps" });

impl WorkflowDefinition<'_> {
    /// The same definition, owning its strings.
    pub fn into_owned(self) -> WorkflowDefinition<'static> {
        WorkflowDefinition {
            id: Cow::Owned(self.id.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            version: self.version,
            steps: self.steps.into_iter().map(Step::into_owned).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Step<'a> {
    pub id: Cow<'a, str>,
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
    pub after: Option<Vec<Cow<'a, str>>>,
    /// The step is skipped when this is false.
    #[serde(default)]
    pub when: Option<Condition>,
}

read_object!(Step<'a> "a step { id, name, clientFacing?, assignee?, handoff?, after?, when? }" { id: "id", name: "name", client_facing: "clientFacing" = false, assignee: "assignee" = None, handoff: "handoff" = None, after: "after" = None, when: "when" = None });

impl Step<'_> {
    /// The same step, owning its strings.
    pub fn into_owned(self) -> Step<'static> {
        Step {
            id: Cow::Owned(self.id.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            client_facing: self.client_facing,
            assignee: self.assignee,
            handoff: self.handoff,
            after: self.after.map(|after| after.into_iter().map(|id| Cow::Owned(id.into_owned())).collect()),
            when: self.when,
        }
    }
}

/// "Handoff the case to…": an ownership transfer that must be completed before the step proceeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    pub to: Party,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub required: bool,
}

read_object!(Handoff "a handoff { to, required? }" { to: "to", required: "required" = true });

impl CheckInput for WorkflowDefinition<'_> {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_text(&self.id, &at.key("id"))?;
        check_text(&self.name, &at.key("name"))?;
        if self.version == 0 {
            return Err(at.key("version").error("must be an integer of at least 1"));
        }
        let steps = at.key("steps");
        check_count(self.steps.len(), MAX_STEPS, &steps)?;
        for (index, step) in self.steps.iter().enumerate() {
            step.check_limits(&steps.index(index))?;
        }
        Ok(())
    }
}

impl Step<'_> {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        check_text(&self.id, &at.key("id"))?;
        check_text(&self.name, &at.key("name"))?;
        if let Some(assignee) = &self.assignee {
            assignee.check_limits(&at.key("assignee"))?;
        }
        if let Some(handoff) = &self.handoff {
            handoff.to.check_limits(&at.key("handoff").key("to"))?;
        }
        if let Some(after) = &self.after {
            let after_at = at.key("after");
            check_count(after.len(), MAX_STEPS, &after_at)?;
            for (i, id) in after.iter().enumerate() {
                check_text(id, &after_at.index(i))?;
            }
        }
        if let Some(when) = &self.when {
            when.check_limits(&at.key("when"))?;
        }
        Ok(())
    }
}
