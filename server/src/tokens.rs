//! Bearer tokens: who a request is. The actor of every mutation is the token's, never one
//! named in the request.

use std::collections::HashMap;

use handoff_engine::case::Actor;
use serde::Deserialize;

pub const DEMO_TOKENS: &str = include_str!("../../config/demo-tokens.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    tokens: HashMap<String, Actor>,
}

pub struct Tokens(HashMap<String, Actor>);

impl Tokens {
    pub fn from_json(text: &str) -> Result<Tokens, String> {
        let file: TokensFile = serde_json::from_str(text).map_err(|e| format!("the tokens file is not valid: {e}"))?;
        Ok(Tokens(file.tokens))
    }

    /// The actor of an `Authorization: Bearer <token>` header value.
    pub fn actor(&self, authorization: Option<&str>) -> Option<&Actor> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        self.0.get(token)
    }

    /// `token → actor` lines, sorted, for the start-up banner.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .0
            .iter()
            .map(|(token, actor)| match actor {
                Actor::Member { id } => format!("{token} → member {id}"),
                Actor::Client => format!("{token} → the client"),
                Actor::System => format!("{token} → the system"),
            })
            .collect();
        lines.sort();
        lines
    }
}
