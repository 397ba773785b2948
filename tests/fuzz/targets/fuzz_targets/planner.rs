//! The compiled planner (`graphql::compiled::plan`): a GraphQL document
//! and its variables as JSON, separated by the first NUL byte (no NUL: no
//! variables). The document is parsed as relgate's request parsing does;
//! then every operation is planned, by name and unnamed, as an admin and
//! as a reader, and its selection planned as each sub-selection kind the
//! general executor asks for. A plan or a `Bail` are both answers; a panic
//! (or a hang: libFuzzer's `-timeout`) is a failure.
//!
//! The documents are not validated first (relgate plans only documents
//! async-graphql has validated): the planner must hold on any document, as
//! it is the only thing between a request and the compiled executor.
#![no_main]

use async_graphql::Variables;
use async_graphql::parser::parse_query;
use libfuzzer_sys::fuzz_target;
use relgate::fuzzing::{Env, Of, PageLimits, Scope, Visibility, plan, sub_selection};

fuzz_target!(|data: &[u8]| {
    let (doc, vars) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(doc) = std::str::from_utf8(doc) else {
        return;
    };
    let Ok(doc) = parse_query(doc) else {
        return;
    };
    let variables = serde_json::from_slice::<serde_json::Value>(vars)
        .map(Variables::from_json)
        .unwrap_or_default();
    let limits = PageLimits::default();
    let names: Vec<Option<String>> = std::iter::once(None)
        .chain(doc.operations.iter().map(|(n, _)| n.map(|n| n.to_string())))
        .collect();
    for include_private in [true, false] {
        let env = Env {
            limits,
            visibility: Visibility { include_private },
            variables: &variables,
        };
        for name in &names {
            let _ = plan(&doc, name.as_deref(), &env, 50_000);
        }
        for (_, op) in doc.operations.iter() {
            let scope = Scope {
                variable_definitions: &op.node.variable_definitions,
                fragments: &doc.fragments,
            };
            for of in [Of::Entity, Of::RelationEdge, Of::EntityConnection] {
                let _ = sub_selection(&scope, &env, &op.node.selection_set.node, of);
            }
        }
    }
});
