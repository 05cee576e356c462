//! How much of its callers' rejections the server keeps for later pulls (SPEC §13: a client's
//! stored rejections are pruned once a pull has reported them, and no caller can grow the
//! database without bound). The reference server's storage budget rather than a rule of the
//! protocol, and the same for every store.

/// Unreported rejections kept per actor, across all its client ids: a rejection is stored only
/// while its actor has fewer. Past it a rejection is still answered in the push's response, but
/// not stored for a later pull: a caller that never pulls, or takes a new client id for every
/// push, cannot fill the disk. (The store counts inside the statement that inserts.)
pub const MAX_STORED_REJECTIONS_PER_ACTOR: u64 = 10_000;
/// A stored rejection's message is cut to this many characters (messages may quote input).
const MAX_STORED_MESSAGE_CHARS: usize = 500;

/// `message` as stored: cut to [`MAX_STORED_MESSAGE_CHARS`], with "…" when it was cut.
pub fn stored_message(message: &str) -> String {
    match message.char_indices().nth(MAX_STORED_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", message.get(..cut).unwrap_or_default()),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_stored_cut_to_500_characters() {
        let short = "é".repeat(500);
        assert_eq!(stored_message(&short), short, "500 characters, however many bytes, are kept whole");
        let long = "é".repeat(2_000);
        assert_eq!(stored_message(&long), format!("{short}…"));
    }
}
