use serde::Serialize;

use crate::input::{check_count, check_text, At, CheckInput, MAX_LIST, MAX_PARTIES};
use crate::read::read_object;

/// The firm's people, roles and teams.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Directory {
    pub members: Vec<Member>,
    pub roles: Vec<Role>,
    pub teams: Vec<Team>,
}

read_object!(Directory "a directory { members, roles, teams }" { members: "members", roles: "roles", teams: "teams" });

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub active: bool,
    #[serde(default)]
    pub admin: bool,
}

read_object!(Member "a member { id, name, roles?, teams?, active?, admin? }" { id: "id", name: "name", roles: "roles" = Vec::new(), teams: "teams" = Vec::new(), active: "active" = true, admin: "admin" = false });

/// A role (Paralegal, Attorney) or, with the same shape, a team (Documents Team).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(hashmap_as_object, missing_as_null))]
pub struct Role {
    pub id: String,
    pub name: String,
}

read_object!(Role "a role or team { id, name }" { id: "id", name: "name" });

/// Teams have exactly the shape of roles.
#[cfg_attr(target_arch = "wasm32", tsify::declare)]
pub type Team = Role;

impl CheckInput for Directory {
    fn check_limits(&self, at: &At) -> crate::Result<()> {
        let members = at.key("members");
        check_count(self.members.len(), MAX_PARTIES, &members)?;
        for (index, member) in self.members.iter().enumerate() {
            let here = members.index(index);
            check_text(&member.id, &here.key("id"))?;
            check_text(&member.name, &here.key("name"))?;
            for (field, list) in [("roles", &member.roles), ("teams", &member.teams)] {
                let list_at = here.key(field);
                check_count(list.len(), MAX_LIST, &list_at)?;
                for (i, id) in list.iter().enumerate() {
                    check_text(id, &list_at.index(i))?;
                }
            }
        }
        for (field, entries) in [("roles", &self.roles), ("teams", &self.teams)] {
            let list_at = at.key(field);
            check_count(entries.len(), MAX_PARTIES, &list_at)?;
            for (index, entry) in entries.iter().enumerate() {
                let here = list_at.index(index);
                check_text(&entry.id, &here.key("id"))?;
                check_text(&entry.name, &here.key("name"))?;
            }
        }
        Ok(())
    }
}
