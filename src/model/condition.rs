//! `when` conditions over a case's facts. Read by hand rather than derived, so that a condition
//! has exactly one of its five shapes and a wrong key is named; walked without recursion, so
//! that depth is checked before anything could overflow a small WebAssembly stack.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{HandoffError, Result};
use crate::input::{
    check_count, check_text, join_path, At, MAX_CONDITION_DEPTH, MAX_CONDITION_NODES, MAX_LIST, MAX_TEXT_CHARS,
};
use crate::input::{field, FromJson, Kind, Reader};
use crate::output::ToJson;

/// A case's facts, fixed at start: `{ "chapter": 7, "hasBusiness": false }`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "Record<string, FactValue>"))]
pub struct Facts(pub BTreeMap<String, FactValue>);

impl std::ops::Deref for Facts {
    type Target = BTreeMap<String, FactValue>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Facts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A fact's value: a string, a number or a boolean. Numbers compare by value (7 equals 7.0).
#[derive(Clone, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "string | number | boolean"))]
pub enum FactValue {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl PartialEq for FactValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FactValue::Text(a), FactValue::Text(b)) => a == b,
            (FactValue::Bool(a), FactValue::Bool(b)) => a == b,
            (FactValue::Number(a), FactValue::Number(b)) => a.as_f64() == b.as_f64(),
            _ => false,
        }
    }
}

impl Serialize for FactValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            FactValue::Text(text) => serializer.serialize_str(text),
            FactValue::Number(number) => number.serialize(serializer),
            FactValue::Bool(flag) => serializer.serialize_bool(*flag),
        }
    }
}

impl ToJson for Facts {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

impl ToJson for FactValue {
    fn write_json(&self, out: &mut String) {
        match self {
            FactValue::Text(text) => text.write_json(out),
            FactValue::Number(number) => number.write_json(out),
            FactValue::Bool(flag) => flag.write_json(out),
        }
    }
}

impl<'de> Deserialize<'de> for FactValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct FactVisitor;
        impl Visitor<'_> for FactVisitor {
            type Value = FactValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<FactValue, E> {
                Ok(FactValue::Text(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<FactValue, E> {
                Ok(FactValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<FactValue, E> {
                Ok(FactValue::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<FactValue, E> {
                Ok(FactValue::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<FactValue, E> {
                serde_json::Number::from_f64(v)
                    .map(FactValue::Number)
                    .ok_or_else(|| E::custom("a fact must be a finite number"))
            }
        }
        deserializer.deserialize_any(FactVisitor)
    }
}

/// SPEC §2 `Condition`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(
        type = "{ fact: string; equals: FactValue } | { fact: string; in: FactValue[] } | { all: Condition[] } | { any: Condition[] } | { not: Condition }"
    )
)]
pub enum Condition {
    Equals { fact: String, value: FactValue },
    In { fact: String, values: Vec<FactValue> },
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Whether the condition holds for `facts`. A fact the case lacks makes `equals` and `in`
    /// false (and so `not` of them true). Depth is bounded by [`Condition::check_limits`].
    pub fn holds(&self, facts: &Facts) -> bool {
        match self {
            Condition::Equals { fact, value } => facts.get(fact).is_some_and(|have| have == value),
            Condition::In { fact, values } => facts.get(fact).is_some_and(|have| values.contains(have)),
            Condition::All(all) => all.iter().all(|c| c.holds(facts)),
            Condition::Any(any) => any.iter().any(|c| c.holds(facts)),
            Condition::Not(inner) => !inner.holds(facts),
        }
    }

    /// Every node, parents first, in document order, without recursing; stops once there are
    /// more than [`MAX_CONDITION_NODES`], which `check_limits` then refuses.
    pub fn walk(&self) -> Vec<Node<'_>> {
        let mut nodes = Vec::new();
        let mut stack = vec![Node { condition: self, depth: 1, parent: None, link: Link::Root }];
        while let Some(node) = stack.pop() {
            if nodes.len() > MAX_CONDITION_NODES {
                break;
            }
            let index = nodes.len();
            let below = |condition, link| Node { condition, depth: node.depth + 1, parent: Some(index), link };
            match node.condition {
                Condition::All(children) => {
                    stack.extend(children.iter().enumerate().rev().map(|(i, c)| below(c, Link::All(i))))
                }
                Condition::Any(children) => {
                    stack.extend(children.iter().enumerate().rev().map(|(i, c)| below(c, Link::Any(i))))
                }
                Condition::Not(child) => stack.push(below(child, Link::Not)),
                Condition::Equals { .. } | Condition::In { .. } => {}
            }
            nodes.push(node);
        }
        nodes
    }

    pub(crate) fn check_limits(&self, at: &At) -> Result<()> {
        let nodes = self.walk();
        check_count(nodes.len(), MAX_CONDITION_NODES, at)?;
        let fail = |index: usize, field: &str, problem: &str| {
            let path = join_path(&join_path(&at.path(), &node_path(&nodes, index)), field);
            HandoffError::invalid_input(path.clone(), format!("{path} {problem}."))
        };
        for (index, node) in nodes.iter().enumerate() {
            if node.depth > MAX_CONDITION_DEPTH {
                return Err(fail(
                    index,
                    "",
                    &format!("is too deep: conditions nest at most {MAX_CONDITION_DEPTH} levels"),
                ));
            }
            let too_long = |text: &str| text.chars().nth(MAX_TEXT_CHARS).is_some();
            let long_value = |value: &FactValue| matches!(value, FactValue::Text(text) if too_long(text));
            match node.condition {
                Condition::Equals { fact, value } => {
                    if too_long(fact) || long_value(value) {
                        return Err(fail(index, "", &format!("has a text longer than {MAX_TEXT_CHARS} characters")));
                    }
                }
                Condition::In { fact, values } => {
                    if values.len() > MAX_LIST {
                        return Err(fail(index, "in", &format!("has more than {MAX_LIST} values")));
                    }
                    if too_long(fact) || values.iter().any(long_value) {
                        return Err(fail(index, "", &format!("has a text longer than {MAX_TEXT_CHARS} characters")));
                    }
                }
                Condition::All(_) | Condition::Any(_) | Condition::Not(_) => {}
            }
        }
        Ok(())
    }
}

crate::input::owned!(Condition);

/// A node of a condition, as [`Condition::walk`] finds it.
#[derive(Clone, Copy)]
pub struct Node<'c> {
    pub condition: &'c Condition,
    /// 1 for the top condition.
    pub depth: usize,
    parent: Option<usize>,
    link: Link,
}

/// How a node hangs below its parent.
#[derive(Clone, Copy)]
enum Link {
    Root,
    All(usize),
    Any(usize),
    Not,
}

/// The path of `nodes[index]` below its condition: `all[0].not`.
pub fn node_path(nodes: &[Node], index: usize) -> String {
    let mut links = Vec::new();
    let mut here = nodes.get(index);
    while let Some(node) = here {
        links.push(node.link);
        here = node.parent.and_then(|parent| nodes.get(parent));
    }
    let mut path = String::new();
    for link in links.iter().rev() {
        match link {
            Link::Root => {}
            Link::All(i) => path = join_path(&path, &format!("all[{i}]")),
            Link::Any(i) => path = join_path(&path, &format!("any[{i}]")),
            Link::Not => path = join_path(&path, "not"),
        }
    }
    path
}

pub(crate) fn check_fact_value(value: &FactValue, at: &At) -> Result<()> {
    match value {
        FactValue::Text(text) => check_text(text, at),
        FactValue::Number(_) | FactValue::Bool(_) => Ok(()),
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Condition::Equals { fact, value } => {
                map.serialize_entry("fact", fact)?;
                map.serialize_entry("equals", value)?;
            }
            Condition::In { fact, values } => {
                map.serialize_entry("fact", fact)?;
                map.serialize_entry("in", values)?;
            }
            Condition::All(all) => map.serialize_entry("all", all)?,
            Condition::Any(any) => map.serialize_entry("any", any)?,
            Condition::Not(inner) => map.serialize_entry("not", inner)?,
        }
        map.end()
    }
}

impl ToJson for Condition {
    fn write_json(&self, out: &mut String) {
        use crate::output::key;
        let first = &mut true;
        out.push('{');
        match self {
            Condition::Equals { fact, value } => {
                key(out, first, "\"fact\":");
                fact.write_json(out);
                key(out, first, "\"equals\":");
                value.write_json(out);
            }
            Condition::In { fact, values } => {
                key(out, first, "\"fact\":");
                fact.write_json(out);
                key(out, first, "\"in\":");
                values.write_json(out);
            }
            Condition::All(all) => {
                key(out, first, "\"all\":");
                all.write_json(out);
            }
            Condition::Any(any) => {
                key(out, first, "\"any\":");
                any.write_json(out);
            }
            Condition::Not(inner) => {
                key(out, first, "\"not\":");
                inner.write_json(out);
            }
        }
        out.push('}');
    }
}

impl<'de> FromJson<'de> for FactValue {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        match reader.kind()? {
            Kind::String => reader.text().map(|text| FactValue::Text(text.into_owned())),
            Kind::Number => reader.number().map(FactValue::Number),
            Kind::Bool => reader.boolean().map(FactValue::Bool),
            found => Err(crate::input::expected(at, "a string, number or boolean", found)),
        }
    }
}

impl<'de> FromJson<'de> for Facts {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        BTreeMap::read(reader, at).map(Facts)
    }
}

/// Exactly one of the five shapes; a wrong or extra key is named. Fields are read in document
/// order, each by what its key says it holds; which shape they make is checked at the end.
impl<'de> FromJson<'de> for Condition {
    fn read(reader: &mut Reader<'de>, at: &At) -> crate::input::Result<Self> {
        const KEYS: &[&str] = &["fact", "equals", "in", "all", "any", "not"];
        let (mut fact, mut equals, mut values, mut all, mut any, mut not) = (None, None, None, None, None, None);
        crate::input::object(reader, at, "a condition", |reader, name| {
            let here = at.key(name);
            match name {
                "fact" => field(&mut fact, reader, &here, name),
                "equals" => field(&mut equals, reader, &here, name),
                "in" => field(&mut values, reader, &here, name),
                "all" => field(&mut all, reader, &here, name),
                "any" => field(&mut any, reader, &here, name),
                "not" => field(&mut not, reader, &here, name),
                _ => Err(crate::input::unknown_field(&here, name, KEYS)),
            }
        })?;
        Ok(match (fact, equals, values, all, any, not) {
            (Some(fact), Some(value), None, None, None, None) => Condition::Equals { fact, value },
            (Some(fact), None, Some(values), None, None, None) => Condition::In { fact, values },
            (None, None, None, Some(all), None, None) => Condition::All(all),
            (None, None, None, None, Some(any), None) => Condition::Any(any),
            (None, None, None, None, None, Some(not)) => Condition::Not(not),
            _ => {
                return Err(crate::input::invalid(
                    at,
                    "a condition needs exactly one of: fact with equals, fact with in, all, any, not",
                ))
            }
        })
    }
}
