//! `validateWorkflow`'s result crosses as one packed string that `js/crossing.js` turns into the
//! same objects `JSON.parse` of its JSON would give. A 2,000-step workflow's result is five times
//! the size of its definition as JSON, so its encoding is most of the call's time: the packed
//! form names each party once, writes no keys, quotes or escapes, and is read in JS by `indexOf`
//! and `slice`, as few tokens as it can.
//!
//! Tokens are separated by U+0001. The first is `1` or `0` (ok); then the rule codes, joined by
//! commas (so that JS holds no copy of them); then the number of diagnostics and, for each, one
//! token of the code (as `A` plus its index in that list), the severity (`e`, `w`, `i`; upper
//! case when a step id follows) and the message; then [step id,] path. Then the number of
//! timeline entries and, for each, one token of its flags as a digit (1 handoff, 2 client
//! facing, 4 the same parties as the entry before) and its step id; and unless flag 4 is set,
//! owner, the number of possible owners and each of them, and worker: along a chain of steps the
//! parties rarely change, and flag 4 halves the timeline's tokens on the benchmark's workflows.
//! A party is its kind's initial and its id (`mdana`, `rparalegal`); an empty token is null. A
//! result with U+0001 in any string goes as JSON instead.

use crate::model::{Party, PartyKind, WorkflowDefinition};
use crate::validate::{Diagnostic, EntryRef, RuleCode, Severity};
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
    fn end(&mut self) {
        self.out.push(SEP);
    }

    fn text(&mut self, text: &str) {
        self.clean &= !text.contains(SEP);
        self.out.push_str(text);
        self.end();
    }

    fn number(&mut self, number: usize) {
        crate::digits::push(&mut self.out, number);
        self.end();
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
            None => self.end(),
        }
    }
}

fn packed<'a, 'b>(
    ok: bool,
    diagnostics: &'b [Diagnostic],
    entries: usize,
    timeline: &'b mut (dyn Iterator<Item = EntryRef<'a>> + 'b),
) -> Option<String> {
    // Sized once: a 2,000-step result is a quarter of a megabyte, and growing it costs copies.
    let text: usize = diagnostics
        .iter()
        .map(|d| d.message.len() + d.path.len() + d.step_id.as_ref().map_or(0, String::len) + 32)
        .sum();
    let mut p = Packer { out: String::with_capacity(text + 48 * entries + 32), clean: true };
    p.out.push(if ok { '1' } else { '0' });
    p.end();
    for (index, code) in RuleCode::ALL.iter().enumerate() {
        if index > 0 {
            p.out.push(',');
        }
        p.out.push_str(code.as_str());
    }
    p.end();
    p.number(diagnostics.len());
    for diagnostic in diagnostics {
        // A code missing from the list (none is) would make the result cross as JSON.
        let index = RuleCode::ALL.iter().position(|code| *code == diagnostic.code)?;
        p.out.push(char::from_u32(0x41 + u32::try_from(index).ok()?)?);
        let severity = match diagnostic.severity {
            Severity::Error => 'e',
            Severity::Warning => 'w',
            Severity::Info => 'i',
        };
        p.out.push(if diagnostic.step_id.is_some() { severity.to_ascii_uppercase() } else { severity });
        p.text(&diagnostic.message);
        if let Some(step_id) = &diagnostic.step_id {
            p.text(step_id);
        }
        p.text(&diagnostic.path);
    }
    p.number(entries);
    let mut written = 0;
    let mut previous: Option<EntryRef> = None;
    for entry in timeline {
        written += 1;
        let same = previous.as_ref().is_some_and(|before| before.same_parties(&entry));
        let flags = u8::from(entry.handoff) | u8::from(entry.client_facing) << 1 | u8::from(same) << 2;
        p.out.push(char::from(b'0' + flags));
        p.text(entry.step_id);
        if same {
            continue;
        }
        p.party(entry.owner);
        let possible = entry.possible_owners();
        p.number(possible.len());
        for party in possible {
            p.party(Some(party));
        }
        p.party(entry.worker);
        previous = Some(entry);
    }
    // A count that did not hold would misread everything after it: JSON instead.
    (p.clean && written == entries).then_some(p.out)
}
