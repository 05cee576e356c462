//! Who the actor is and what they may do: ownership, assignment and admin rights. Every
//! permission rule of SPEC §4 is a function here, so `decide` and `allowedCommands` agree.

use super::command::Actor;
use super::state::CaseState;
use crate::model::{Member, Party};
use crate::roster::{belongs, Roster};

/// The actor, resolved against the directory.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Who<'a> {
    Member(&'a Member),
    Client,
    System,
    /// A member id the directory lacks, or a deactivated member: may do nothing. (A client
    /// with an id that the case is not for is refused before `Who` is asked.)
    Nobody,
}

impl<'a> Who<'a> {
    pub fn of(actor: &Actor, roster: &'a Roster) -> Self {
        match actor {
            Actor::Member { id } => roster.active_member(id).map_or(Who::Nobody, Who::Member),
            Actor::Client { .. } => Who::Client,
            Actor::System => Who::System,
        }
    }

    pub fn member(self) -> Option<&'a Member> {
        match self {
            Who::Member(member) => Some(member),
            Who::Client | Who::System | Who::Nobody => None,
        }
    }

    pub fn is_admin(self) -> bool {
        self.member().is_some_and(|m| m.admin)
    }

    /// The current owner, or a member of the owning team or role.
    pub fn owns(self, state: &CaseState) -> bool {
        self.acts_for(&state.owner)
    }

    pub fn acts_for(self, party: &Party) -> bool {
        self.member().is_some_and(|m| belongs(m, party))
    }

    pub fn may_start(self) -> bool {
        matches!(self, Who::Member(_) | Who::System)
    }

    /// Owner or admin: skip, assign, set case roles, complete a handoff.
    pub fn manages(self, state: &CaseState) -> bool {
        self.owns(state) || self.is_admin()
    }

    pub fn may_complete(self, state: &CaseState, step_id: &str, client_facing: bool) -> bool {
        if client_facing {
            return matches!(self, Who::Client) || self.manages(state);
        }
        let assignee = state.steps.get(step_id).and_then(|s| s.assignee.as_ref());
        self.manages(state) || assignee.is_some_and(|a| self.acts_for(a))
    }
}
