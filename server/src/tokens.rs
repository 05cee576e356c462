//! Bearer tokens: who a request is. The actor of every mutation is the token's, never one
//! named in the request. A token is named in messages by its position in the file and its
//! actor, never by the secret itself.

use std::collections::HashMap;
use std::fmt;

use handoff_engine::case::Actor;
use handoff_engine::sync::check_actor;
use handoff_engine::Engine;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

pub const DEMO_TOKENS: &str = include_str!("../../config/demo-tokens.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    tokens: InOrder,
}

/// The tokens in the order the file lists them, so that a message can say "token 3".
struct InOrder(Vec<(String, Actor)>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = InOrder;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of bearer tokens to actors")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InOrder, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Actor>()? {
                    entries.push(entry);
                }
                Ok(InOrder(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// The token of an `Authorization` header value: the one reading of it, for the API and the
/// rate limit alike, so that every spelling the API takes for a token counts as that token.
pub fn bearer(authorization: &str) -> Option<&str> {
    Some(authorization.strip_prefix("Bearer ")?.trim())
}

pub struct Tokens {
    by_token: HashMap<String, Actor>,
    /// The actors in file order, for messages.
    listed: Vec<Actor>,
}

/// "token 3 (member dana)": how messages name an entry.
fn entry(position: usize, actor: &Actor) -> String {
    let who = match actor {
        Actor::Member { id } => format!("member {id}"),
        Actor::Client { id: Some(id) } => format!("client {id}"),
        Actor::Client { id: None } => "a client without an id".to_owned(),
        Actor::System => "the system".to_owned(),
    };
    format!("token {} ({who})", position + 1)
}

impl Tokens {
    /// Reads a tokens file. Refused: a token given twice, and a client actor without an id,
    /// which would let one token act as the client of every case (SPEC §8).
    pub fn from_json(text: &str) -> Result<Tokens, String> {
        let file: TokensFile = serde_json::from_str(text).map_err(|e| format!("the tokens file is not valid: {e}"))?;
        let mut by_token = HashMap::new();
        let mut listed = Vec::new();
        for (position, (token, actor)) in file.tokens.0.into_iter().enumerate() {
            if actor == (Actor::Client { id: None }) {
                return Err(format!(
                    "the tokens file's {} is refused: a client token must name its client, \
                     {{ \"kind\": \"client\", \"id\": \"…\" }}, so that it sees only that client's cases",
                    entry(position, &actor)
                ));
            }
            if by_token.insert(token, actor.clone()).is_some() {
                return Err(format!("the tokens file gives the secret of its {} twice", entry(position, &actor)));
            }
            listed.push(actor);
        }
        Ok(Tokens { by_token, listed })
    }

    /// What the server should say at start about these tokens: members the directory lacks or
    /// has deactivated (every request with them is refused), and system tokens (for the host's
    /// own services only).
    /// Whether a member is refused is `sync::check_actor`'s to say; this only tells the two
    /// reasons apart for the operator.
    pub fn warnings(&self, engine: &Engine) -> Vec<String> {
        let roster = engine.roster();
        let mut warnings = Vec::new();
        for (position, actor) in self.listed.iter().enumerate() {
            let refused = check_actor(engine, actor).is_err();
            match actor {
                Actor::Member { id } if refused && roster.member(id).is_none() => warnings.push(format!(
                    "{} names a member the directory lacks: every request with it is refused",
                    entry(position, actor)
                )),
                Actor::Member { .. } if refused => warnings.push(format!(
                    "{} names a deactivated member: every request with it is refused",
                    entry(position, actor)
                )),
                Actor::System => warnings.push(format!(
                    "{} acts as the system: keep it for the host's own services",
                    entry(position, actor)
                )),
                Actor::Member { .. } | Actor::Client { .. } => {}
            }
        }
        warnings
    }

    /// The actor of an `Authorization: Bearer <token>` header value.
    pub fn actor(&self, authorization: Option<&str>) -> Option<&Actor> {
        self.by_token.get(bearer(authorization?)?)
    }

    /// `token → actor` lines, sorted, for the start-up banner of the demo tokens (which are
    /// public); a real tokens file's secrets are never printed.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .by_token
            .iter()
            .map(|(token, actor)| match actor {
                Actor::Member { id } => format!("{token} → member {id}"),
                Actor::Client { id } => format!("{token} → client {}", id.as_deref().unwrap_or("")),
                Actor::System => format!("{token} → the system"),
            })
            .collect();
        lines.sort();
        lines
    }
}

/// The tokens in use, and the file they came from: re-read when the file changes (SPEC §9: a
/// person added in the directory is given a token without a restart). A file that no longer reads
/// leaves the tokens as they were, and says why.
pub struct Watched {
    current: std::sync::RwLock<std::sync::Arc<Tokens>>,
    file: Option<(std::path::PathBuf, std::sync::Mutex<Option<std::time::SystemTime>>)>,
}

impl Watched {
    /// Tokens that never change (the demo's).
    pub fn fixed(tokens: Tokens) -> Watched {
        Watched { current: std::sync::RwLock::new(std::sync::Arc::new(tokens)), file: None }
    }

    /// Tokens read from `path`, re-read by [`Watched::reload`] when it changes.
    pub fn file(path: std::path::PathBuf, tokens: Tokens) -> Watched {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        Watched {
            current: std::sync::RwLock::new(std::sync::Arc::new(tokens)),
            file: Some((path, std::sync::Mutex::new(modified))),
        }
    }

    pub fn current(&self) -> std::sync::Arc<Tokens> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Re-reads the file when it changed since it was last read (or always, with `force`, as on
    /// SIGHUP): `Ok(Some(count))` when new tokens are in use, `Ok(None)` when nothing changed,
    /// `Err` (the old tokens stay) when the file does not read.
    pub fn reload(&self, force: bool) -> Result<Option<usize>, String> {
        let Some((path, seen)) = &self.file else { return Ok(None) };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        {
            let mut seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !force && *seen == modified {
                return Ok(None);
            }
            *seen = modified;
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let tokens = Tokens::from_json(&text)?;
        let count = tokens.listed.len();
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(tokens);
        Ok(Some(count))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_unscoped_client_token_is_refused_by_position_not_by_secret() {
        let text =
            r#"{ "tokens": { "s3cret-a": { "kind": "member", "id": "dana" }, "s3cret-b": { "kind": "client" } } }"#;
        let message = Tokens::from_json(text).err().unwrap();
        assert!(message.contains("token 2 (a client without an id)"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn unknown_deactivated_and_system_tokens_are_warned_about() {
        let engine = Engine::from_json(include_str!("../../config/example-firm.json")).unwrap();
        let text = r#"{ "tokens": {
            "a": { "kind": "member", "id": "dana" },
            "b": { "kind": "member", "id": "zoe" },
            "c": { "kind": "system" },
            "d": { "kind": "client", "id": "smith" } } }"#;
        let warnings = Tokens::from_json(text).unwrap().warnings(&engine);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("token 2 (member zoe) names a member the directory lacks"));
        assert!(warnings[1].starts_with("token 3 (the system)"));
    }
}
