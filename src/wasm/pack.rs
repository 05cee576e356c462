//! `validateWorkflow`'s result crosses as one packed string that `js/crossing.js` turns into the
//! same objects `JSON.parse` of its JSON would give. A 2,000-step workflow's result is five times
//! the size of its definition as JSON, so its encoding is most of the call's time: the packed
//! form names each party once, writes no keys, quotes or escapes, and is read in JS by one
//! `split` and a loop.
//!
//! Tokens are separated by U+0001. The first is `1` or `0` (ok); then the number of diagnostics
//! and, for each, its code, severity (`e`, `w`, `i`; upper case when a step id follows), message,
//! [step id,] path; then the number of timeline entries and, for each, the step id, flags (1
//! handoff, 2 client facing), owner, the number of possible owners and each of them, and worker.
//! A party is its kind's initial and its id (`mdana`, `rparalegal`); an empty token is null. A
//! result with U+0001 in any string goes as JSON instead.

use crate::model::{Party, PartyKind, WorkflowDefinition};
use crate::validate::{Diagnostic, EntryRef, Severity};
use crate::Engine;

const SEP: char = '\u{1}';

/// The packed text of `engine.validate_workflow(def)`, or its JSON when a string holds the
/// separator (then validated again: a rare case is not worth a second writer).
pub(crate) fn validation(engine: &Engine, def: &WorkflowDefinition) -> Result<String, serde_json::Error> {
    match engine.validate_workflow_with(def, packed) {
        Some(text) => Ok(text),
        None => serde_json::to_string(&engine.validate_workflow(def)),
    }
}

struct Packer {
    out: String,
    clean: bool,
}

impl Packer {
    fn text(&mut self, text: &str) {
        self.clean &= !text.contains(SEP);
        self.out.push_str(text);
        self.out.push(SEP);
    }

    fn number(&mut self, number: usize) {
        crate::digits::push(&mut self.out, number);
        self.out.push(SEP);
    }

    fn party(&mut self, party: Option<&Party>) {
        match party {
            Some(party) => {
                self.out.push(match party.kind {
                    PartyKind::Member => 'm',
                    PartyKind::Role => 'r',
                    PartyKind::Team => 't',
                });
                self.text(&party.id);
            }
            None => self.out.push(SEP),
        }
    }
}

fn packed<'a, 'b>(
    ok: bool,
    diagnostics: &'b [Diagnostic],
    timeline: &'b mut (dyn Iterator<Item = EntryRef<'a>> + 'b),
) -> Option<String> {
    let mut p = Packer { out: String::with_capacity(128 * diagnostics.len() + 4096), clean: true };
    p.out.push(if ok { '1' } else { '0' });
    p.out.push(SEP);
    p.number(diagnostics.len());
    for diagnostic in diagnostics {
        p.text(diagnostic.code.as_str());
        let severity = match diagnostic.severity {
            Severity::Error => 'e',
            Severity::Warning => 'w',
            Severity::Info => 'i',
        };
        p.out.push(if diagnostic.step_id.is_some() { severity.to_ascii_uppercase() } else { severity });
        p.out.push(SEP);
        p.text(&diagnostic.message);
        if let Some(step_id) = &diagnostic.step_id {
            p.text(step_id);
        }
        p.text(&diagnostic.path);
    }
    // The count goes first, so the entries are written behind a placeholder and it is filled in.
    let mut body = Packer { out: String::with_capacity(4096), clean: true };
    let mut count = 0;
    for entry in timeline {
        count += 1;
        body.text(entry.step_id);
        body.number(usize::from(entry.handoff) | usize::from(entry.client_facing) << 1);
        body.party(entry.owner);
        body.number(entry.possible_owners.len());
        for party in entry.possible_owners {
            body.party(Some(party));
        }
        body.party(entry.worker);
    }
    p.number(count);
    p.out.push_str(&body.out);
    (p.clean && body.clean).then_some(p.out)
}
