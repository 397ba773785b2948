//! Response fields in query order.
//!
//! The GraphQL specification asks for response objects in the order their
//! fields appear in the query ("Serialized Map Ordering"). async-graphql 7
//! resolves sibling fields concurrently and inserts each into the response as
//! it completes, so the order follows timing (upstream issue 612). This
//! extension keeps the request's parsed document and, after execution,
//! re-orders every object of `data` by its selection set, fragments and
//! aliases included: cheap (a walk over the response), and deterministic.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Response, ServerResult, Value, Variables};

/// Creates one [`QueryOrder`] per request.
pub struct QueryOrderFactory;

impl ExtensionFactory for QueryOrderFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryOrder(Mutex::new(None)))
    }
}

/// Re-orders one request's response by its document.
pub struct QueryOrder(Mutex<Option<ExecutableDocument>>);

/// The response keys a list of selection sets yields, in query order, with
/// the sub-selections of each key.
fn keys<'a>(
    doc: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    out: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
) {
    for set in sets {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.clone();
                    let sub = &f.node.selection_set.node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(sub),
                        None => out.push((key, vec![sub])),
                    }
                }
                Selection::InlineFragment(f) => keys(doc, &[&f.node.selection_set.node], out),
                Selection::FragmentSpread(s) => {
                    if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                        keys(doc, &[&frag.node.selection_set.node], out);
                    }
                }
            }
        }
    }
}

fn reorder(doc: &ExecutableDocument, value: &mut Value, sets: &[&SelectionSet]) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder(doc, item, sets);
            }
        }
        Value::Object(map) => {
            let mut order = Vec::new();
            keys(doc, sets, &mut order);
            let mut old = std::mem::take(map);
            for (key, subs) in &order {
                if let Some(mut v) = old.shift_remove(key) {
                    reorder(doc, &mut v, subs);
                    map.insert(key.clone(), v);
                }
            }
            // Anything the walk did not name (nothing, normally) keeps its place at the end.
            map.extend(old);
        }
        _ => {}
    }
}

#[async_trait::async_trait]
impl Extension for QueryOrder {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(doc.clone());
        }
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let doc = self.0.lock().ok().and_then(|mut d| d.take());
        if let Some(doc) = doc {
            let op = doc
                .operations
                .iter()
                .find(|(name, _)| match (name, operation_name) {
                    (Some(n), Some(wanted)) => n.as_str() == wanted,
                    _ => true,
                });
            if let Some((_, op)) = op {
                let set = &op.node.selection_set.node;
                reorder(&doc, &mut response.data, &[set]);
            }
        }
        response
    }
}
