//! Persisted documents: trusted documents from a manifest, and Apollo's
//! automatic persisted queries (APQ).
//!
//! - **Trusted documents.** `--trusted-documents FILE` loads a manifest of
//!   document ids and texts, as GraphQL Code Generator's client preset writes
//!   it (`persistedDocuments: true` -> `persisted-documents.json`, ids
//!   `sha256:<hex>`). A request may then send only `documentId` (the GraphQL
//!   over HTTP persisted-documents appendix). With `--only-trusted-documents`
//!   every other document is refused (`TRUSTED_DOCUMENT_REQUIRED`), full
//!   texts included unless they are byte for byte a manifest document;
//!   `--exempt-admins-from-trusted-documents` lets admins run anything.
//! - **APQ.** `extensions.persistedQuery.sha256Hash` without a query looks the
//!   hash up in the manifest, then in a bounded in-process cache
//!   (`--persisted-query-cache-size` documents of at most
//!   [`MAX_CACHED_TEXT`] bytes; the oldest goes first); unknown:
//!   `PERSISTED_QUERY_NOT_FOUND` (HTTP 404, Apollo Client then sends the
//!   text), and a text with its hash is checked against it and kept. Each
//!   gateway process keeps its own cache: a client that reaches another
//!   process pays one more round trip, never a wrong answer.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

/// The longest document text the APQ cache keeps (longer ones run, but
/// are not kept, so their clients always send the text).
pub const MAX_CACHED_TEXT: usize = 32 * 1024;

/// Why a request's document could not be found or may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The id or hash names no document this process knows.
    NotFound,
    /// A hash was sent, but automatic persisted queries are off.
    NotSupported,
    /// The text does not have the hash sent with it.
    HashMismatch,
    /// Only trusted documents run here, and this is not one.
    Untrusted,
    /// The request is malformed (both a query and a document id, a bad
    /// `persistedQuery` extension).
    Invalid(String),
    /// The document or the variables hold text relgate refuses (a NUL
    /// character: `domain::text`).
    BadInput(&'static str),
}

impl Refusal {
    /// The HTTP status, `extensions.code` and message of this refusal. The
    /// messages of the APQ refusals are the ones Apollo's clients match.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Refusal::NotFound => (
                StatusCode::NOT_FOUND,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound".to_owned(),
            ),
            Refusal::NotSupported => (
                StatusCode::BAD_REQUEST,
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "PersistedQueryNotSupported".to_owned(),
            ),
            Refusal::HashMismatch => (
                StatusCode::BAD_REQUEST,
                "PERSISTED_QUERY_HASH_MISMATCH",
                "the query's SHA-256 is not the sha256Hash sent with it".to_owned(),
            ),
            Refusal::Untrusted => (
                StatusCode::FORBIDDEN,
                "TRUSTED_DOCUMENT_REQUIRED",
                "this server runs trusted documents only: send the documentId of a document \
                 in its manifest"
                    .to_owned(),
            ),
            Refusal::Invalid(m) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", m.clone()),
            Refusal::BadInput(m) => (StatusCode::BAD_REQUEST, "BAD_USER_INPUT", (*m).to_owned()),
        }
    }
}

/// What a request names its document by, as sent.
#[derive(Debug, Default)]
pub struct DocumentRef {
    /// The document's text (`query`), if sent and not blank.
    pub query: Option<String>,
    /// `documentId`, if sent.
    pub document_id: Option<String>,
    /// `extensions.persistedQuery.sha256Hash`, if sent (lower-case hex).
    pub sha256_hash: Option<String>,
}

/// The documents this process can run by id or hash.
pub struct PersistedDocuments {
    /// The manifest's documents by id.
    manifest: HashMap<String, Arc<str>>,
    /// The SHA-256 of every manifest text: a full text is trusted when it
    /// is one of them.
    trusted: HashSet<[u8; 32]>,
    only_trusted: bool,
    exempt_admins: bool,
    /// The APQ cache; `None` when turned off.
    apq: Option<Mutex<Fifo>>,
}

/// Texts by SHA-256, the oldest dropped first once `capacity` are kept.
struct Fifo {
    capacity: usize,
    order: VecDeque<[u8; 32]>,
    texts: HashMap<[u8; 32], Arc<str>>,
}

impl Fifo {
    fn insert(&mut self, hash: [u8; 32], text: &str) {
        if self.texts.contains_key(&hash) {
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.texts.remove(&old);
            }
        }
        self.order.push_back(hash);
        self.texts.insert(hash, Arc::from(text));
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// 64 hex digits as bytes.
fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex).ok()?;
    bytes.try_into().ok()
}

impl PersistedDocuments {
    /// No manifest; APQ with `apq_size` cached documents (0: off).
    pub fn new(apq_size: usize) -> Self {
        Self {
            manifest: HashMap::new(),
            trusted: HashSet::new(),
            only_trusted: false,
            exempt_admins: false,
            apq: (apq_size > 0).then(|| {
                Mutex::new(Fifo {
                    capacity: apq_size,
                    order: VecDeque::new(),
                    texts: HashMap::new(),
                })
            }),
        }
    }

    /// Adds the manifest at `path`: a JSON object of ids to texts. An id
    /// `sha256:<hex>` must be the SHA-256 of its text (a corrupt or
    /// hand-edited manifest fails here, not at a client).
    pub fn with_manifest(
        mut self,
        path: &Path,
        only_trusted: bool,
        exempt_admins: bool,
    ) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading the trusted documents {}: {e}", path.display()))?;
        let map: HashMap<String, String> = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a persisted-documents manifest (a JSON object of document ids to \
                 document texts): {e}",
                path.display()
            )
        })?;
        for (id, doc) in map {
            if let Some(hex) = id.strip_prefix("sha256:")
                && parse_hex(hex) != Some(sha256(&doc))
            {
                return Err(format!(
                    "{}: the document {id} does not have that SHA-256",
                    path.display()
                ));
            }
            self.trusted.insert(sha256(&doc));
            self.manifest.insert(id, Arc::from(doc));
        }
        self.only_trusted = only_trusted;
        self.exempt_admins = exempt_admins;
        Ok(self)
    }

    /// How many documents the manifest holds.
    pub fn manifest_len(&self) -> usize {
        self.manifest.len()
    }

    /// The manifest document with this id; an id without an algorithm
    /// prefix also finds `sha256:<id>`.
    fn by_id(&self, id: &str) -> Option<&Arc<str>> {
        self.manifest.get(id).or_else(|| {
            (!id.contains(':'))
                .then(|| self.manifest.get(&format!("sha256:{id}")))
                .flatten()
        })
    }

    /// The text of the document `doc` names, for a caller who is an admin
    /// or not; `Ok(None)` when it names none (no query at all).
    pub fn resolve(&self, doc: DocumentRef, admin: bool) -> Result<Option<String>, Refusal> {
        let (text, trusted) = match (doc.query, doc.document_id, doc.sha256_hash) {
            (Some(_), Some(_), _) => {
                return Err(Refusal::Invalid(
                    "send either a query or a documentId, not both".to_owned(),
                ));
            }
            (None, Some(id), _) => match self.by_id(&id) {
                Some(text) => (text.to_string(), true),
                None => return Err(Refusal::NotFound),
            },
            (None, None, Some(hex)) => {
                let hash = parse_hex(&hex).ok_or_else(bad_hash)?;
                if let Some(text) = self.by_id(&hex) {
                    (text.to_string(), true)
                } else {
                    let Some(apq) = &self.apq else {
                        return Err(Refusal::NotSupported);
                    };
                    let cached = apq
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .texts
                        .get(&hash)
                        .cloned();
                    match cached {
                        Some(text) => (text.to_string(), self.trusted.contains(&hash)),
                        None => return Err(Refusal::NotFound),
                    }
                }
            }
            (Some(query), None, Some(hex)) => {
                let hash = parse_hex(&hex).ok_or_else(bad_hash)?;
                if sha256(&query) != hash {
                    return Err(Refusal::HashMismatch);
                }
                let trusted = self.trusted.contains(&hash);
                if let Some(apq) = &self.apq
                    && query.len() <= MAX_CACHED_TEXT
                    && (trusted || !self.only_trusted)
                {
                    apq.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(hash, &query);
                }
                (query, trusted)
            }
            (Some(query), None, None) => {
                let trusted = self.only_trusted && self.trusted.contains(&sha256(&query));
                (query, trusted)
            }
            (None, None, None) => return Ok(None),
        };
        if self.only_trusted && !trusted && !(admin && self.exempt_admins) {
            return Err(Refusal::Untrusted);
        }
        Ok(Some(text))
    }
}

fn bad_hash() -> Refusal {
    Refusal::Invalid(
        "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(text: &str) -> String {
        hex::encode(sha256(text))
    }

    fn by_hash(hash: &str, query: Option<&str>) -> DocumentRef {
        DocumentRef {
            query: query.map(str::to_owned),
            document_id: None,
            sha256_hash: Some(hash.to_owned()),
        }
    }

    #[test]
    fn automatic_persisted_queries_round_trip() {
        let docs = PersistedDocuments::new(2);
        let q = "{ a }";
        let h = hex_of(q);
        assert_eq!(
            docs.resolve(by_hash(&h, None), false),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            docs.resolve(by_hash(&h, Some(q)), false),
            Ok(Some(q.to_owned()))
        );
        assert_eq!(
            docs.resolve(by_hash(&h, None), false),
            Ok(Some(q.to_owned()))
        );
        assert_eq!(
            docs.resolve(by_hash(&hex_of("{ b }"), Some(q)), false),
            Err(Refusal::HashMismatch)
        );
        // The oldest goes first.
        for other in ["{ b }", "{ c }"] {
            docs.resolve(by_hash(&hex_of(other), Some(other)), false)
                .unwrap();
        }
        assert_eq!(
            docs.resolve(by_hash(&h, None), false),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            PersistedDocuments::new(0).resolve(by_hash(&h, None), false),
            Err(Refusal::NotSupported)
        );
        assert!(matches!(
            docs.resolve(by_hash("xyz", None), false),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn only_trusted_documents_run_when_asked() {
        let dir = std::env::temp_dir().join(format!("relgate-manifest-{}", std::process::id()));
        let q = "query A { a }";
        let id = format!("sha256:{}", hex_of(q));
        std::fs::write(&dir, serde_json::json!({ &id: q }).to_string()).unwrap();
        let docs = PersistedDocuments::new(8)
            .with_manifest(&dir, true, true)
            .unwrap();
        let by_id = |id: &str| DocumentRef {
            document_id: Some(id.to_owned()),
            ..Default::default()
        };
        let text = |q: &str| DocumentRef {
            query: Some(q.to_owned()),
            ..Default::default()
        };
        assert_eq!(docs.resolve(by_id(&id), false), Ok(Some(q.to_owned())));
        assert_eq!(docs.resolve(by_id(&id[7..]), false), Ok(Some(q.to_owned())));
        assert_eq!(
            docs.resolve(by_id("sha256:00"), false),
            Err(Refusal::NotFound)
        );
        assert_eq!(docs.resolve(text(q), false), Ok(Some(q.to_owned())));
        assert_eq!(docs.resolve(text("{ b }"), false), Err(Refusal::Untrusted));
        assert_eq!(
            docs.resolve(text("{ b }"), true),
            Ok(Some("{ b }".to_owned()))
        );
        // APQ cannot register an untrusted document.
        let b = "{ b }";
        assert_eq!(
            docs.resolve(by_hash(&hex_of(b), Some(b)), false),
            Err(Refusal::Untrusted)
        );
        assert_eq!(
            docs.resolve(by_hash(&hex_of(b), None), false),
            Err(Refusal::NotFound)
        );
        std::fs::write(&dir, serde_json::json!({ "sha256:00": q }).to_string()).unwrap();
        assert!(
            PersistedDocuments::new(8)
                .with_manifest(&dir, false, false)
                .is_err()
        );
        let _ = std::fs::remove_file(&dir);
    }
}
