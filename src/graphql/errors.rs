//! The one place where errors become GraphQL errors.
//!
//! [`AppError`] converts into an `async_graphql::Error` carrying
//! `extensions.code` (and `extensions.rule` plus every violation for
//! `CONSTRAINT_VIOLATION`). Internal causes are logged here, inside the
//! request's span (which carries the request id), and replaced by a generic
//! message. [`ErrorCodes`] gives the errors async-graphql raises itself a code
//! too: `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, the limit codes
//! (`DEPTH_LIMIT_EXCEEDED`, `COMPLEXITY_LIMIT_EXCEEDED`,
//! `DIRECTIVE_LIMIT_EXCEEDED`, and `ALIAS_LIMIT_EXCEEDED`, which it also
//! enforces), and `BAD_USER_INPUT` for arguments that cannot be coerced.

use std::sync::Arc;

use async_graphql::Positioned;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, ErrorExtensions, Response, ServerError, ServerResult, ValidationResult,
    Value, Variables,
};

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

fn with_code(mut err: ServerError, code: &str) -> ServerError {
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

/// Sets `extensions.code` on the errors async-graphql raises itself, and
/// limits the aliases of a document.
#[derive(Clone, Copy)]
pub struct ErrorCodes {
    /// Most aliased fields in one document.
    pub max_aliases: usize,
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// The code of a limit async-graphql enforces, from its message (the one
/// place that knows those messages; a test trips each limit).
fn limit_code(message: &str) -> Option<&'static str> {
    if message.starts_with("Query is nested too deep") {
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
fn aliases(doc: &ExecutableDocument) -> usize {
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

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        // Whatever is left without a code failed while coercing arguments or
        // variables: the client's input.
        response.errors = response
            .errors
            .into_iter()
            .map(|e| with_code(e, "BAD_USER_INPUT"))
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(|e| {
            let code = limit_code(&e.message).unwrap_or("GRAPHQL_PARSE_FAILED");
            with_code(e, code)
        })?;
        let n = aliases(&doc);
        if n > self.max_aliases {
            let e = ServerError::new(
                format!(
                    "at most {} aliases per document; this one has {n}",
                    self.max_aliases
                ),
                None,
            );
            return Err(with_code(e, "ALIAS_LIMIT_EXCEEDED"));
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = limit_code(&e.message).unwrap_or("GRAPHQL_VALIDATION_FAILED");
                    with_code(e, code)
                })
                .collect()
        })
    }
}
