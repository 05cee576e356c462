use crate::read::read_object;
use serde::Serialize;

/// A member, a role or a team: who can own a case, receive a handoff or be assigned a step.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Party {
    pub kind: PartyKind,
    pub id: String,
}

read_object!(Party "a party { kind, id }" { kind: "kind", id: "id" });

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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

    pub(crate) fn check_limits(&self, at: &crate::input::At) -> crate::Result<()> {
        crate::input::check_text(&self.id, &at.key("id"))
    }
}

impl<'de> crate::read::FromJson<'de> for PartyKind {
    fn read(reader: &mut crate::json::Reader<'de>, at: &crate::input::At) -> crate::Result<Self> {
        crate::read::variant(
            reader,
            at,
            &[("member", PartyKind::Member), ("role", PartyKind::Role), ("team", PartyKind::Team)],
        )
    }
}

crate::read::deserialize_with_reader!(Party);
