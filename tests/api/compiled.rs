//! The compiled executor answers plain reads exactly as async-graphql does.
//!
//! Each scenario seeds rule-abiding data of all three sources (private
//! relations and two-way mirrors included, and names that need escaping),
//! starts a twin server over the same database with
//! `disable_compiled_reads`, and sends every query to both: the bodies must
//! be equal byte for byte, and so must the SQL statements each ran. The
//! `x-relgate-executor` header says which executor answered, so the
//! comparison cannot pass by both servers falling back to async-graphql.

use relgate::config::ServeArgs;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    compiled_reads_match_async_graphql,
    generated_selections_read_and_answer_the_same_in_both_executors,
    what_the_compiled_executor_does_not_answer_goes_to_async_graphql,
    repeated_documents_stay_compiled_while_a_caller_sends_new_ones
);

/// One response: status, body text, statements, executor.
struct Answer {
    body: String,
    statements: u64,
    executor: String,
}

async fn send(app: &TestApp, query: &str, variables: &Value, operation: Option<&str>) -> Answer {
    let mut body = json!({ "query": query, "variables": variables });
    if let Some(op) = operation {
        body["operationName"] = json!(op);
    }
    let mut req = app.client.post(app.url("/graphql")).json(&body);
    if let Some(t) = &app.token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("POST /graphql");
    assert_eq!(res.status(), 200, "{query}");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let statements = header("x-relgate-sql-statements").parse().unwrap();
    let executor = header("x-relgate-executor");
    assert_eq!(res.headers()["content-type"], "application/json", "{query}");
    Answer {
        body: res.text().await.unwrap(),
        statements,
        executor,
    }
}

fn seed(app: &TestApp) {
    app.demo_seed(150, 900);
}

/// Kanka characters whose names and labels need escaping, related to each
/// other (one relation private, one two-way).
async fn awkward_names(app: &TestApp) {
    let names = [
        "Quote \" and backslash \\",
        "Lines\nand\ttabs",
        "Control \u{1} \u{1f} bell",
        "Ünïcödé 漢字 🙂 </script>",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let data = app
            .data(
                "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }",
                json!({ "i": { "source": "kanka", "space": "77", "kind": "character",
                               "externalId": format!("{}", 9000 + i), "name": name } }),
            )
            .await;
        ids.push(
            data["upsertEntity"]["entity"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let t = app.type_id("kanka", "relation").await;
    app.relate_ok(
        &t,
        &ids[0],
        &ids[1],
        json!({ "label": "says \"hi\"\n", "attitude": -5 }),
    )
    .await;
    app.relate_ok(
        &t,
        &ids[1],
        &ids[2],
        json!({ "label": "secret", "isPrivate": true }),
    )
    .await;
    app.relate_ok(
        &t,
        &ids[2],
        &ids[3],
        json!({ "label": "both ways", "twoWay": true, "colour": "#aabbcc", "pinned": true }),
    )
    .await;
    app.relate_ok(&t, &ids[3], &ids[0], json!({ "label": "ünï" }))
        .await;
    // A custom (bidirectional) type: read by id, where built-in ones are
    // read once per process.
    let custom = app
        .data(
            r#"mutation { createRelationType(input: {source: "kanka", alias: "ally", name: "Ally \"of\" sorts", bidirectional: true}) { relationType { id } } }"#,
            json!({}),
        )
        .await["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.relate_ok(
        &custom,
        &ids[0],
        &ids[2],
        json!({ "comment": "since\tforever" }),
    )
    .await;
}

const PAGE_INFO: &str = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/// Every query shape the compiled executor answers, with its variables
/// (and operation name, for documents with several operations).
fn queries(busy: &Value, plain: &Value) -> Vec<(String, Value, Option<&'static str>)> {
    let key = |e: &Value| json!({ "s": e["source"], "sp": e["space"], "k": e["kind"], "x": e["externalId"] });
    let by_key = "entity(source: $s, space: $sp, kind: $k, externalId: $x)";
    let vars = "$s: String!, $sp: String, $k: String, $x: String!";
    let relation_fields = "id legacyId label comment attitude colour pinned isPrivate createdAt updatedAt __typename \
         type { id source alias name bidirectional updatable systemManaged builtIn sameSpace allowSelf symmetric createdAt updatedAt __typename } \
         from { name } to { id name __typename }";
    let entity_fields = "id source space kind externalId name createdAt updatedAt __typename";
    let mut q: Vec<(String, Value, Option<&'static str>)> = vec![
        // Q1: an entity page.
        (
            format!("query({vars}) {{ {by_key} {{ name relations(first: 20) {{ totalCount edges {{ node {{ label type {{ alias }} from {{ name }} to {{ name }} }} }} }} }} }}"),
            key(busy),
            None,
        ),
        // Every field of the subset.
        (
            format!("query({vars}) {{ __typename {by_key} {{ {entity_fields} relations(first: 30) {{ __typename totalCount {PAGE_INFO} edges {{ __typename cursor direction node {{ {relation_fields} }} other {{ {entity_fields} }} }} }} related(first: 30) {{ __typename totalCount {PAGE_INFO} edges {{ __typename cursor node {{ {entity_fields} }} }} }} }} }}"),
            key(busy),
            None,
        ),
        // One entity asked for under one key twice and under another key:
        // one statement for its key in both executors.
        (
            format!("query({vars}) {{ one: {by_key} {{ name }} one: {by_key} {{ kind relations(first: 2) {{ totalCount }} }} two: {by_key} {{ id }} }}"),
            key(busy),
            None,
        ),
        // Q2: fan-out.
        (
            "{ entities(first: 50) { edges { node { relations(first: 20) { edges { other { name } } } } } } }".to_owned(),
            json!({}),
            None,
        ),
        (
            format!("{{ entities(first: 40) {{ __typename totalCount {PAGE_INFO} edges {{ __typename cursor node {{ id name relations(first: 5) {{ totalCount edges {{ direction node {{ label isPrivate }} }} }} }} }} }} }}"),
            json!({}),
            None,
        ),
        // Q3: related view.
        (
            format!("query({vars}) {{ {by_key} {{ related(first: 50) {{ edges {{ node {{ name }} }} }} }} }}"),
            key(busy),
            None,
        ),
        // Depth: relations of the far ends of relations.
        (
            "{ entities(first: 6) { edges { node { name relations(first: 4) { edges { other { name relations(first: 3) { totalCount edges { node { from { name } to { name } } } } } } } } } } }".to_owned(),
            json!({}),
            None,
        ),
        // Paging: last, counts on their own statement (cursors), counts alone.
        (
            format!("query({vars}) {{ {by_key} {{ a: relations(last: 3) {{ totalCount {PAGE_INFO} edges {{ cursor }} }} b: relations(first: 2, after: \"Y3Vyc29yOjEw\") {{ totalCount {PAGE_INFO} edges {{ cursor }} }} c: relations {{ totalCount }} d: related {{ totalCount }} e: related(last: 2, before: \"Y3Vyc29yOjEwMDA\") {{ totalCount {PAGE_INFO} edges {{ cursor node {{ id }} }} }} }} }}"),
            key(busy),
            None,
        ),
        // Filters, as literals and as variables.
        (
            format!("query({vars}, $d: Direction = INCOMING) {{ {by_key} {{ out: relations(type: \"relation\", direction: OUTGOING, otherKind: \"character\") {{ totalCount edges {{ direction other {{ kind }} }} }} in: relations(direction: $d) {{ totalCount edges {{ direction }} }} none: relations(type: \"nope\") {{ totalCount {PAGE_INFO} edges {{ cursor }} }} rel: related(kind: \"character\", type: \"relation\", direction: BOTH, first: 3) {{ totalCount edges {{ node {{ kind }} }} }} }} }}"),
            key(busy),
            None,
        ),
        (
            "query($f: EntityFilterInput, $n: Int) { people: entities(filter: {source: \"copper\", kind: \"person\"}, first: 7) { totalCount edges { node { kind name } } } some: entities(filter: $f, first: $n) { totalCount edges { node { name } } } none: entities(filter: {nameContains: \"no such name\"}) { totalCount pageInfo { hasNextPage startCursor } edges { cursor } } }".to_owned(),
            json!({ "f": { "source": "kanka", "nameContains": "a", "space": null }, "n": 9 }),
            None,
        ),
        (
            "{ entities(last: 4, before: \"Y3Vyc29yOjUw\") { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }".to_owned(),
            json!({}),
            None,
        ),
        // Fragments, aliases, merged fields, directives.
        (
            format!("query({vars}, $yes: Boolean!, $no: Boolean = false) {{ {by_key} {{ ...E ... on Entity {{ kind }} ... on Node {{ id }} relations(first: 3) {{ totalCount }} relations(first: 3) {{ edges {{ cursor node {{ ...R }} }} }} skipped: name @skip(if: $yes) kept: name @include(if: $yes) gone: name @include(if: $no) ... @include(if: $yes) {{ space }} }} }} fragment E on Entity {{ name x: externalId relations(first: 3) {{ edges {{ other {{ ...E2 }} }} }} }} fragment E2 on Entity {{ name __typename }} fragment R on Relation {{ legacyId ... on Node {{ id }} type {{ ... on RelationType {{ alias }} }} }}"),
            {
                let mut v = key(busy);
                v["yes"] = json!(true);
                v
            },
            None,
        ),
        // An entity without relations; two root fields of each kind.
        (
            format!("query({vars}) {{ {by_key} {{ name relations {{ totalCount {PAGE_INFO} edges {{ cursor }} }} related {{ totalCount edges {{ cursor }} }} }} again: {by_key} {{ id }} entities(first: 1) {{ edges {{ node {{ id }} }} }} }}"),
            key(plain),
            None,
        ),
        // The awkward names.
        (
            format!("{{ entity(source: \"kanka\", space: \"77\", externalId: \"9000\") {{ {entity_fields} relations {{ edges {{ direction node {{ {relation_fields} }} other {{ name related {{ edges {{ node {{ name }} }} }} }} }} }} }} }}"),
            json!({}),
            None,
        ),
        // Relation columns read in parts, and relation types with and
        // without their contract in one statement.
        (
            format!("query({vars}) {{ {by_key} {{ a: relations(first: 6) {{ edges {{ node {{ type {{ alias name builtIn }} label }} }} }} b: relations(first: 6) {{ edges {{ node {{ type {{ alias sameSpace allowSelf symmetric }} createdAt }} }} }} c: relations(first: 4) {{ edges {{ direction node {{ id from {{ id }} }} }} }} d: relations(last: 4) {{ edges {{ node {{ updatedAt isPrivate type {{ id updatable systemManaged createdAt updatedAt }} }} }} }} }} }}"),
            key(busy),
            None,
        ),
        // Variables as async-graphql reads them: a nullable one not sent is
        // null (inside an object too); `@skip`/`@include` read only the
        // variables sent (not defaults); skipped fields keep their key's
        // place in the order.
        (
            format!("query({vars}, $kind: String, $show: Boolean = true, $hide: Boolean) {{ some: entities(filter: {{source: \"kanka\", kind: $kind}}, first: 3) {{ totalCount edges {{ node {{ name }} }} }} {by_key} {{ name @skip(if: true) x: id @include(if: $show) id name ... @include(if: false) {{ kind }} ... @skip(if: $hide) {{ space }} kind relations(first: 2) @include(if: $show) {{ totalCount }} relations(first: 2) {{ edges {{ cursor }} }} }} }}"),
            key(busy),
            None,
        ),
        // Filters and orders (literal and in variables), and their cursors.
        (
            format!("query({vars}, $f: EdgeFilterInput, $o: [RelationOrder!]) {{ {by_key} {{ a: relations(filter: $f, orderBy: $o, first: 3) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ label attitude pinned }} }} }} b: related(orderBy: $o, filter: {{pinned: false}}) {{ totalCount {PAGE_INFO} edges {{ cursor node {{ name }} }} }} c: relations(orderBy: [{{field: PINNED_FIRST}}, {{field: LABEL, direction: DESC}}], filter: {{label: {{contains: \"a\", caseInsensitive: true}}, otherKinds: [\"character\", \"location\"]}}, last: 4) {{ totalCount {PAGE_INFO} edges {{ cursor other {{ kind }} }} }} }} }}"),
            {
                let mut v = key(busy);
                v["f"] = json!({ "attitude": { "min": -50 }, "isPrivate": false });
                v["o"] = json!([{ "field": "ATTITUDE", "direction": "DESC" }, { "field": "UPDATED" }]);
                v
            },
            None,
        ),
    ];
    q.push((
        "{ entity(source: \"kanka\", space: \"77\", externalId: \"9002\") { name relations { edges { node { isPrivate label } } } } }"
            .to_owned(),
        json!({}),
        None,
    ));
    q
}

/// A Kanka entity with the most relations, and a Copper one with none.
async fn pick(app: &TestApp) -> (Value, Value) {
    let data = app
        .data(
            "{ entities(first: 100, filter: {source: \"kanka\"}) { edges { node { source space kind externalId relations { totalCount } } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<Value> = data["entities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let busy = nodes
        .iter()
        .max_by_key(|n| n["relations"]["totalCount"].as_u64())
        .unwrap()
        .clone();
    let plain = app
        .data(
            "mutation { upsertEntity(input: {source: \"copper\", kind: \"company\", externalId: \"424242\", name: \"Alone Inc.\"}) { entity { source space kind externalId } } }",
            json!({}),
        )
        .await["upsertEntity"]["entity"]
        .clone();
    (busy, plain)
}

async fn compiled_reads_match_async_graphql(app: TestApp) {
    seed(&app);
    awkward_names(&app).await;
    let (busy, plain) = pick(&app).await;
    assert!(
        busy["relations"]["totalCount"].as_u64().unwrap() > 5,
        "{busy}"
    );
    let (generic, twin) = app
        .twin(ServeArgs {
            disable_compiled_reads: true,
            ..ServeArgs::default()
        })
        .await;
    let admin = app.create_token("admin", "admin", &[]);
    let reader = app.create_token("read", "reader", &[]);
    let mut compared = 0;
    for token in [&admin, &reader] {
        let (fast, slow) = (app.with_token(token), generic.with_token(token));
        for (query, variables, operation) in queries(&busy, &plain) {
            let expected = send(&slow, &query, &variables, operation).await;
            assert_eq!(expected.executor, "async-graphql");
            assert!(
                !expected.body.contains("\"errors\""),
                "{query}: {}",
                expected.body
            );
            // The first request of a document is validated by async-graphql;
            // the next ones are compiled.
            let first = send(&fast, &query, &variables, operation).await;
            let again = send(&fast, &query, &variables, operation).await;
            assert_eq!(again.executor, "compiled", "{query}");
            assert_eq!(first.body, expected.body, "{query}");
            assert_eq!(again.body, expected.body, "{query}");
            // The same reads: the same statements (`read::level` decides
            // them for both), also for a field repeated under one response
            // key, which async-graphql resolves occurrence by occurrence
            // and the compiled executor as one.
            assert_eq!(again.statements, expected.statements, "{query}");
            compared += 1;
        }
    }
    // The reader does not see private relations: the answers differ by role.
    let q = "{ entity(source: \"kanka\", space: \"77\", externalId: \"9002\") { relations { totalCount } } }";
    let seen = |t: &str| {
        let app = app.with_token(t);
        async move { send(&app, q, &json!({}), None).await }
    };
    let (a, _) = (seen(&admin).await, seen(&admin).await);
    let r = seen(&reader).await;
    assert_eq!(r.executor, "compiled");
    assert_ne!(a.body, r.body);
    assert!(compared >= 30);
    twin.stop().await;
}

async fn what_the_compiled_executor_does_not_answer_goes_to_async_graphql(app: TestApp) {
    seed(&app);
    let (busy, _) = pick(&app).await;
    let key = json!({ "s": busy["source"], "sp": busy["space"], "x": busy["externalId"] });
    let by_key = "query($s: String!, $sp: String, $x: String!, $n: Int) { entity(source: $s, space: $sp, externalId: $x) { name relations(first: $n) { edges { node { label } } } } }";
    // Twice each: the second request of a document may be compiled.
    let twice = |q: &'static str, v: Value| {
        let app = app.clone();
        async move {
            send(&app, q, &v, None).await;
            send(&app, q, &v, None).await
        }
    };
    // Errors: an unknown entity, a page too large, a bad cursor, a variable
    // of the wrong type.
    for (q, v, expected) in [
        (
            "{ entity(source: \"kanka\", space: \"1\", externalId: \"123456789\") { name } }",
            json!({}),
            "NOT_FOUND",
        ),
        (
            by_key,
            {
                let mut k = key.clone();
                k["n"] = json!(1000);
                k
            },
            "BAD_USER_INPUT",
        ),
        (
            "{ entities(first: 2, after: \"not a cursor\") { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            by_key,
            {
                let mut k = key.clone();
                k["n"] = json!("three");
                k
            },
            "",
        ),
    ] {
        let a = twice(q, v).await;
        assert_eq!(a.executor, "async-graphql", "{q}");
        let body: Value = serde_json::from_str(&a.body).unwrap();
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        if !expected.is_empty() {
            assert_eq!(code(&errors[0]), expected, "{body}");
        }
    }
    // Responses with errors validate nothing (their data is null): the
    // first clean run of the document does, and the next one is compiled.
    let mut ok = key.clone();
    ok["n"] = json!(2);
    assert_eq!(twice(by_key, ok).await.executor, "compiled");
    // Fields outside the subset.
    for q in [
        "{ entities(first: 2) { edges { node { relations { edges { node { mirror { id } } } } } } } }",
        "{ entities(first: 2) { edges { node { relations { edges { node { type { allowedPairs { from { kind } } } } } } } } } }",
        "{ relationTypes { totalCount } }",
        "{ __schema { queryType { name } } }",
        "{ entities(first: 1) { totalCount } relationTypes { totalCount } }",
    ] {
        let a = twice(q, json!({})).await;
        assert_eq!(a.executor, "async-graphql", "{q}");
        assert!(!a.body.contains("\"errors\""), "{q}: {}", a.body);
    }
    // The complexity limit is checked with each request's variables.
    let deep = "query($n: Int) { entities(first: $n) { edges { node { relations(first: $n) { edges { other { relations(first: $n) { totalCount } } } } } } } }";
    assert_eq!(twice(deep, json!({ "n": 1 })).await.executor, "compiled");
    let refused = send(&app, deep, &json!({ "n": 100 }), None).await;
    assert_eq!(refused.executor, "async-graphql");
    assert!(refused.body.contains("too complex"), "{}", refused.body);
    // Documents with several operations: async-graphql limits the
    // complexity of all of them together.
    let several = "query A { entities(first: 2) { totalCount } } query B { entities(first: 3) { edges { node { name } } } }";
    for op in ["A", "B"] {
        send(&app, several, &json!({}), Some(op)).await;
        let a = send(&app, several, &json!({}), Some(op)).await;
        assert_eq!(a.executor, "async-graphql");
        assert!(!a.body.contains("\"errors\""), "{}", a.body);
    }
    // Mutations and batches are never compiled.
    let m = "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"555\"}) { created } }";
    assert_eq!(twice(m, json!({})).await.executor, "async-graphql");
    let batch: Vec<Value> = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([{ "query": "{ entities(first: 1) { totalCount } }" }, { "query": "{ entities(first: 1) { totalCount } }" }]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0], batch[1]);
}

/// The cache of parsed documents is fair: a caller sending hundreds of
/// documents never seen before (each its own text) does not push the
/// documents other clients repeat out of it (not even when they are not
/// used meanwhile: a plain LRU of the same size would drop them), so those
/// keep the compiled executor (which answers only documents async-graphql
/// validated once).
async fn repeated_documents_stay_compiled_while_a_caller_sends_new_ones(app: TestApp) {
    seed(&app);
    let hot = [
        "{ entities(first: 3) { edges { node { name } } } }",
        "{ entities(first: 2) { totalCount edges { node { kind relations(first: 2) { edges { node { label } } } } } } }",
    ];
    for q in hot {
        send(&app, q, &json!({}), None).await;
        let again = send(&app, q, &json!({}), None).await;
        assert_eq!(again.executor, "compiled", "{q}");
    }
    for i in 0..400 {
        let churn = format!(
            "{{ entities(first: {}) {{ edges {{ node {{ name }} }} }} }}",
            i % 50 + 1
        );
        let churn = format!("{churn} # caller {i}");
        send(&app, &churn, &json!({}), None).await;
    }
    for q in hot {
        let after = send(&app, q, &json!({}), None).await;
        assert_eq!(after.executor, "compiled", "{q} after the churn");
    }
    // A document is compiled once validated, also when it was on probation.
    let late = "{ entities(first: 4) { edges { node { name } } } }";
    assert_eq!(
        send(&app, late, &json!({}), None).await.executor,
        "async-graphql"
    );
    assert_eq!(
        send(&app, late, &json!({}), None).await.executor,
        "compiled"
    );
}

/// Generated selection sets over the compiled subset: leaves, aliases,
/// connections with their arguments, nested entities, inline fragments,
/// `@skip`/`@include`, and a connection repeated under one response key
/// with other sub-selections (as colocated fragments make them).
mod generated {
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    const ENTITY_LEAVES: &[&str] = &[
        "id",
        "source",
        "space",
        "kind",
        "externalId",
        "name",
        "createdAt",
        "updatedAt",
        "__typename",
        "n: name",
        "k: kind",
    ];
    const RELATION_LEAVES: &[&str] = &[
        "id",
        "legacyId",
        "label",
        "comment",
        "attitude",
        "colour",
        "pinned",
        "isPrivate",
        "createdAt",
        "updatedAt",
        "__typename",
        "l: label",
    ];
    const TYPE_LEAVES: &[&str] = &[
        "id",
        "alias",
        "name",
        "bidirectional",
        "builtIn",
        "symmetric",
    ];
    const PAGE_INFO: &[&str] = &["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"];
    const RELATIONS_ARGS: &[&str] = &[
        "first: 3",
        "first: 2, direction: OUTGOING",
        "last: 2",
        "first: 4, type: \"relation\"",
        "direction: INCOMING, first: 3",
        "first: 2, otherKind: \"character\"",
        "first: 3, after: \"Y3Vyc29yOjE\"",
        "first: 3, orderBy: [{field: LABEL, direction: DESC}]",
        "filter: {pinned: false, label: {contains: \"o\", caseInsensitive: true}}, orderBy: [{field: PINNED_FIRST}, {field: ATTITUDE, direction: DESC}], first: 2",
        "last: 2, orderBy: {field: CREATED, direction: DESC}, filter: {otherKinds: [\"character\", \"location\"], isPrivate: false}",
    ];
    const RELATED_ARGS: &[&str] = &[
        "first: 3",
        "kind: \"character\", first: 2",
        "last: 2",
        "first: 2, type: \"relation\"",
        "direction: OUTGOING, first: 3",
        "orderBy: [{field: LABEL}], first: 3",
        "filter: {types: [\"relation\"], attitude: {max: 0}}, orderBy: [{field: UPDATED, direction: DESC}], last: 2",
    ];

    fn leaves(pool: &'static [&'static str], min: usize) -> impl Strategy<Value = String> {
        subsequence(pool, min..=4.min(pool.len())).prop_map(|v| v.join(" "))
    }

    /// `body` as it is, or inside an inline fragment or a directive that
    /// keeps it (or one that drops a copy beside it).
    fn wrapped(body: String) -> impl Strategy<Value = String> {
        select(vec![0u8, 1, 2, 3, 4]).prop_map(move |w| match w {
            0 => body.clone(),
            1 => format!("... on Entity {{ {body} }}"),
            2 => format!("... @include(if: true) {{ {body} }}"),
            3 => format!("{body} ... @skip(if: true) {{ {body} }}"),
            _ => format!("... on Node {{ id }} {body}"),
        })
    }

    /// The fields of an `Entity.relations` connection, `depth` entity
    /// levels still allowed below.
    fn relation_conn(depth: u32) -> BoxedStrategy<String> {
        let entity = || proptest::option::of(entity(depth));
        let node = (
            leaves(RELATION_LEAVES, 0),
            proptest::option::of(leaves(TYPE_LEAVES, 1)),
            entity(),
        )
            .prop_map(|(l, t, from)| {
                let t = t.map(|t| format!(" type {{ {t} }}")).unwrap_or_default();
                let from = from.map(|f| format!(" from {{ {f} }}")).unwrap_or_default();
                format!("{l}{t}{from} id")
            });
        let edges = (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(node),
            entity(),
        )
            .prop_map(|(cursor, direction, node, other)| {
                let mut e = vec!["__typename".to_owned()];
                if cursor {
                    e.push("cursor".to_owned());
                }
                if direction {
                    e.push("direction".to_owned());
                }
                if let Some(n) = node {
                    e.push(format!("node {{ {n} }}"));
                }
                if let Some(o) = other {
                    e.push(format!("other {{ {o} }}"));
                }
                e.join(" ")
            });
        conn(edges.boxed())
    }

    /// The fields of an `Entity.related` connection.
    fn related_conn(depth: u32) -> BoxedStrategy<String> {
        let edges = (any::<bool>(), proptest::option::of(entity(depth))).prop_map(|(c, n)| {
            let c = if c { "cursor " } else { "" };
            let n = n.map(|n| format!("node {{ {n} }}")).unwrap_or_default();
            format!("__typename {c}{n}")
        });
        conn(edges.boxed())
    }

    /// A connection's fields: some of `totalCount`, `pageInfo`, `edges`.
    fn conn(edges: BoxedStrategy<String>) -> BoxedStrategy<String> {
        (
            any::<bool>(),
            proptest::option::of(leaves(PAGE_INFO, 1)),
            proptest::option::of(edges),
        )
            .prop_map(|(total, info, edges)| {
                let mut f = Vec::new();
                if total || (info.is_none() && edges.is_none()) {
                    f.push("totalCount".to_owned());
                }
                if let Some(i) = info {
                    f.push(format!("pageInfo {{ {i} }}"));
                }
                if let Some(e) = edges {
                    f.push(format!("edges {{ {e} }}"));
                }
                f.join(" ")
            })
            .boxed()
    }

    /// A connection field with its arguments, sometimes repeated under its
    /// response key with other fields. The key says which arguments (the
    /// field's name for the first set, an alias for the others): fields of
    /// one key have the same arguments, as GraphQL requires of fields that
    /// merge, also when they merge from occurrences of their parent.
    fn connection(
        name: &'static str,
        args: &'static [&'static str],
        fields: impl Fn() -> BoxedStrategy<String>,
    ) -> impl Strategy<Value = String> {
        (0..args.len(), fields(), proptest::option::of(fields())).prop_map(move |(i, a, again)| {
            let field = if i == 0 {
                format!("{name}({})", args[i])
            } else {
                format!("{name}{i}: {name}({})", args[i])
            };
            let mut out = format!("{field} {{ {a} }}");
            if let Some(b) = again {
                out.push_str(&format!(" {field} {{ {b} }}"));
            }
            out
        })
    }

    /// An entity selection, `depth` levels of connections still allowed.
    pub fn entity(depth: u32) -> BoxedStrategy<String> {
        let own = leaves(ENTITY_LEAVES, 1);
        if depth == 0 {
            return own.prop_flat_map(wrapped).boxed();
        }
        (
            own,
            proptest::option::of(connection("relations", RELATIONS_ARGS, move || {
                relation_conn(depth - 1)
            })),
            proptest::option::of(connection("related", RELATED_ARGS, move || {
                related_conn(depth - 1)
            })),
        )
            .prop_flat_map(|(own, relations, related)| {
                let mut s = own;
                for c in [relations, related].into_iter().flatten() {
                    s.push(' ');
                    s.push_str(&c);
                }
                wrapped(s)
            })
            .boxed()
    }

    /// A whole query: one entity by key, or a page of entities, under it
    /// `depth` levels of connections.
    pub fn query(by_key: String) -> impl Strategy<Value = String> {
        (any::<bool>(), entity(2), select(vec![2u8, 3]))
            .prop_map(move |(one, sel, n)| {
                if one {
                    format!("{{ {by_key} {{ {sel} }} }}")
                } else {
                    format!("{{ entities(first: {n}, filter: {{source: \"kanka\"}}) {{ totalCount edges {{ cursor node {{ {sel} }} }} }} }}")
                }
            })
            // Within the limit on aliases (30), which both executors enforce.
            .prop_filter("too many aliases", |q| aliases(q) <= 30)
    }

    /// The aliases of a generated query (each `key: field`).
    fn aliases(query: &str) -> usize {
        ["n: ", "k: ", "l: ", ": relations(", ": related("]
            .iter()
            .map(|a| query.matches(a).count())
            .sum()
    }
}

async fn generated_selections_read_and_answer_the_same_in_both_executors(app: TestApp) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};

    seed(&app);
    let (busy, _) = pick(&app).await;
    let by_key = format!(
        "entity(source: {}, space: {}, externalId: {})",
        busy["source"], busy["space"], busy["externalId"]
    );
    let (generic, twin) = app
        .twin(ServeArgs {
            disable_compiled_reads: true,
            ..ServeArgs::default()
        })
        .await;
    let admin = app.create_token("admin", "admin", &[]);
    let (fast, slow) = (app.with_token(&admin), generic.with_token(&admin));
    // Deterministic (the same cases in every run), so a failure is the
    // same in CI and here; its query is in the message.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = generated::query(by_key);
    let cases = 200;
    let mut compiled = 0;
    for _ in 0..cases {
        let query = strategy.new_tree(&mut runner).unwrap().current();
        let expected = send(&slow, &query, &json!({}), None).await;
        assert!(
            !expected.body.contains("\"errors\""),
            "{query}: {}",
            expected.body
        );
        send(&fast, &query, &json!({}), None).await;
        let again = send(&fast, &query, &json!({}), None).await;
        assert_eq!(again.body, expected.body, "{query}");
        assert_eq!(
            again.statements, expected.statements,
            "statements of {query}"
        );
        compiled += usize::from(again.executor == "compiled");
    }
    // Every generated query is in the compiled subset.
    assert_eq!(compiled, cases, "all compiled");
    twin.stop().await;
}
