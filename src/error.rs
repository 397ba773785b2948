//! The one error type of relgate, with the stable codes clients see.
//!
//! Every layer returns [`AppError`]. GraphQL turns it into `extensions.code`
//! in one place (`graphql::errors`), each REST dialect into its own envelope.
//! The codes are public API: add new ones, never rename.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql has a
//! blanket `From<T: Display>` conversion that would turn an error into a bare
//! message without a code (and leak internal text). Without `Display`, the only
//! way into a GraphQL error is our own conversion, which sets the code and
//! masks internal causes.

use std::sync::Arc;

/// `Retry-After` of a `DATABASE_UNAVAILABLE` answer: the database is
/// probed every quarter second, so service returns within about a second of
/// the database coming back.
pub const RETRY_AFTER_OUTAGE_SECS: u64 = 1;
/// `Retry-After` of an `OVERLOADED` answer.
pub const RETRY_AFTER_OVERLOAD_SECS: u64 = 1;
/// `Retry-After` of a `DATABASE_READ_ONLY` answer.
pub const RETRY_AFTER_READ_ONLY_SECS: u64 = 30;

/// The codes of the errors a client should retry later, as
/// [`AppError::retry_after`] tells them (for answers built from codes, as
/// GraphQL's are).
pub fn retry_after_of_code(code: &str) -> Option<u64> {
    match code {
        "DATABASE_UNAVAILABLE" => Some(RETRY_AFTER_OUTAGE_SECS),
        "OVERLOADED" => Some(RETRY_AFTER_OVERLOAD_SECS),
        // A read-only database stays so until an operator acts: a client
        // learns it at once and should not spin.
        "DATABASE_READ_ONLY" => Some(RETRY_AFTER_READ_ONLY_SECS),
        _ => None,
    }
}

/// A contract rule a write can break; reported as `extensions.rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The (from kind, to kind) pair is not allowed by the relation type.
    PairNotAllowed,
    /// A cardinality limit of the relation type would be exceeded.
    LimitExceeded,
    /// The relation already exists and the type rejects duplicates.
    Duplicate,
    /// The relation type does not allow updates.
    NotUpdatable,
    /// The relation would connect an entity to itself.
    SelfRelation,
    /// The two ends are in different spaces and the type requires one space.
    CrossSpace,
    /// The relation type is managed by the source system, not the API.
    SystemManaged,
    /// The relation type requires a label.
    LabelRequired,
    /// The relation type requires a comment.
    CommentRequired,
    /// A text attribute is longer than the relation type allows.
    FieldTooLong,
    /// A number attribute is outside the range the relation type allows.
    OutOfRange,
    /// An attribute the relation type does not accept was given.
    AttributeNotAllowed,
    /// An attribute has the wrong format (for example a colour that is not `#rrggbb`).
    InvalidFormat,
    /// An entity with this id exists already with another kind.
    KindMismatch,
    /// Built-in relation types are defined in code and cannot be changed.
    BuiltIn,
    /// A relation type alias or name is taken.
    NameTaken,
    /// The relation type still has relations.
    InUse,
}

impl Rule {
    /// The stable name of the rule, as sent in `extensions.rule`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::PairNotAllowed => "PAIR_NOT_ALLOWED",
            Rule::LimitExceeded => "LIMIT_EXCEEDED",
            Rule::Duplicate => "DUPLICATE",
            Rule::NotUpdatable => "NOT_UPDATABLE",
            Rule::SelfRelation => "SELF_RELATION",
            Rule::CrossSpace => "CROSS_SPACE",
            Rule::SystemManaged => "SYSTEM_MANAGED",
            Rule::LabelRequired => "LABEL_REQUIRED",
            Rule::CommentRequired => "COMMENT_REQUIRED",
            Rule::FieldTooLong => "FIELD_TOO_LONG",
            Rule::OutOfRange => "OUT_OF_RANGE",
            Rule::AttributeNotAllowed => "ATTRIBUTE_NOT_ALLOWED",
            Rule::InvalidFormat => "INVALID_FORMAT",
            Rule::KindMismatch => "KIND_MISMATCH",
            Rule::BuiltIn => "BUILT_IN",
            Rule::NameTaken => "NAME_TAKEN",
            Rule::InUse => "IN_USE",
        }
    }
}

/// A broken rule with a message a person understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// What happened, in words.
    pub message: String,
}

impl Violation {
    /// A violation of `rule`.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

/// Every way a request can fail.
#[derive(Debug, Clone)]
pub enum AppError {
    /// Malformed input: a bad id, a bad cursor, a missing argument.
    BadInput(String),
    /// The thing asked for does not exist (or is not visible to the caller).
    NotFound(String),
    /// A write would break one or more rules of the relation type.
    Constraint(Vec<Violation>),
    /// No or bad credentials.
    Unauthenticated(String),
    /// Valid credentials without the role the operation needs.
    Forbidden(String),
    /// The journal no longer holds what was asked for (a cursor or a time
    /// older than the events it keeps).
    Expired(String),
    /// A traversal would visit more rows than `--max-traversal-rows`.
    TooLarge(String),
    /// The database cannot be reached, dropped the connection, or is
    /// locked by another process for longer than `--db-timeout`: nothing
    /// was done, and the same request may succeed later (HTTP 503 with
    /// `Retry-After`).
    Unavailable(String),
    /// The database refuses writes (a read-only SQLite file, a PostgreSQL
    /// standby): nothing was written; reads still work (HTTP 503).
    ReadOnly(String),
    /// The server is at capacity: the request waited longer than
    /// `--queue-timeout` for a turn, or `--max-queued-requests` were
    /// waiting already. Nothing ran (HTTP 503 with `Retry-After`).
    Overloaded(String),
    /// Anything else. The cause is logged, never sent to a client.
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

/// Short for `Result<T, AppError>`.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A `BAD_USER_INPUT` error.
    pub fn bad_input(message: impl Into<String>) -> Self {
        AppError::BadInput(message.into())
    }

    /// A `NOT_FOUND` error.
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound(message.into())
    }

    /// A `CONSTRAINT_VIOLATION` error with one violation.
    pub fn constraint(rule: Rule, message: impl Into<String>) -> Self {
        AppError::Constraint(vec![Violation::new(rule, message)])
    }

    /// An internal error from any cause.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Arc::new(cause))
    }

    /// The stable code of this error (`extensions.code` in GraphQL).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadInput(_) => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Constraint(_) => "CONSTRAINT_VIOLATION",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Expired(_) => "HISTORY_EXPIRED",
            AppError::TooLarge(_) => "TRAVERSAL_TOO_LARGE",
            AppError::Unavailable(_) => "DATABASE_UNAVAILABLE",
            AppError::ReadOnly(_) => "DATABASE_READ_ONLY",
            AppError::Overloaded(_) => "OVERLOADED",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message a client may see. Internal causes are masked.
    pub fn public_message(&self) -> String {
        match self {
            AppError::BadInput(m)
            | AppError::NotFound(m)
            | AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::Expired(m)
            | AppError::TooLarge(m)
            | AppError::Unavailable(m)
            | AppError::ReadOnly(m)
            | AppError::Overloaded(m) => m.clone(),
            AppError::Constraint(violations) => violations
                .iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            AppError::Internal(_) => "Internal server error".to_owned(),
        }
    }

    /// For the errors a client should retry later (the database is away,
    /// the server is at capacity): the seconds to send in `Retry-After`.
    /// Such errors are answered with HTTP 503.
    pub fn retry_after(&self) -> Option<u64> {
        retry_after_of_code(self.code())
    }

    /// The first broken rule, for `CONSTRAINT_VIOLATION` errors.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            AppError::Constraint(v) => v.first().map(|v| v.rule),
            _ => None,
        }
    }
}
