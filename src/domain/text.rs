//! Text relgate refuses: the NUL character (U+0000).
//!
//! PostgreSQL's `text` cannot hold it (SQLSTATE 22021) while SQLite stores
//! it, so a name or a label with a NUL would be stored on one engine and an
//! internal error on the other. relgate refuses it on both, before anything
//! runs: `BAD_USER_INPUT` in GraphQL (in the document or the variables), each
//! dialect's validation error in REST bodies. A lookup by an id holding one
//! that slips past (a path segment) is `BAD_USER_INPUT` on PostgreSQL too
//! (see `store::health`), and finds nothing on SQLite.

/// The message of the refusal.
pub const NUL_REFUSED: &str =
    "text must not contain the NUL character (U+0000): relgate does not store it";

/// Whether JSON or GraphQL source text `text` holds a NUL character, raw or
/// as an escape (`\u0000`, and GraphQL's `\u{0}`) that is not itself
/// escaped (`\\u0000` is a backslash and five characters).
pub fn escapes_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.contains(&0) {
        return true;
    }
    let mut backslashes = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        let escaped = backslashes % 2 == 1;
        backslashes = 0;
        if escaped && b == b'u' && is_zero_escape(&bytes[i + 1..]) {
            return true;
        }
    }
    false
}

/// Whether `rest` (what follows `\u`) is `0000` or `{0...}`.
fn is_zero_escape(rest: &[u8]) -> bool {
    if rest.len() >= 4 && rest[..4].iter().all(|&b| b == b'0') {
        return true;
    }
    let Some(inner) = rest.strip_prefix(b"{") else {
        return false;
    };
    let zeros = inner.iter().take_while(|&&b| b == b'0').count();
    zeros > 0 && inner.get(zeros) == Some(&b'}')
}

#[cfg(test)]
mod tests {
    use super::escapes_nul;

    #[test]
    fn finds_nul_raw_and_escaped_but_not_an_escaped_backslash() {
        assert!(escapes_nul("a\0b"));
        assert!(escapes_nul(r#"{"label": "a\u0000b"}"#));
        assert!(escapes_nul(r#"{"label": "a\\\u0000b"}"#));
        assert!(escapes_nul(r#"query { entity(id: "\u{0}") { id } }"#));
        assert!(escapes_nul(r#""\u{000}""#));
        assert!(!escapes_nul(r#"{"label": "a\\u0000b"}"#));
        assert!(!escapes_nul(r#"{"label": "\u0001 \u00e9 \u{1F600}"}"#));
        assert!(!escapes_nul(r#""\u{}""#));
        assert!(!escapes_nul(r#"\u000"#));
        assert!(!escapes_nul(""));
    }
}
