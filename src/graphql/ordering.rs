//! Response fields in query order.
//!
//! The GraphQL specification asks for response objects in the order their
//! fields appear in the query ("Serialized Map Ordering"). async-graphql 7
//! resolves sibling fields concurrently and inserts each into the response as
//! it completes, so the order follows timing (upstream issue 612). After
//! execution, [`reorder_response`] re-orders every object of `data` by the
//! request's parsed document, fragments and aliases included: cheap (a walk
//! over the response), and deterministic.

use std::collections::HashMap;
use std::rc::Rc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};

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

/// The response keys of each list of selection sets met so far: the items
/// of a list share their selection sets, so each is walked once.
type Orders<'a> = HashMap<Vec<*const SelectionSet>, Rc<Vec<(Name, Vec<&'a SelectionSet>)>>>;

fn reorder<'a>(
    doc: &'a ExecutableDocument,
    value: &mut Value,
    sets: &[&'a SelectionSet],
    orders: &mut Orders<'a>,
) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder(doc, item, sets, orders);
            }
        }
        Value::Object(map) => {
            let id: Vec<*const SelectionSet> = sets.iter().map(|s| *s as *const _).collect();
            let order = orders
                .entry(id)
                .or_insert_with(|| {
                    let mut order = Vec::new();
                    keys(doc, sets, &mut order);
                    Rc::new(order)
                })
                .clone();
            let in_order = map.len() == order.len()
                && map.keys().zip(order.iter()).all(|(k, (key, _))| k == key);
            if in_order {
                for ((_, subs), v) in order.iter().zip(map.values_mut()) {
                    reorder(doc, v, subs, orders);
                }
                return;
            }
            let mut old = std::mem::take(map);
            for (key, subs) in order.iter() {
                if let Some(mut v) = old.shift_remove(key) {
                    reorder(doc, &mut v, subs, orders);
                    map.insert(key.clone(), v);
                }
            }
            // Anything the walk did not name (nothing, normally) keeps its place at the end.
            map.extend(old);
        }
        _ => {}
    }
}

/// Puts the fields of `data` in the order of the operation `operation_name`
/// of `doc` (the only one when `None`).
pub fn reorder_response(doc: &ExecutableDocument, operation_name: Option<&str>, data: &mut Value) {
    let op = doc
        .operations
        .iter()
        .find(|(name, _)| match (name, operation_name) {
            (Some(n), Some(wanted)) => n.as_str() == wanted,
            _ => true,
        });
    if let Some((_, op)) = op {
        reorder(
            doc,
            data,
            &[&op.node.selection_set.node],
            &mut HashMap::new(),
        );
    }
}
