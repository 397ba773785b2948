//! The one place where errors become GraphQL errors.
//!
//! [`AppError`] converts into an `async_graphql::Error` carrying
//! `extensions.code` (and `extensions.rule` plus every violation for
//! `CONSTRAINT_VIOLATION`). Internal causes are logged here, inside the
//! request's span (which carries the request id), and replaced by a generic
//! message. The errors async-graphql raises itself get a code too
//! ([`code_the_rest`], and [`super::request`] for the checks made before
//! execution): `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, the limit
//! codes (`DEPTH_LIMIT_EXCEEDED`, `COMPLEXITY_LIMIT_EXCEEDED`,
//! `DIRECTIVE_LIMIT_EXCEEDED`, and `ALIAS_LIMIT_EXCEEDED`, which relgate
//! enforces itself), and `BAD_USER_INPUT` for operations that cannot be
//! chosen and arguments that cannot be coerced.
//!
//! None of this is an async-graphql extension: with any extension installed,
//! async-graphql runs every field and every list item through the extension
//! chain (a boxed future and a registry lookup each), which cost about a
//! quarter of the server's CPU time on a fan-out query.

use async_graphql::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError, Value};

use crate::error::AppError;

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            tracing::error!(error = %cause, debug = ?cause, "internal error");
        }
        async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            if let AppError::Constraint(violations) = &err {
                if let Some(first) = violations.first() {
                    ext.set("rule", first.rule.as_str());
                }
                ext.set(
                    "violations",
                    Value::List(
                        violations
                            .iter()
                            .map(|v| {
                                let mut obj = async_graphql::indexmap::IndexMap::new();
                                obj.insert(
                                    async_graphql::Name::new("rule"),
                                    Value::from(v.rule.as_str()),
                                );
                                obj.insert(
                                    async_graphql::Name::new("message"),
                                    Value::from(v.message.clone()),
                                );
                                Value::Object(obj)
                            })
                            .collect(),
                    ),
                );
            }
        })
    }
}

/// Short for a resolver result; `?` on an [`AppError`] sets the code.
pub type GqlResult<T> = async_graphql::Result<T>;

/// `err` with `extensions.code` set to `code`, unless it has one.
pub(crate) fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        err.extensions
            .get_or_insert_with(ErrorExtensionValues::default)
            .set("code", code);
    }
    err
}

/// The code of a limit async-graphql enforces, from its message (the one
/// place that knows those messages; a test trips each limit).
fn limit_code(message: &str) -> Option<&'static str> {
    if message.starts_with("Query is nested too deep")
        || message.starts_with("The recursion depth of the query")
    {
        Some("DEPTH_LIMIT_EXCEEDED")
    } else if message.starts_with("Query is too complex") {
        Some("COMPLEXITY_LIMIT_EXCEEDED")
    } else if message.starts_with("The number of directives") {
        Some("DIRECTIVE_LIMIT_EXCEEDED")
    } else {
        None
    }
}

fn count_aliases(set: &Positioned<SelectionSet>) -> usize {
    set.node
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set)
            }
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliased fields in every operation and fragment of `doc`.
pub(crate) fn aliases(doc: &ExecutableDocument) -> usize {
    doc.operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set))
        .chain(
            doc.fragments
                .values()
                .map(|f| count_aliases(&f.node.selection_set)),
        )
        .sum()
}

/// Gives every error of a finished request that has no code one (see the
/// module docs). Parsing, aliases and the choice of operation were checked
/// before execution ([`super::request`]), so what is left is async-graphql's
/// own: a limit it enforces, a validation error (these have no path: no
/// field ran), or an argument that could not be coerced while a field
/// resolved (these have the field's path).
pub(crate) fn code_the_rest(errors: &mut Vec<ServerError>) {
    for e in std::mem::take(errors) {
        let code = limit_code(&e.message).unwrap_or(if e.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        });
        errors.push(with_code(e, code));
    }
}
