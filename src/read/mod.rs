//! The reads: every read that GraphQL, the dialects, the feed and the demo
//! seeder make, over a request's [`Reader`]. The writes are the service's
//! (`crate::service`), each in its own transaction; what a read asks for and
//! gets back is spoken in `crate::domain::read`.
//!
//! The statements themselves live in `crate::store`, which only this module,
//! the service, start-up and the token checks (`crate::auth`) import; the
//! raw connection never leaves it. A test below fails when another layer
//! reaches into the store.

pub use crate::store::{Reader, Store, count_statements};

pub mod level;

/// Entities: by id, by natural key, pages and counts of `entities(filter:)`.
pub mod entities {
    pub use crate::store::entities::{by_ids, by_key, count, names_by_ids, page, page_of_names};
}

/// Relations: by id, pages and counts of `relations(filter:)`, the ones
/// between two entities.
pub mod relations {
    pub use crate::store::relations::{between, by_ids, count, page, page_keyed};
}

/// Relation types by alias, pages and counts. By id they come through
/// `Service::relation_types`, which answers built-in ones from the
/// process's cache.
pub mod relation_types {
    pub use crate::store::relation_types::{by_alias, count, page};
}

/// Per-entity pages and counts of `Entity.relations` and `Entity.related`,
/// for all parents of a query level in one statement.
pub mod pages {
    pub use crate::store::pages::{
        group_counts, related_counts, related_pages, relation_counts, relation_keys, relation_pages,
    };
}

/// Traversals: neighbourhoods (for all parents of a query level in one
/// statement) and the paths between two entities.
pub mod traversal {
    pub use crate::store::traversal::{neighbourhoods, paths};
}

/// The journal: pages and counts of events, and relations as they stood.
pub mod events {
    pub use crate::store::events::{
        PastRelation, count, listen, page, related_page_as_of, relation_page_as_of, relations_as_of,
    };
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Where `crate::store` may be named: the store itself, this module,
    /// the service, start-up and the token checks.
    const MAY_NAME_THE_STORE: &[&str] = &[
        "src/store/",
        "src/read/",
        "src/service/",
        "src/lib.rs",
        "src/cli.rs",
        "src/auth.rs",
    ];

    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn only_the_read_module_the_service_and_start_up_name_the_store() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        assert!(files.len() > 20, "the sources were found");
        let mut offenders = Vec::new();
        for file in files {
            let rel = file
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if MAY_NAME_THE_STORE.iter().any(|p| rel.starts_with(p)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("store::")
                    || code.contains("crate::store")
                    || code.contains(".db()")
                {
                    offenders.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "the store named outside its layer:\n{}",
            offenders.join("\n")
        );
    }
}
