//! What a custom relation type's definition must be: its alias and name,
//! its shape, and the attributes it accepts when its definition names none.
//! Built-in types are data (`crate::sources`); these rules hold for the
//! types admins define (`createRelationType`, `updateRelationType`).

use super::contract::{AttributeRules, TextRule};
use crate::error::{AppError, AppResult};

/// An alias is 1 to 64 ASCII letters, digits, `_` or `-`, starting with a
/// letter (it is part of URLs and of the dialects' payloads).
pub fn check_alias(alias: &str) -> AppResult<()> {
    let ok = !alias.is_empty()
        && alias.len() <= 64
        && alias.starts_with(|c: char| c.is_ascii_alphabetic())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(format!(
            "alias must be 1 to 64 letters, digits, '_' or '-', starting with a letter; got {alias:?}"
        )))
    }
}

/// A definition's name is 1 to 255 characters, not blank, and a symmetric
/// type (either orientation of a pair fits) must be bidirectional.
pub fn check_definition(name: &str, bidirectional: bool, symmetric: bool) -> AppResult<()> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(AppError::bad_input(
            "name must be 1 to 255 characters and not blank",
        ));
    }
    if symmetric && !bidirectional {
        return Err(AppError::bad_input(
            "a symmetric relation type must be bidirectional",
        ));
    }
    Ok(())
}

/// The attributes a custom type accepts when its definition names none: a
/// label of up to 255 characters and a comment of up to 1000, nothing else.
pub fn default_attributes() -> AttributeRules {
    AttributeRules {
        label: TextRule {
            allowed: true,
            required: false,
            max_length: Some(255),
        },
        comment: TextRule {
            allowed: true,
            required: false,
            max_length: Some(1000),
        },
        ..AttributeRules::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_names_and_shapes() {
        for ok in ["a", "companyPage", "x-1_y", &"a".repeat(64)] {
            assert!(check_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "bad alias", "é", &"a".repeat(65)] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
        assert!(check_definition("Name", false, false).is_ok());
        assert!(check_definition("   ", true, false).is_err());
        assert!(check_definition(&"n".repeat(256), true, false).is_err());
        assert!(check_definition("Peers", false, true).is_err());
        assert!(check_definition("Peers", true, true).is_ok());
    }
}
