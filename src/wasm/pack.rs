//! `validateWorkflow`'s result crosses as packed text, which `unpackValidation` in js/crossing.js
//! turns into exactly what `JSON.parse` of its JSON would give: the same keys in the same order,
//! a fresh object everywhere. A 2,000-step workflow's result is five times the size of its
//! definition as JSON, so its encoding is most of the call's time: the packed form names each
//! party once, writes no keys, quotes or escapes, and is read in JS by `indexOf` and `slice`, in
//! as few tokens as it can.
//!
//! Its layout is stated once, in `VALIDATION` below. `packed` writes it (and in debug builds,
//! so in every test, checks each field it writes against it), and js/crossing.js's reader is
//! generated from it by `reader`: tests/wasm_bindings.rs fails when the file holds anything else,
//! and prints what it should hold. The keys are `Validation`'s, `Diagnostic`'s and
//! `TimelineEntry`'s serde names, which the tests compare too.
//!
//! The text is tokens, each ended by U+0001. First the names of the rule codes, the severities
//! and the party kinds, each list joined by commas (so that JS holds no copy of them); then the
//! result's record. A record is its head, one token holding a character for each field that fits
//! in one, in field order (a flag, `0` or `1`; a variant, or the length of a list of parties, as
//! a number; whether an optional field is there), then the record's first text field; and then
//! its other fields in order: a token each (a party is its kind's number and its id, null an
//! empty token), the parties of a list of parties, or a list of records' length as a token and
//! then its records. A number in a head is one character: `0` for 0, `1` for 1, and on up to
//! U+00FF. A record with `repeated` fields starts its head with `1` when they are those of the
//! record before it in its list, and then leaves them out (along a chain of steps the parties
//! rarely change, and this halves the timeline's tokens on the benchmark's workflows), else `0`.
//! A string holding U+0001 cannot be packed, nor a number past U+00FF: the result then crosses
//! as JSON instead.

use std::cell::OnceCell;

use crate::model::{Party, PartyKind, WorkflowDefinition};
use crate::validate::{Diagnostic, EntryRef, RuleCode, Severity};
use crate::Engine;

/// A record of the packed result: its fields in the order of its JSON keys.
pub(crate) struct Record {
    name: &'static str,
    fields: &'static [(&'static str, Codec)],
    /// Fields an element of a list leaves out when they are those of the element before.
    repeated: &'static [&'static str],
}

/// How a field crosses.
#[derive(Clone, Copy)]
pub(crate) enum Codec {
    Flag,
    /// A unit variant, by its number in one of the lists of names.
    Variant(Names),
    Text,
    /// A string, or no key at all (serde's `skip_serializing_if`).
    Optional,
    /// A string or null.
    Nullable,
    /// `{ kind, id }` (its kind one of `Names::Kinds`), or null.
    Party,
    /// A list of parties.
    Parties,
    /// A list of records.
    List(&'static Record),
}

/// The lists of names that cross at the head of the text, in this order.
#[derive(Clone, Copy)]
pub(crate) enum Names {
    Rules,
    Severities,
    Kinds,
}

impl Names {
    const ALL: [Names; 3] = [Names::Rules, Names::Severities, Names::Kinds];

    /// The JS variable of the list.
    fn variable(self) -> &'static str {
        match self {
            Names::Rules => "rules",
            Names::Severities => "severities",
            Names::Kinds => "kinds",
        }
    }
}

/// `validateWorkflow`'s result.
pub(crate) static VALIDATION: Record = Record {
    name: "validation",
    fields: &[("ok", Codec::Flag), ("diagnostics", Codec::List(&DIAGNOSTIC)), ("timeline", Codec::List(&ENTRY))],
    repeated: &[],
};

static DIAGNOSTIC: Record = Record {
    name: "diagnostic",
    fields: &[
        ("code", Codec::Variant(Names::Rules)),
        ("severity", Codec::Variant(Names::Severities)),
        ("message", Codec::Text),
        ("stepId", Codec::Optional),
        ("path", Codec::Text),
    ],
    repeated: &[],
};

static ENTRY: Record = Record {
    name: "entry",
    fields: &[
        ("stepId", Codec::Text),
        ("owner", Codec::Party),
        ("possibleOwners", Codec::Parties),
        ("handoff", Codec::Flag),
        ("clientFacing", Codec::Flag),
        ("worker", Codec::Party),
        ("due", Codec::Nullable),
        ("escalatesTo", Codec::Party),
    ],
    repeated: &["owner", "possibleOwners", "worker"],
};

/// The keys of a party.
const PARTY: [&str; 2] = ["kind", "id"];

const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];
const KINDS: [PartyKind; 3] = [PartyKind::Member, PartyKind::Role, PartyKind::Team];
// A new variant fails to compile here: a reminder to list it above too.
const _: fn(Severity) = |severity| match severity {
    Severity::Error | Severity::Warning | Severity::Info => {}
};
const _: fn(PartyKind) = |kind| match kind {
    PartyKind::Member | PartyKind::Role | PartyKind::Team => {}
};

const SEP: char = '\u{1}';
/// The code point of number 0.
const BASE: u32 = 0x30;
/// A number's character stays within Latin-1: one character above it would make V8 hold the
/// whole text, and every string sliced from it, in two bytes a character (slower to read).
const LIMIT: usize = 0x100 - 0x30;

/// The packed text of `engine.validate_workflow(def)`, written straight from the validation's
/// borrowed timeline; `None` when a string holds the separator (the caller sends JSON).
pub(crate) fn validation(engine: &Engine, def: &WorkflowDefinition) -> Option<String> {
    engine.validate_workflow_with(def, |ok, diagnostics, entries, timeline| packed(ok, &diagnostics, entries, timeline))
}

thread_local! {
    /// The head of every text: the lists of names, in serde's spelling.
    static NAMES: OnceCell<String> = const { OnceCell::new() };
}

/// The lists of names, each as serde writes them.
fn names() -> String {
    fn push<T: crate::output::ToJson>(head: &mut String, values: &[T]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                head.push(',');
            }
            head.push_str(crate::output::to_json(value).trim_matches('"'));
        }
        head.push(SEP);
    }
    let mut head = String::new();
    for names in Names::ALL {
        match names {
            Names::Rules => push(&mut head, &RuleCode::ALL),
            Names::Severities => push(&mut head, &SEVERITIES),
            Names::Kinds => push(&mut head, &KINDS),
        }
    }
    head
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
        .map(|d| d.message.len() + d.path.len() + d.step_id.as_ref().map_or(0, String::len) + 8)
        .sum();
    let mut w = Writer { out: String::with_capacity(text + 40 * entries + 512), clean: true, check: Check::default() };
    NAMES.with(|head| w.out.push_str(head.get_or_init(names)));
    w.begin(&VALIDATION, None);
    w.flag("ok", ok);
    w.end_head();
    w.items("diagnostics", diagnostics.len());
    for diagnostic in diagnostics {
        w.begin(&DIAGNOSTIC, None);
        let code = RuleCode::ALL.iter().position(|code| *code == diagnostic.code)?;
        w.variant("code", code)?;
        w.variant("severity", SEVERITIES.iter().position(|s| *s == diagnostic.severity)?)?;
        w.flag("stepId", diagnostic.step_id.is_some()); // whether it is there
        w.head_text("message", &diagnostic.message);
        w.optional("stepId", diagnostic.step_id.as_deref());
        w.text("path", &diagnostic.path);
        w.end();
    }
    w.items("timeline", entries);
    let mut written = 0;
    let mut previous: Option<EntryRef> = None;
    for entry in timeline {
        written += 1;
        let same = previous.as_ref().is_some_and(|before| before.same_parties(&entry));
        w.begin(&ENTRY, Some(same));
        let possible = entry.possible_owners();
        if !same {
            w.count("possibleOwners", possible.len())?;
        }
        w.flag("handoff", entry.handoff);
        w.flag("clientFacing", entry.client_facing);
        w.flag("due", entry.due.is_some()); // whether it is there
        w.head_text("stepId", entry.step_id);
        if !same {
            w.party("owner", entry.owner)?;
            for party in possible {
                w.party("possibleOwners", Some(party))?;
            }
            w.party("worker", entry.worker)?;
        }
        w.optional("due", entry.due);
        w.party("escalatesTo", entry.escalates_to)?;
        if !same {
            previous = Some(entry);
        }
        w.end();
    }
    w.end();
    // A count that did not hold would misread everything after it: JSON instead.
    (w.clean && written == entries).then_some(w.out)
}

/// Writes the packed text, in the layout's order.
struct Writer {
    out: String,
    clean: bool,
    check: Check,
}

impl Writer {
    fn char(&mut self, c: char) {
        self.out.push(c);
    }

    fn number(&mut self, n: usize) -> Option<()> {
        let c = char::from_u32(BASE + u32::try_from(n).ok()?).filter(|_| n < LIMIT)?;
        self.char(c);
        Some(())
    }

    fn token(&mut self, text: &str) {
        self.clean &= !text.contains(SEP);
        self.out.push_str(text);
        self.out.push(SEP);
    }

    /// A record starts: with whether its repeated fields are left out, if it has any.
    fn begin(&mut self, record: &'static Record, same: Option<bool>) {
        self.check.begin(record, same);
        if let Some(same) = same {
            self.char(if same { '1' } else { '0' });
        }
    }

    fn flag(&mut self, key: &'static str, flag: bool) {
        self.check.field(key);
        self.char(if flag { '1' } else { '0' });
    }

    fn variant(&mut self, key: &'static str, number: usize) -> Option<()> {
        self.check.field(key);
        self.number(number)
    }

    /// The length of a short list, which must fit in a character.
    fn count(&mut self, key: &'static str, count: usize) -> Option<()> {
        self.check.field(key);
        self.number(count)
    }

    /// The record's first text, which ends its head.
    fn head_text(&mut self, key: &'static str, text: &str) {
        self.check.field(key);
        self.token(text);
    }

    /// The end of a head without text.
    fn end_head(&mut self) {
        self.check.field("");
        self.out.push(SEP);
    }

    fn text(&mut self, key: &'static str, text: &str) {
        self.check.field(key);
        self.token(text);
    }

    /// An optional field's text, if it is there (its head character says whether).
    fn optional(&mut self, key: &'static str, text: Option<&str>) {
        self.check.field(key);
        if let Some(text) = text {
            self.token(text);
        }
    }

    fn party(&mut self, key: &'static str, party: Option<&Party>) -> Option<()> {
        self.check.field(key);
        if let Some(party) = party {
            self.number(KINDS.iter().position(|kind| *kind == party.kind)?)?;
            self.token(&party.id);
        } else {
            self.out.push(SEP);
        }
        Some(())
    }

    /// A list of records: its length, then (written next) its elements.
    fn items(&mut self, key: &'static str, count: usize) {
        self.check.field(key);
        let mut digits = String::new();
        crate::digits::push(&mut digits, count);
        self.token(&digits);
    }

    fn end(&mut self) {
        self.check.end();
    }
}

/// Debug builds (every test) check that the writer follows the layout: each record's fields,
/// written in the order `wire` gives.
#[derive(Default)]
struct Check {
    #[cfg(debug_assertions)]
    records: Vec<(&'static str, Vec<&'static str>, usize)>,
}

#[cfg(debug_assertions)]
#[allow(clippy::panic)]
impl Check {
    fn begin(&mut self, record: &'static Record, same: Option<bool>) {
        assert_eq!(same.is_some(), !record.repeated.is_empty(), "{}: whether it repeats", record.name);
        let keys = wire(record, same == Some(true)).into_iter().map(|(key, _)| key).collect();
        self.records.push((record.name, keys, 0));
    }

    fn field(&mut self, key: &'static str) {
        let Some((name, keys, at)) = self.records.last_mut() else { panic!("{key} outside a record") };
        // A list of parties writes each element under the list's key.
        if *at > 0 && keys.get(*at - 1) == Some(&key) && !key.is_empty() {
            return;
        }
        assert_eq!(keys.get(*at).copied(), Some(key), "{name}: written out of the layout's order");
        *at += 1;
    }

    fn end(&mut self) {
        let Some((name, keys, at)) = self.records.pop() else { panic!("end outside a record") };
        assert_eq!(at, keys.len(), "{name}: fields left unwritten: {:?}", keys.get(at..));
    }
}

#[cfg(not(debug_assertions))]
impl Check {
    fn begin(&mut self, _: &'static Record, _: Option<bool>) {}
    fn field(&mut self, _: &'static str) {}
    fn end(&mut self) {}
}

/// Where a field is in a record's text.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// A character of the head.
    Head,
    /// The head's text (or, with the key "", the end of a head without one).
    HeadText,
    /// After the head: a token, or a list's elements.
    Body,
}

/// A record's fields in the order the text holds them, the repeated ones left out when `same`.
fn wire(record: &Record, same: bool) -> Vec<(&'static str, Part)> {
    let written = |key: &&'static str| !(same && record.repeated.contains(key));
    let fields = record.fields.iter().filter(|(key, _)| written(key));
    let head_text = record.fields.iter().find(|(_, codec)| matches!(codec, Codec::Text)).map(|(key, _)| *key);
    let mut wire: Vec<(&'static str, Part)> = fields
        .clone()
        .filter(|(_, codec)| !matches!(codec, Codec::Text | Codec::Party | Codec::List(_)))
        .map(|(key, _)| (*key, Part::Head))
        .collect();
    wire.push((head_text.unwrap_or(""), Part::HeadText));
    wire.extend(
        fields
            .filter(|(key, codec)| !matches!(codec, Codec::Flag | Codec::Variant(_)) && Some(*key) != head_text)
            .map(|(key, _)| (*key, Part::Body)),
    );
    wire
}

/// The JS of `unpackValidation`, generated from the layout: what js/crossing.js holds between
/// its markers (tests/wasm_bindings.rs checks).
#[doc(hidden)]
pub fn reader() -> String {
    let mut js = String::from(
        r#"export function unpackValidation(text) {
  let at = 0;
  const next = () => {
    const end = text.indexOf(SEP, at);
    const token = text.slice(at, end);
    at = end + 1;
    return token;
  };
"#,
    );
    for names in Names::ALL {
        js.push_str(&format!("  const {} = next().split(\",\");\n", names.variable()));
    }
    let [kind, id] = PARTY;
    js.push_str(&format!(
        r#"  const party = () => {{
    const t = next();
    return t === "" ? null : {{ {kind}: kinds[t.charCodeAt(0) - BASE], {id}: t.slice(1) }};
  }};
  const copy = (p) => (p === null ? null : {{ {kind}: p.{kind}, {id}: p.{id} }});
"#
    ));
    body(&VALIDATION, &mut js, "  ", "return ");
    js.push_str("}\n");
    js
}

/// The statements that read `record` into a literal and `store` it ("return ", or an assignment
/// to a list's element): each list's elements are read in a loop of their own, in line (V8 does
/// not inline a reader called from a loop, and the calls showed in profiles of the validation).
fn body(record: &Record, js: &mut String, indent: &str, store: &str) {
    let repeats = !record.repeated.is_empty();
    let codec = |key: &str| record.fields.iter().find(|(k, _)| *k == key).map(|(_, c)| *c);
    let line = |js: &mut String, text: String| {
        js.push_str(indent);
        js.push_str(&text);
        js.push('\n');
    };
    line(js, "const h = next();".into());
    if repeats {
        line(js, "const same = h.charCodeAt(0) === 49;".into());
    }
    // Where the next character of the head is, when the repeated fields are written and when
    // they are not.
    let (mut written, mut left_out) = (usize::from(repeats), usize::from(repeats));
    let mut head = |repeated: bool| {
        let at = if written == left_out { written.to_string() } else { format!("same ? {left_out} : {written}") };
        written += 1;
        left_out += usize::from(!repeated);
        at
    };
    // The head and the body, in the order `wire` gives; a repeated field only when not `same`.
    let kept = wire(record, true);
    for (key, part) in wire(record, false) {
        let repeated = repeats && !kept.contains(&(key, part));
        match (part, codec(key)) {
            (Part::Head, Some(Codec::Flag)) => {
                line(js, format!("const ${key} = h.charCodeAt({}) === 49;", head(repeated)))
            }
            (Part::Head, Some(Codec::Optional | Codec::Nullable)) => {
                line(js, format!("const has${key} = h.charCodeAt({}) === 49;", head(repeated)));
            }
            (Part::Head, Some(Codec::Variant(names))) => {
                line(js, format!("const ${key} = {}[h.charCodeAt({}) - BASE];", names.variable(), head(repeated)));
            }
            (Part::Head, Some(Codec::Parties)) => {
                let read = format!("h.charCodeAt({}) - BASE", head(repeated));
                line(js, format!("const n${key} = {};", if repeated { format!("same ? 0 : {read}") } else { read }));
            }
            (Part::HeadText, _) if key.is_empty() => {}
            (Part::HeadText, _) => line(js, format!("const ${key} = h.slice({});", head(false))),
            (Part::Body, Some(Codec::Text)) => line(js, format!("const ${key} = next();")),
            (Part::Body, Some(Codec::Optional)) => line(js, format!("const ${key} = has${key} ? next() : undefined;")),
            (Part::Body, Some(Codec::Nullable)) => line(js, format!("const ${key} = has${key} ? next() : null;")),
            (Part::Body, Some(Codec::Party)) => {
                let read = if repeated { format!("same ? copy(before.{key}) : party()") } else { "party()".into() };
                line(js, format!("const ${key} = {read};"));
            }
            (Part::Body, Some(Codec::Parties)) => {
                let fill = format!("for (let j = 0; j < n${key}; j++) ${key}[j] = party();");
                if repeated {
                    line(js, format!("const ${key} = same ? before.{key}.map(copy) : new Array(n${key});"));
                    line(js, format!("if (!same) {fill}"));
                } else {
                    line(js, format!("const ${key} = new Array(n${key});"));
                    line(js, fill);
                }
            }
            (Part::Body, Some(Codec::List(inner))) => {
                line(js, format!("const ${key} = new Array(+next());"));
                let mut store = format!("${key}[i] = ");
                if !inner.repeated.is_empty() {
                    line(js, "let before;".into());
                    store.insert_str(0, "before = ");
                }
                line(js, format!("for (let i = 0; i < ${key}.length; i++) {{"));
                body(inner, js, &format!("{indent}  "), &store);
                line(js, "}".into());
            }
            _ => line(js, format!("throw new Error(\"{}.{key}: a layout this generator cannot read\");", record.name)),
        }
    }
    let literal = |keys: Vec<&str>| {
        let entries: Vec<String> = keys.iter().map(|key| format!("{key}: ${key}")).collect();
        format!("{{ {} }}", entries.join(", "))
    };
    let keys: Vec<&str> = record.fields.iter().map(|(key, _)| *key).collect();
    match record.fields.iter().find(|(_, codec)| matches!(codec, Codec::Optional)) {
        Some((optional, _)) => {
            let without = keys.iter().copied().filter(|key| key != optional).collect();
            line(js, format!("{store}has${optional} ? {} : {};", literal(keys), literal(without)));
        }
        None => line(js, format!("{store}{};", literal(keys))),
    }
}
