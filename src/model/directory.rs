use serde::{Deserialize, Serialize};

use crate::input::{check_count, check_text, join_path, CheckInput, MAX_LIST, MAX_PARTIES};

/// The firm's people, roles and teams.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    pub members: Vec<Member>,
    pub roles: Vec<Role>,
    pub teams: Vec<Team>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Member {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub admin: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    pub name: String,
}

impl CheckInput for Directory {
    fn check_limits(&self, path: &str) -> crate::Result<()> {
        let members = join_path(path, "members");
        check_count(self.members.len(), MAX_PARTIES, &members)?;
        for (index, member) in self.members.iter().enumerate() {
            let at = format!("{members}[{index}]");
            check_text(&member.id, &join_path(&at, "id"))?;
            check_text(&member.name, &join_path(&at, "name"))?;
            for (field, list) in [("roles", &member.roles), ("teams", &member.teams)] {
                let list_path = join_path(&at, field);
                check_count(list.len(), MAX_LIST, &list_path)?;
                for (i, id) in list.iter().enumerate() {
                    check_text(id, &format!("{list_path}[{i}]"))?;
                }
            }
        }
        let roles = self.roles.iter().map(|r| (&r.id, &r.name)).collect::<Vec<_>>();
        let teams = self.teams.iter().map(|t| (&t.id, &t.name)).collect::<Vec<_>>();
        for (field, entries) in [("roles", roles), ("teams", teams)] {
            let list_path = join_path(path, field);
            check_count(entries.len(), MAX_PARTIES, &list_path)?;
            for (index, (id, name)) in entries.into_iter().enumerate() {
                check_text(id, &format!("{list_path}[{index}].id"))?;
                check_text(name, &format!("{list_path}[{index}].name"))?;
            }
        }
        Ok(())
    }
}
