//! `when` conditions over a case's facts. Read by hand rather than derived, so that a condition
//! has exactly one of its five shapes and a wrong key is named; walked without recursion, so
//! that depth is checked before anything could overflow a small WebAssembly stack.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{HandoffError, Result};
use crate::input::{check_count, check_text, MAX_CONDITION_DEPTH, MAX_CONDITION_NODES, MAX_LIST};

/// A case's facts, fixed at start: `{ "chapter": 7, "hasBusiness": false }`.
pub type Facts = BTreeMap<String, FactValue>;

/// A fact's value: a string, a number or a boolean. Numbers compare by value (7 equals 7.0).
#[derive(Clone, Debug)]
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

    /// Every node with its path below `path`, parents first, in document order.
    /// Iterative: a caller can walk any condition without recursing.
    pub fn nodes(&self, path: &str) -> Vec<(&Condition, String, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![(self, path.to_owned(), 1usize)];
        while let Some((node, at, depth)) = stack.pop() {
            if out.len() > MAX_CONDITION_NODES {
                break;
            }
            match node {
                Condition::All(children) | Condition::Any(children) => {
                    let key = if matches!(node, Condition::All(_)) { "all" } else { "any" };
                    for (i, child) in children.iter().enumerate().rev() {
                        stack.push((child, format!("{at}.{key}[{i}]"), depth + 1));
                    }
                }
                Condition::Not(child) => stack.push((child, format!("{at}.not"), depth + 1)),
                Condition::Equals { .. } | Condition::In { .. } => {}
            }
            out.push((node, at, depth));
        }
        out
    }

    pub(crate) fn check_limits(&self, path: &str) -> Result<()> {
        let nodes = self.nodes(path);
        check_count(nodes.len(), MAX_CONDITION_NODES, path)?;
        for (node, at, depth) in nodes {
            if depth > MAX_CONDITION_DEPTH {
                return Err(HandoffError::invalid_input(
                    at,
                    format!("Conditions nest at most {MAX_CONDITION_DEPTH} levels deep."),
                ));
            }
            match node {
                Condition::Equals { fact, value } => {
                    check_text(fact, &format!("{at}.fact"))?;
                    check_fact_value(value, &format!("{at}.equals"))?;
                }
                Condition::In { fact, values } => {
                    check_text(fact, &format!("{at}.fact"))?;
                    check_count(values.len(), MAX_LIST, &format!("{at}.in"))?;
                    for (i, value) in values.iter().enumerate() {
                        check_fact_value(value, &format!("{at}.in[{i}]"))?;
                    }
                }
                Condition::All(_) | Condition::Any(_) | Condition::Not(_) => {}
            }
        }
        Ok(())
    }
}

pub(crate) fn check_fact_value(value: &FactValue, path: &str) -> Result<()> {
    match value {
        FactValue::Text(text) => check_text(text, path),
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

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ConditionKey {
    Fact,
    Equals,
    In,
    All,
    Any,
    Not,
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_map(ConditionVisitor)
    }
}

struct ConditionVisitor;

fn once<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, value: T) -> std::result::Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for ConditionVisitor {
    type Value = Condition;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a condition: {fact, equals}, {fact, in}, {all}, {any} or {not}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Condition, A::Error> {
        let (mut fact, mut equals, mut values, mut all, mut any, mut not) = (None, None, None, None, None, None);
        while let Some(key) = map.next_key::<ConditionKey>()? {
            match key {
                ConditionKey::Fact => once(&mut fact, "fact", map.next_value::<String>()?)?,
                ConditionKey::Equals => once(&mut equals, "equals", map.next_value::<FactValue>()?)?,
                ConditionKey::In => once(&mut values, "in", map.next_value::<Vec<FactValue>>()?)?,
                ConditionKey::All => once(&mut all, "all", map.next_value::<Vec<Condition>>()?)?,
                ConditionKey::Any => once(&mut any, "any", map.next_value::<Vec<Condition>>()?)?,
                ConditionKey::Not => once(&mut not, "not", map.next_value::<Box<Condition>>()?)?,
            }
        }
        match (fact, equals, values, all, any, not) {
            (Some(fact), Some(value), None, None, None, None) => Ok(Condition::Equals { fact, value }),
            (Some(fact), None, Some(values), None, None, None) => Ok(Condition::In { fact, values }),
            (None, None, None, Some(all), None, None) => Ok(Condition::All(all)),
            (None, None, None, None, Some(any), None) => Ok(Condition::Any(any)),
            (None, None, None, None, None, Some(not)) => Ok(Condition::Not(not)),
            _ => Err(de::Error::custom(
                "a condition needs exactly one of: fact with equals, fact with in, all, any, not",
            )),
        }
    }
}
