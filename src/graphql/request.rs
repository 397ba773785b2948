//! Running a GraphQL request: the checks before execution, async-graphql's
//! execution, and the finishing touches after it.
//!
//! Before: the document is parsed once (`GRAPHQL_PARSE_FAILED`), its aliases
//! counted (`ALIAS_LIMIT_EXCEEDED`), and its operation chosen
//! (`BAD_USER_INPUT` when the name is unknown, or missing among several).
//! The parsed document goes to async-graphql, which does not parse again.
//! After: response fields are put in query order ([`super::ordering`]) and
//! the errors async-graphql raised get their codes ([`super::errors`]).

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::{
    BatchRequest, BatchResponse, EmptySubscription, Request, Response, Schema, ServerError,
};

use super::errors::{aliases, code_the_rest, with_code};
use super::mutation::Mutation;
use super::ordering::reorder_response;
use super::query::Query;

/// async-graphql's schema for relgate's root types.
pub type InnerSchema = Schema<Query, Mutation, EmptySubscription>;

/// The GraphQL schema, with the checks relgate makes around each execution.
#[derive(Clone)]
pub struct RelgateSchema {
    inner: InnerSchema,
    max_aliases: usize,
}

fn failed(message: String, code: &str) -> Response {
    Response::from_errors(vec![with_code(ServerError::new(message, None), code)])
}

/// Whether `doc` has the operation `name` asks for (see [`Request`]'s
/// `operationName`): the message of the error if not.
fn check_operation(doc: &ExecutableDocument, name: Option<&str>) -> Result<(), String> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(_), None) => Ok(()),
        (DocumentOperations::Multiple(ops), Some(n)) if ops.contains_key(n) => Ok(()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => Ok(()),
        (DocumentOperations::Multiple(_), None) => {
            Err("Operation name required in request.".to_owned())
        }
        (_, Some(n)) => Err(format!(r#"Unknown operation named "{n}""#)),
    }
}

impl RelgateSchema {
    /// Wraps async-graphql's schema; documents with more than `max_aliases`
    /// aliased fields are refused.
    pub fn new(inner: InnerSchema, max_aliases: usize) -> Self {
        Self { inner, max_aliases }
    }

    /// The schema's SDL.
    pub fn sdl(&self) -> String {
        self.inner.sdl()
    }

    /// Runs one request.
    pub async fn execute(&self, mut request: Request) -> Response {
        let doc = match async_graphql::parser::parse_query(&request.query) {
            Ok(doc) => doc,
            Err(e) => {
                return Response::from_errors(vec![with_code(
                    ServerError::from(e),
                    "GRAPHQL_PARSE_FAILED",
                )]);
            }
        };
        let n = aliases(&doc);
        if n > self.max_aliases {
            return failed(
                format!(
                    "at most {} aliases per document; this one has {n}",
                    self.max_aliases
                ),
                "ALIAS_LIMIT_EXCEEDED",
            );
        }
        let operation = request.operation_name.clone();
        if let Err(message) = check_operation(&doc, operation.as_deref()) {
            return failed(message, "BAD_USER_INPUT");
        }
        request.set_parsed_query(doc.clone());
        let mut response = self.inner.execute(request).await;
        reorder_response(&doc, operation.as_deref(), &mut response.data);
        code_the_rest(&mut response.errors);
        response
    }

    /// Runs the requests of a batch one after the other.
    pub async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(r) => BatchResponse::Single(self.execute(r).await),
            BatchRequest::Batch(rs) => {
                let mut out = Vec::with_capacity(rs.len());
                for r in rs {
                    out.push(self.execute(r).await);
                }
                BatchResponse::Batch(out)
            }
        }
    }
}
