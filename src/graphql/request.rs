//! Running a GraphQL request: the checks before execution, async-graphql's
//! execution, and the finishing touches after it.
//!
//! Before: the document is parsed once (`GRAPHQL_PARSE_FAILED`), its aliases
//! counted (`ALIAS_LIMIT_EXCEEDED`), and its operation chosen
//! (`BAD_USER_INPUT` when the name is unknown, or missing among several).
//! The parsed document goes to async-graphql, which does not parse again.
//! Parsed documents are kept by query text ([`Documents`]): clients send the
//! same few operations over and over, and cloning a parsed document costs a
//! fraction of parsing it again.
//! After: response fields are put in query order ([`super::ordering`]) and
//! the errors async-graphql raised get their codes ([`super::errors`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, Schema, ServerError};

use super::compiled;
use super::errors::{aliases, code_the_rest, with_code};
use super::mutation::Mutation;
use super::ordering::reorder_response;
use super::query::Query;
use super::subscription::Subscription;
use super::{PageLimits, SchemaOptions};
use crate::domain::Visibility;
use crate::read::Reader;
use crate::service::Service;

/// async-graphql's schema for relgate's root types.
pub type InnerSchema = Schema<Query, Mutation, Subscription>;

/// The GraphQL schema, with the checks relgate makes around each execution.
#[derive(Clone)]
pub struct RelgateSchema {
    inner: InnerSchema,
    max_aliases: usize,
    /// For the compiled executor; `None` when it is turned off.
    compiled: Option<CompiledLimits>,
    documents: Arc<Documents>,
}

/// The limits the compiled executor checks for each request.
#[derive(Clone, Copy)]
struct CompiledLimits {
    page: PageLimits,
    max_complexity: usize,
}

/// A parsed document and its number of aliases.
struct Parsed {
    doc: ExecutableDocument,
    aliases: usize,
    /// The operations (by name) async-graphql has validated and run: the
    /// compiled executor may answer those (see [`super::compiled`]).
    validated: Mutex<Vec<Option<String>>>,
}

impl Parsed {
    fn is_validated(&self, operation: Option<&str>) -> bool {
        self.validated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|o| o.as_deref() == operation)
    }

    /// Whether async-graphql has run an operation of it cleanly.
    fn has_run(&self) -> bool {
        !self
            .validated
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    fn set_validated(&self, operation: Option<&str>) {
        let mut v = self
            .validated
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !v.iter().any(|o| o.as_deref() == operation) {
            v.push(operation.map(str::to_owned));
        }
    }
}

/// Parsed documents by query text, each from at most
/// [`Documents::MAX_TEXT`] bytes of text, in two segments that each drop
/// their least recently used document when full: a new document enters on
/// probation ([`Documents::PROBATION`] places) and is promoted to the
/// protected segment ([`Documents::PROTECTED`] places) when a later request
/// uses it again (once an earlier one ran it cleanly); the protected segment's least recently used document goes back on
/// probation. A caller that sends ever new documents only churns probation
/// (and pays a parse each, as without the cache): the documents other
/// clients repeat stay protected, and keep the compiled executor.
#[derive(Default)]
struct Documents(Mutex<Segments>);

#[derive(Default)]
struct Segments {
    /// Counts lookups: an entry's `used` is the tick of its last use.
    tick: u64,
    probation: HashMap<String, Entry>,
    protected: HashMap<String, Entry>,
}

struct Entry {
    parsed: Arc<Parsed>,
    used: u64,
}

impl Segments {
    /// The cached document for `query`, promoted when it was on probation.
    fn get(&mut self, query: &str) -> Option<Arc<Parsed>> {
        self.tick += 1;
        let tick = self.tick;
        if let Some(entry) = self.protected.get_mut(query) {
            entry.used = tick;
            return Some(entry.parsed.clone());
        }
        let entry = self.probation.get_mut(query)?;
        entry.used = tick;
        // Used again: by a later request than the one that parsed it, which
        // ran it (every request looks a document up several times).
        if !entry.parsed.has_run() {
            return Some(entry.parsed.clone());
        }
        let (text, entry) = self.probation.remove_entry(query)?;
        let parsed = entry.parsed.clone();
        if self.protected.len() >= Documents::PROTECTED
            && let Some((text, demoted)) = least_recent(&mut self.protected)
        {
            self.put_on_probation(text, demoted);
        }
        self.protected.insert(text, entry);
        Some(parsed)
    }

    fn put_on_probation(&mut self, text: String, entry: Entry) {
        if self.protected.contains_key(&text) {
            return; // a racing request promoted it meanwhile
        }
        if self.probation.len() >= Documents::PROBATION && !self.probation.contains_key(&text) {
            least_recent(&mut self.probation);
        }
        self.probation.insert(text, entry);
    }
}

/// Removes the least recently used entry of `segment` (a scan: it runs only
/// when a document is added or promoted, and the segments are small).
fn least_recent(segment: &mut HashMap<String, Entry>) -> Option<(String, Entry)> {
    let text = segment
        .iter()
        .min_by_key(|(_, e)| e.used)
        .map(|(text, _)| text.clone())?;
    segment.remove_entry(&text)
}

impl Documents {
    const PROBATION: usize = 32;
    const PROTECTED: usize = 96;
    const MAX_TEXT: usize = 8 * 1024;

    fn parse(&self, query: &str) -> Result<Arc<Parsed>, ServerError> {
        let cached = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(query);
        if let Some(parsed) = cached {
            return Ok(parsed);
        }
        let doc = async_graphql::parser::parse_query(query).map_err(ServerError::from)?;
        let parsed = Arc::new(Parsed {
            aliases: aliases(&doc),
            doc,
            validated: Mutex::default(),
        });
        if query.len() <= Self::MAX_TEXT {
            let mut segments = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            segments.tick += 1;
            let entry = Entry {
                parsed: parsed.clone(),
                used: segments.tick,
            };
            segments.put_on_probation(query.to_owned(), entry);
        }
        Ok(parsed)
    }
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
    /// Wraps async-graphql's schema; documents with more than
    /// `options.max_aliases` aliased fields are refused.
    pub fn new(inner: InnerSchema, options: &SchemaOptions) -> Self {
        Self {
            inner,
            max_aliases: options.max_aliases,
            compiled: options.compiled_reads.then_some(CompiledLimits {
                page: options.page,
                max_complexity: options.max_complexity,
            }),
            documents: Arc::default(),
        }
    }

    /// Answers `request` with the compiled executor (see
    /// [`super::compiled`]): the response body, or `None` when the request
    /// is not one it answers, and must be run with [`Self::execute`].
    pub async fn execute_compiled(
        &self,
        request: &Request,
        reader: &Reader,
        visibility: Visibility,
        service: &Service,
    ) -> Option<String> {
        let limits = self.compiled?;
        let parsed = self.documents.parse(&request.query).ok()?;
        let operation = request.operation_name.as_deref();
        if parsed.aliases > self.max_aliases || !parsed.is_validated(operation) {
            return None;
        }
        let env = compiled::plan::Env {
            limits: limits.page,
            visibility,
            variables: &request.variables,
        };
        let plan =
            compiled::plan::plan(&parsed.doc, operation, &env, limits.max_complexity).ok()?;
        compiled::run(&plan, reader, service).await.ok()
    }

    /// What `request` runs, from one parse of its document: the operation's
    /// name (the one it names, else the document's only operation's, if it
    /// has a name; for `/metrics`) and whether it may write (see
    /// [`Self::may_write`]).
    pub fn shape(&self, request: &Request) -> OperationShape {
        let Ok(parsed) = self.documents.parse(&request.query) else {
            return OperationShape {
                name: request.operation_name.clone(),
                writes: false,
            };
        };
        let name = request
            .operation_name
            .clone()
            .or_else(|| match &parsed.doc.operations {
                DocumentOperations::Multiple(ops) if ops.len() == 1 => {
                    ops.keys().next().map(|n| n.to_string())
                }
                _ => None,
            });
        OperationShape {
            name,
            writes: writes(&parsed.doc, request.operation_name.as_deref()),
        }
    }

    /// Whether `request` may write: its document parses and the operation it
    /// may run (the one named, or any when none is) is a mutation or a
    /// subscription. A document that does not parse runs nothing.
    pub fn may_write(&self, request: &Request) -> bool {
        self.documents
            .parse(&request.query)
            .is_ok_and(|parsed| writes(&parsed.doc, request.operation_name.as_deref()))
    }

    /// The checks made before execution (see the module docs): the parsed
    /// document, set on `request`, or the response that refuses it (a
    /// refusal is rare, and built once: its size does not matter).
    #[allow(clippy::result_large_err)]
    fn prepare(&self, request: &mut Request) -> Result<Arc<Parsed>, Response> {
        let parsed = match self.documents.parse(&request.query) {
            Ok(parsed) => parsed,
            Err(e) => {
                return Err(Response::from_errors(vec![with_code(
                    e,
                    "GRAPHQL_PARSE_FAILED",
                )]));
            }
        };
        let n = parsed.aliases;
        if n > self.max_aliases {
            return Err(failed(
                format!(
                    "at most {} aliases per document; this one has {n}",
                    self.max_aliases
                ),
                "ALIAS_LIMIT_EXCEEDED",
            ));
        }
        if let Err(message) = check_operation(&parsed.doc, request.operation_name.as_deref()) {
            return Err(failed(message, "BAD_USER_INPUT"));
        }
        request.set_parsed_query(parsed.doc.clone());
        Ok(parsed)
    }

    /// Runs one request.
    pub async fn execute(&self, mut request: Request) -> Response {
        let parsed = match self.prepare(&mut request) {
            Ok(parsed) => parsed,
            Err(refused) => return refused,
        };
        let doc = &parsed.doc;
        let operation = request.operation_name.clone();
        let mut response = self.inner.execute(request).await;
        // Validation errors leave no data; with data, the document passed
        // every validation rule.
        if response.data != async_graphql::Value::Null {
            parsed.set_validated(operation.as_deref());
        }
        reorder_response(doc, operation.as_deref(), &mut response.data);
        code_the_rest(&mut response.errors);
        response
    }
}

/// Subscriptions (over the WebSocket) run through the same checks, and
/// their errors get codes the same way.
impl async_graphql::Executor for RelgateSchema {
    fn execute(&self, request: Request) -> impl std::future::Future<Output = Response> + Send {
        RelgateSchema::execute(self, request)
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> futures_util::stream::BoxStream<'static, Response> {
        use futures_util::StreamExt;
        match self.prepare(&mut request) {
            Err(refused) => futures_util::stream::once(async move { refused }).boxed(),
            Ok(_) => self
                .inner
                .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                .map(|mut r| {
                    code_the_rest(&mut r.errors);
                    r
                })
                .boxed(),
        }
    }
}

/// What a request runs (see [`RelgateSchema::shape`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationShape {
    /// The operation's name, when it has one.
    pub name: Option<String>,
    /// Whether it may write (a mutation or a subscription).
    pub writes: bool,
}

/// Whether the operation of `doc` that may run (the one named `wanted`, or
/// any when none is named) is a mutation or a subscription.
fn writes(doc: &ExecutableDocument, wanted: Option<&str>) -> bool {
    doc.operations.iter().any(|(name, op)| {
        let selected = match (wanted, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            _ => true,
        };
        selected && op.node.ty != OperationType::Query
    })
}
