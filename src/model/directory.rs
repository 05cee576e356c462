use serde::Serialize;

use crate::input::{check_text, FromJson, MAX_LIST, MAX_PARTIES};
use crate::output::ToJson;

/// The firm's people, roles and teams.
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Directory {
    #[json(max = MAX_PARTIES)]
    pub members: Vec<Member>,
    #[json(max = MAX_PARTIES)]
    pub roles: Vec<Role>,
    #[json(max = MAX_PARTIES)]
    pub teams: Vec<Team>,
}

#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[json(check = check_text)]
    pub id: String,
    #[json(check = check_text)]
    pub name: String,
    #[serde(default)]
    #[json(max = MAX_LIST, each = check_text)]
    pub roles: Vec<String>,
    #[serde(default)]
    #[json(max = MAX_LIST, each = check_text)]
    pub teams: Vec<String>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    #[json(default = true)]
    pub active: bool,
    #[serde(default)]
    pub admin: bool,
}

/// A role (Paralegal, Attorney) or, with the same shape, a team (Documents Team).
#[derive(Clone, Debug, PartialEq, Serialize, FromJson, ToJson)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[json(expected = "a role or team")]
pub struct Role {
    #[json(check = check_text)]
    pub id: String,
    #[json(check = check_text)]
    pub name: String,
}

crate::input::owned!(Directory);

/// Teams have exactly the shape of roles.
#[cfg_attr(target_arch = "wasm32", tsify::declare)]
pub type Team = Role;
