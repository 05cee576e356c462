//! Lookups into the firm's directory: who is who, who holds which role or belongs to which team,
//! and how to name a party in a sentence. Built once per engine; holds no rule about cases.

use rustc_hash::FxHashMap as HashMap;

use crate::model::{Directory, Member, Party, PartyKind};

#[derive(Debug, Default)]
pub struct Roster {
    directory: Directory,
    members: HashMap<String, usize>,
    roles: HashMap<String, usize>,
    teams: HashMap<String, usize>,
    /// Members holding each role / belonging to each team, in directory order.
    role_members: HashMap<String, Vec<usize>>,
    team_members: HashMap<String, Vec<usize>>,
}

impl Roster {
    pub fn new(directory: Directory) -> Self {
        let mut roster = Roster::default();
        for (index, member) in directory.members.iter().enumerate() {
            roster.members.entry(member.id.clone()).or_insert(index);
            for role in &member.roles {
                roster.role_members.entry(role.clone()).or_default().push(index);
            }
            for team in &member.teams {
                roster.team_members.entry(team.clone()).or_default().push(index);
            }
        }
        for (index, role) in directory.roles.iter().enumerate() {
            roster.roles.entry(role.id.clone()).or_insert(index);
        }
        for (index, team) in directory.teams.iter().enumerate() {
            roster.teams.entry(team.id.clone()).or_insert(index);
        }
        roster.directory = directory;
        roster
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.get(id).and_then(|&index| self.directory.members.get(index))
    }

    /// The member behind `id` if they exist and are active.
    pub fn active_member(&self, id: &str) -> Option<&Member> {
        self.member(id).filter(|member| member.active)
    }

    pub fn has_role(&self, id: &str) -> bool {
        self.roles.contains_key(id)
    }

    pub fn exists(&self, party: &Party) -> bool {
        self.has(party.kind, &party.id)
    }

    /// Whether the directory has a member, role or team (`kind`) with this id.
    pub fn has(&self, kind: PartyKind, id: &str) -> bool {
        self.place(kind, id).is_some()
    }

    /// Where the member, role or team (`kind`) with this id stands in its directory list.
    pub fn place(&self, kind: PartyKind, id: &str) -> Option<usize> {
        // One lookup for the three kinds: a lookup written out for each would be code thrice.
        let places = match kind {
            PartyKind::Member => &self.members,
            PartyKind::Role => &self.roles,
            PartyKind::Team => &self.teams,
        };
        places.get(id).copied()
    }

    /// Active members who can act for `party`: the member themself, or the role's holders, or
    /// the team's members.
    pub fn active_members_of(&self, party: &Party) -> Vec<&Member> {
        self.active_members_iter(party).collect()
    }

    /// Whether anyone active can act for `party`, without listing them.
    pub fn is_staffed(&self, party: &Party) -> bool {
        self.active_members_iter(party).next().is_some()
    }

    fn active_members_iter<'a>(&'a self, party: &Party) -> impl Iterator<Item = &'a Member> + use<'a> {
        let (member, holders): (Option<&Member>, &[usize]) = match party.kind {
            PartyKind::Member => (self.active_member(&party.id), &[]),
            PartyKind::Role => (None, self.role_members.get(&party.id).map_or(&[], Vec::as_slice)),
            PartyKind::Team => (None, self.team_members.get(&party.id).map_or(&[], Vec::as_slice)),
        };
        let holders = holders.iter().filter_map(|&index| self.directory.members.get(index));
        member.into_iter().chain(holders.filter(|member| member.active))
    }

    /// A party's name for a sentence: "Paula Park", "the Paralegal role", "the Documents Team".
    pub fn describe(&self, party: &Party) -> String {
        let mut out = String::new();
        self.describe_into(&mut out, party);
        out
    }

    /// `describe`, written onto `out` (validation writes a thousand of these per large workflow).
    pub fn describe_into(&self, out: &mut String, party: &Party) {
        let kind = match party.kind {
            PartyKind::Member => "member",
            PartyKind::Role => "role",
            PartyKind::Team => "team",
        };
        let name = match party.kind {
            PartyKind::Member => self.member(&party.id).map(|m| m.name.as_str()),
            PartyKind::Role => {
                self.roles.get(&party.id).and_then(|&i| self.directory.roles.get(i)).map(|r| r.name.as_str())
            }
            PartyKind::Team => {
                self.teams.get(&party.id).and_then(|&i| self.directory.teams.get(i)).map(|t| t.name.as_str())
            }
        };
        match (party.kind, name) {
            (PartyKind::Member, Some(name)) => out.push_str(name),
            (_, Some(name)) => {
                out.push_str("the ");
                out.push_str(name);
                if !ends_with_ignoring_case(name, kind) {
                    out.push(' ');
                    out.push_str(kind);
                }
            }
            (_, None) => {
                out.push_str("the unknown ");
                out.push_str(kind);
                out.push_str(" \"");
                out.push_str(&party.id);
                out.push('"');
            }
        }
    }
}

/// Whether `member` can act for `party`: is it, holds it, or belongs to it.
pub fn belongs(member: &Member, party: &Party) -> bool {
    match party.kind {
        PartyKind::Member => member.id == party.id,
        PartyKind::Role => member.roles.contains(&party.id),
        PartyKind::Team => member.teams.contains(&party.id),
    }
}

fn ends_with_ignoring_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.get(text.len() - suffix.len()..).is_some_and(|end| end.eq_ignore_ascii_case(suffix))
}
