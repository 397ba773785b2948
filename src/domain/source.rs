//! The shape of a source profile: how a source names its records and which
//! relation types it brings. The profiles themselves are data in
//! `src/sources/`.

use super::contract::Contract;
use super::model::EntityKey;
use crate::error::{AppError, AppResult};

/// How far a source's record ids are unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdScope {
    /// Unique per kind (Copper: person 7 and company 7 are different records).
    PerKind,
    /// Unique per space (Umbraco GUIDs, Kanka entity ids).
    PerSpace,
}

/// The format of a source's record ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    /// A positive integer.
    Integer,
    /// A GUID, stored lower-case.
    Guid,
    /// Any non-empty text.
    Any,
}

/// A built-in relation type, as a source defines it.
#[derive(Debug, Clone)]
pub struct RelationTypeDef {
    /// Alias, unique in the source.
    pub alias: &'static str,
    /// Name, unique in the source.
    pub name: &'static str,
    /// See [`crate::domain::RelationType::bidirectional`].
    pub bidirectional: bool,
    /// See [`crate::domain::RelationType::updatable`].
    pub updatable: bool,
    /// See [`crate::domain::RelationType::system_managed`].
    pub system_managed: bool,
    /// The rules.
    pub contract: Contract,
}

/// Everything relgate knows about one source system.
#[derive(Debug)]
pub struct SourceProfile {
    /// The source's name in the API: `copper`, `umbraco`, `kanka`.
    pub name: &'static str,
    /// How far record ids are unique.
    pub id_scope: IdScope,
    /// The format of record ids.
    pub id_format: IdFormat,
    /// The kinds of record the source has.
    pub kinds: &'static [&'static str],
    /// Whether kinds outside `kinds` are accepted too (Kanka adds kinds over
    /// time; Copper and Umbraco have a fixed set).
    pub open_kinds: bool,
    /// The built-in relation types.
    pub relation_types: fn() -> Vec<RelationTypeDef>,
}

/// The profile used for a source relgate has no profile for: any kind, any id,
/// ids unique per kind (the narrowest assumption, so no two records merge).
pub const CUSTOM_SOURCE: SourceProfile = SourceProfile {
    name: "custom",
    id_scope: IdScope::PerKind,
    id_format: IdFormat::Any,
    kinds: &[],
    open_kinds: true,
    relation_types: Vec::new,
};

/// The space of a source that has none, and of a request that names none.
pub const DEFAULT_SPACE: &str = "default";

/// Checks a source, kind or alias name: lower-case letters, digits, `_`, `-`,
/// starting with a letter, at most 64 characters.
pub fn check_name(field: &str, value: &str) -> AppResult<()> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(format!(
            "{field} must be 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter; got {value:?}"
        )))
    }
}

fn check_space(space: &str) -> AppResult<()> {
    if space.is_empty() || space.chars().count() > 128 || space.chars().any(char::is_control) {
        return Err(AppError::bad_input(format!(
            "space must be 1 to 128 printable characters; got {space:?}"
        )));
    }
    Ok(())
}

impl SourceProfile {
    /// Is `kind` a kind of this source?
    pub fn has_kind(&self, kind: &str) -> bool {
        self.open_kinds || self.kinds.contains(&kind)
    }

    /// Validates and normalises an entity's natural key against this profile.
    /// `kind` may be `None` only for lookups in a per-space source.
    pub fn entity_key(
        &self,
        source: &str,
        space: Option<&str>,
        kind: Option<&str>,
        external_id: &str,
    ) -> AppResult<EntityKey> {
        check_name("source", source)?;
        let space = space.unwrap_or(DEFAULT_SPACE);
        check_space(space)?;
        if let Some(kind) = kind {
            check_name("kind", kind)?;
            if !self.has_kind(kind) {
                return Err(AppError::bad_input(format!(
                    "{source} has no kind {kind:?}; its kinds are {}",
                    self.kinds.join(", ")
                )));
            }
        } else if self.id_scope == IdScope::PerKind {
            return Err(AppError::bad_input(format!(
                "{source} ids are unique per kind: give the kind too"
            )));
        }
        let external_id = self.normalise_id(source, external_id)?;
        let kind_scope = match self.id_scope {
            IdScope::PerKind => kind.unwrap_or_default().to_owned(),
            IdScope::PerSpace => String::new(),
        };
        Ok(EntityKey {
            source: source.to_owned(),
            space: space.to_owned(),
            kind: kind.map(str::to_owned),
            kind_scope,
            external_id,
        })
    }

    fn normalise_id(&self, source: &str, raw: &str) -> AppResult<String> {
        let bad = |what: &str| {
            AppError::bad_input(format!("{source} ids are {what}; got externalId {raw:?}"))
        };
        match self.id_format {
            IdFormat::Integer => {
                let ok = !raw.is_empty()
                    && raw.len() <= 19
                    && raw.chars().all(|c| c.is_ascii_digit())
                    && raw.parse::<i64>().is_ok_and(|n| n > 0);
                if ok {
                    Ok(raw.trim_start_matches('0').to_owned())
                } else {
                    Err(bad("positive integers"))
                }
            }
            IdFormat::Guid => {
                let hex_groups = [8, 4, 4, 4, 12];
                let parts: Vec<&str> = raw.split('-').collect();
                let ok = parts.len() == 5
                    && parts
                        .iter()
                        .zip(hex_groups)
                        .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()));
                if ok {
                    Ok(raw.to_ascii_lowercase())
                } else {
                    Err(bad("GUIDs like af3e08fc-fb90-4c78-b11c-c1a0cf43bd31"))
                }
            }
            IdFormat::Any => {
                if raw.is_empty() || raw.chars().count() > 255 || raw.chars().any(char::is_control)
                {
                    Err(bad("1 to 255 printable characters"))
                } else {
                    Ok(raw.to_owned())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDS: SourceProfile = SourceProfile {
        name: "g",
        id_scope: IdScope::PerSpace,
        id_format: IdFormat::Guid,
        kinds: &["document"],
        open_kinds: false,
        relation_types: Vec::new,
    };

    #[test]
    fn guids_are_normalised_to_lower_case() {
        let key = GUIDS
            .entity_key(
                "g",
                None,
                Some("document"),
                "AF3E08FC-FB90-4C78-B11C-C1A0CF43BD31",
            )
            .unwrap();
        assert_eq!(key.external_id, "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31");
        assert_eq!(key.space, DEFAULT_SPACE);
        assert_eq!(key.kind_scope, "");
    }

    #[test]
    fn a_bad_guid_or_unknown_kind_is_bad_input() {
        assert!(GUIDS.entity_key("g", None, Some("document"), "42").is_err());
        assert!(
            GUIDS
                .entity_key(
                    "g",
                    None,
                    Some("page"),
                    "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31"
                )
                .is_err()
        );
    }

    #[test]
    fn per_kind_sources_need_the_kind() {
        assert!(CUSTOM_SOURCE.entity_key("x", None, None, "1").is_err());
        let key = CUSTOM_SOURCE.entity_key("x", None, Some("k"), "1").unwrap();
        assert_eq!(key.kind_scope, "k");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("source", "copper").is_ok());
        for bad in ["", "Copper", "1x", "a b", &"a".repeat(65)] {
            assert!(check_name("source", bad).is_err(), "{bad}");
        }
    }
}
