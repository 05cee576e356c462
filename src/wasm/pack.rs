//! `validateWorkflow`'s result crosses as one packed string that `js/unpack.js` turns into the
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

use std::fmt::Write;

use crate::model::{Party, PartyKind};
use crate::validate::{Severity, Validation};

const SEP: char = '\u{1}';

/// The packed text of `validation`, or its JSON when a string holds the separator.
pub(crate) fn validation(validation: &Validation) -> Result<String, serde_json::Error> {
    match packed(validation) {
        Some(text) => Ok(text),
        None => serde_json::to_string(validation),
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
        let _ = write!(self.out, "{number}{SEP}");
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

fn packed(validation: &Validation) -> Option<String> {
    let mut p = Packer {
        out: String::with_capacity(64 * (validation.diagnostics.len() + validation.timeline.len())),
        clean: true,
    };
    p.out.push(if validation.ok { '1' } else { '0' });
    p.out.push(SEP);
    p.number(validation.diagnostics.len());
    for diagnostic in &validation.diagnostics {
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

    p.number(validation.timeline.len());
    for entry in &validation.timeline {
        p.text(&entry.step_id);
        p.number(usize::from(entry.handoff) | usize::from(entry.client_facing) << 1);
        p.party(entry.owner.as_ref());
        p.number(entry.possible_owners.len());
        for party in &entry.possible_owners {
            p.party(Some(party));
        }
        p.party(entry.worker.as_ref());
    }
    p.clean.then_some(p.out)
}
