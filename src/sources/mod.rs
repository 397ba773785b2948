//! The built-in sources, one file each, as data: kinds, id scope and the
//! relation types each brings. Adding a source is a new file here plus one
//! line in [`BUILT_IN`]; no GraphQL or store code changes.

use crate::domain::SourceProfile;
use crate::domain::source::CUSTOM_SOURCE;

pub mod copper;
pub mod kanka;
pub mod umbraco;

/// Every built-in source profile.
pub const BUILT_IN: &[&SourceProfile] = &[&copper::PROFILE, &umbraco::PROFILE, &kanka::PROFILE];

/// The profile of `source`: a built-in one, or the permissive custom profile.
pub fn profile(source: &str) -> &'static SourceProfile {
    BUILT_IN
        .iter()
        .copied()
        .find(|p| p.name == source)
        .unwrap_or(&CUSTOM_SOURCE)
}
