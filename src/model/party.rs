use serde::Serialize;

use crate::input::{check_text, FromJson};
use crate::output::ToJson;

/// A member, a role or a team: who can own a case, receive a handoff or be assigned a step.
/// Its id is only bounded in length here: validation reports an id that is not one (a
/// definition being edited), while a case's parties are checked strictly (`case::state`).
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Party {
    pub kind: PartyKind,
    #[json(check = check_text)]
    pub id: String,
}

impl Clone for Party {
    fn clone(&self) -> Self {
        Party { kind: self.kind, id: self.id.clone() }
    }

    /// Reuses this party's id buffer (a derived `Clone` would allocate a new one): applying an
    /// assignment or a change of owner overwrites a party in place.
    fn clone_from(&mut self, source: &Self) {
        self.kind = source.kind;
        self.id.clone_from(&source.id);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
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
}

crate::input::deserialize_with_reader!(Party);
crate::input::owned!(Party);
