use serde::{Deserialize, Serialize};

/// A member, a role or a team: who can own a case, receive a handoff or be assigned a step.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub kind: PartyKind,
    pub id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    Member,
    Role,
    Team,
}

impl Party {
    pub fn member(id: impl Into<String>) -> Self {
        Party { kind: PartyKind::Member, id: id.into() }
    }
    pub fn role(id: impl Into<String>) -> Self {
        Party { kind: PartyKind::Role, id: id.into() }
    }
    pub fn team(id: impl Into<String>) -> Self {
        Party { kind: PartyKind::Team, id: id.into() }
    }

    pub(crate) fn check_limits(&self, path: &str) -> crate::Result<()> {
        crate::input::check_text(&self.id, &crate::input::join_path(path, "id"))
    }
}
