//! Traversals over HTTP: `Entity.neighbourhood` and `Query.paths` (cycles,
//! depth limits, privacy at every hop, the row limit, statements per level).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};
use relgate::config::ServeArgs;

engine_tests!(
    a_neighbourhood_holds_each_entity_once_at_its_distance,
    paths_come_shortest_first_and_never_loop,
    traversals_walk_private_relations_for_admins_only,
    traversal_arguments_out_of_range_are_refused,
    neighbourhoods_of_a_level_are_one_statement,
);
engine_tests!(serve = small_walks; a_walk_past_the_row_limit_stops_with_its_code);
engine_tests!(serve = low_complexity; the_complexity_limit_counts_a_traversals_hops);

fn low_complexity() -> ServeArgs {
    ServeArgs {
        max_complexity: 400,
        ..ServeArgs::default()
    }
}

async fn the_complexity_limit_counts_a_traversals_hops(app: TestApp) {
    let (e, _) = graph(&app).await;
    // A page's rows times their fields, plus 4^hops: 20 rows at 1 hop
    // cost 45, at 4 hops 297; 100 rows at 4 hops 457, and paths of up to
    // 5 hops 1,150: over 400.
    let q = |depth: u32| {
        format!(
            "query($id: ID!) {{ node(id: $id) {{ ... on Entity {{ neighbourhood(depth: {depth}, first: 20) {{ edges {{ distance }} }} }} }} }}"
        )
    };
    for depth in [1, 4] {
        app.data(&q(depth), json!({ "id": e["a"] })).await;
    }
    let wide = "query($id: ID!) { node(id: $id) { ... on Entity { neighbourhood(depth: 4, first: 100) { edges { distance } } } } }";
    let err = app.error(wide, json!({ "id": e["a"] })).await;
    assert_eq!(code(&err), "COMPLEXITY_LIMIT_EXCEEDED", "{err}");
    let paths = "query($a: ID!, $b: ID!) { paths(fromId: $a, toId: $b, maxDepth: 5, first: 5) { steps { entity { name } relation { label } } } }";
    let err = app.error(paths, json!({ "a": e["a"], "b": e["d"] })).await;
    assert_eq!(code(&err), "COMPLEXITY_LIMIT_EXCEEDED", "{err}");
    let short =
        "query($a: ID!, $b: ID!) { paths(fromId: $a, toId: $b, maxDepth: 2, first: 2) { length } }";
    app.data(short, json!({ "a": e["a"], "b": e["d"] })).await;
}

fn small_walks() -> ServeArgs {
    ServeArgs {
        max_traversal_rows: 5,
        ..ServeArgs::default()
    }
}

/// The graph (Kanka, one campaign; `X -> Y` relates X to Y):
///
/// ```text
///   a -> b -> c -> a   (a cycle)      c -> d (a location)
///   a -> e (private)    e -> f
/// ```
/// Returns the entities' ids by name and the relations' ids by `"x->y"`.
async fn graph(
    app: &TestApp,
) -> (
    BTreeMap<&'static str, String>,
    BTreeMap<&'static str, String>,
) {
    let ty = app.type_id("kanka", "relation").await;
    let mut e = BTreeMap::new();
    for (i, (name, kind)) in [
        ("a", "character"),
        ("b", "character"),
        ("c", "character"),
        ("d", "location"),
        ("e", "character"),
        ("f", "character"),
    ]
    .into_iter()
    .enumerate()
    {
        e.insert(
            name,
            app.entity("kanka", "5", kind, &(i + 1).to_string()).await,
        );
    }
    let mut r = BTreeMap::new();
    for (edge, private) in [
        ("a->b", false),
        ("b->c", false),
        ("c->a", false),
        ("c->d", false),
        ("a->e", true),
        ("e->f", false),
    ] {
        let (from, to) = edge.split_once("->").unwrap();
        let id = app
            .relate_ok(
                &ty,
                &e[from],
                &e[to],
                json!({ "label": edge, "isPrivate": private }),
            )
            .await;
        r.insert(edge, id);
    }
    (e, r)
}

const NEIGHBOURHOOD: &str = "query($id: ID!, $depth: Int, $types: [String!], $kinds: [String!], $direction: Direction, $first: Int, $after: String) {
  node(id: $id) { ... on Entity { neighbourhood(depth: $depth, types: $types, kinds: $kinds, direction: $direction, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor distance node { id name } via { id label } }
  } } }
}";

/// (entity name without its kind, distance, via label) of each edge.
fn reached(conn: &Value) -> Vec<(String, u64, String)> {
    conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let name = e["node"]["name"].as_str().unwrap();
            (
                name.rsplit(' ').next().unwrap().to_owned(),
                e["distance"].as_u64().unwrap(),
                e["via"]["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn neighbourhood(app: &TestApp, id: &str, vars: Value) -> Value {
    let mut vars = vars;
    vars["id"] = json!(id);
    app.data(NEIGHBOURHOOD, vars).await["node"]["neighbourhood"].clone()
}

fn r(name: &str, d: u64, via: &str) -> (String, u64, String) {
    (name.to_owned(), d, via.to_owned())
}

async fn a_neighbourhood_holds_each_entity_once_at_its_distance(app: TestApp) {
    let (e, _) = graph(&app).await;
    // Names are "character N"/"location N": entity a is 1, b 2, ... f 6.
    let one = neighbourhood(&app, &e["a"], json!({})).await;
    assert_eq!(
        reached(&one),
        [r("2", 1, "a->b"), r("3", 1, "c->a"), r("5", 1, "a->e")]
    );
    assert_eq!(one["totalCount"], 3);
    // Two hops: c is one hop away (through c->a), not two (through b).
    let two = neighbourhood(&app, &e["a"], json!({ "depth": 2 })).await;
    assert_eq!(
        reached(&two),
        [
            r("2", 1, "a->b"),
            r("3", 1, "c->a"),
            r("5", 1, "a->e"),
            r("4", 2, "c->d"),
            r("6", 2, "e->f")
        ]
    );
    // Deeper than the graph: the cycle ends the walks, nothing repeats.
    let four = neighbourhood(&app, &e["a"], json!({ "depth": 4 })).await;
    assert_eq!(reached(&four), reached(&two));
    // Outgoing only: a -> b -> c -> d, a -> e -> f.
    let out = neighbourhood(
        &app,
        &e["a"],
        json!({ "depth": 3, "direction": "OUTGOING" }),
    )
    .await;
    assert_eq!(
        reached(&out),
        [
            r("2", 1, "a->b"),
            r("5", 1, "a->e"),
            r("3", 2, "b->c"),
            r("6", 2, "e->f"),
            r("4", 3, "c->d")
        ]
    );
    // Kinds: the location is neither reached nor walked through.
    let people = neighbourhood(&app, &e["b"], json!({ "depth": 4, "kinds": ["character"] })).await;
    assert!(
        reached(&people).iter().all(|(n, _, _)| n != "4"),
        "{people}"
    );
    assert_eq!(people["totalCount"], 4);
    let places = neighbourhood(&app, &e["c"], json!({ "kinds": ["location"] })).await;
    assert_eq!(reached(&places), [r("4", 1, "c->d")]);
    // Types: none of another type.
    let none = neighbourhood(&app, &e["a"], json!({ "types": ["mother"] })).await;
    assert_eq!(none["totalCount"], 0);
    // Paging: two at a time, the same entities in the same order.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = neighbourhood(
            &app,
            &e["a"],
            json!({ "depth": 2, "first": 2, "after": after }),
        )
        .await;
        paged.extend(reached(&page));
        assert_eq!(page["totalCount"], 5);
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, reached(&two));
}

const PATHS: &str = "query($from: ID!, $to: ID!, $max: Int, $first: Int, $types: [String!], $direction: Direction) {
  paths(fromId: $from, toId: $to, maxDepth: $max, first: $first, types: $types, direction: $direction) {
    length steps { relation { label } entity { name } }
  }
}";

/// Each path as its relations' labels.
fn routes(data: &Value) -> Vec<Vec<String>> {
    data["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| {
            let steps = p["steps"].as_array().unwrap();
            assert_eq!(p["length"], steps.len());
            steps
                .iter()
                .map(|s| s["relation"]["label"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

async fn paths_come_shortest_first_and_never_loop(app: TestApp) {
    let (e, _) = graph(&app).await;
    let paths = |vars: Value| {
        let app = app.clone();
        async move { app.data(PATHS, vars).await }
    };
    let both = paths(json!({ "from": e["a"], "to": e["d"], "max": 6 })).await;
    assert_eq!(
        routes(&both),
        [vec!["c->a", "c->d"], vec!["a->b", "b->c", "c->d"]]
    );
    // The last step's entity is the end.
    assert!(
        both["paths"][0]["steps"][1]["entity"]["name"]
            .as_str()
            .unwrap()
            .ends_with(" 4")
    );
    let short = paths(json!({ "from": e["a"], "to": e["d"], "max": 2 })).await;
    assert_eq!(routes(&short), [vec!["c->a", "c->d"]]);
    let one = paths(json!({ "from": e["a"], "to": e["d"], "max": 6, "first": 1 })).await;
    assert_eq!(routes(&one), [vec!["c->a", "c->d"]]);
    let out = paths(json!({ "from": e["a"], "to": e["d"], "direction": "OUTGOING" })).await;
    assert_eq!(routes(&out), [vec!["a->b", "b->c", "c->d"]]);
    let back = paths(json!({ "from": e["d"], "to": e["a"], "direction": "OUTGOING" })).await;
    assert!(routes(&back).is_empty());
    let other_type = paths(json!({ "from": e["a"], "to": e["d"], "types": ["mother"] })).await;
    assert!(routes(&other_type).is_empty());
}

async fn traversals_walk_private_relations_for_admins_only(app: TestApp) {
    let (e, _) = graph(&app).await;
    let admin = app.with_token(&app.create_token("admin", "ops", &[]));
    let reader = app.with_token(&app.create_token("read", "reader", &[]));
    // f is reached only through the private a -> e.
    let seen = neighbourhood(&admin, &e["a"], json!({ "depth": 3 })).await;
    assert!(reached(&seen).contains(&r("6", 2, "e->f")));
    let hidden = neighbourhood(&reader, &e["a"], json!({ "depth": 3 })).await;
    assert_eq!(
        reached(&hidden),
        [r("2", 1, "a->b"), r("3", 1, "c->a"), r("4", 2, "c->d")]
    );
    assert_eq!(hidden["totalCount"], 3);
    // From e itself, a reader reaches f but not a.
    let from_e = neighbourhood(&reader, &e["e"], json!({ "depth": 4 })).await;
    assert_eq!(reached(&from_e), [r("6", 1, "e->f")]);
    let to_f = json!({ "from": e["a"], "to": e["f"] });
    assert_eq!(
        routes(&admin.data(PATHS, to_f.clone()).await),
        [vec!["a->e", "e->f"]]
    );
    assert!(routes(&reader.data(PATHS, to_f).await).is_empty());
}

async fn traversal_arguments_out_of_range_are_refused(app: TestApp) {
    let (e, _) = graph(&app).await;
    for depth in [0, 5, -1] {
        let err = app
            .error(NEIGHBOURHOOD, json!({ "id": e["a"], "depth": depth }))
            .await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "depth {depth}: {err}");
    }
    for (max, first) in [(0, 5), (7, 5), (3, 0), (3, 21)] {
        let err = app
            .error(
                PATHS,
                json!({ "from": e["a"], "to": e["d"], "max": max, "first": first }),
            )
            .await;
        assert_eq!(
            code(&err),
            "BAD_USER_INPUT",
            "maxDepth {max} first {first}: {err}"
        );
    }
    let err = app
        .error(PATHS, json!({ "from": e["a"], "to": "bm90LWFuLWlk" }))
        .await;
    assert_eq!(code(&err), "BAD_USER_INPUT", "{err}");
}

async fn a_walk_past_the_row_limit_stops_with_its_code(app: TestApp) {
    let (e, _) = graph(&app).await;
    // Within the limit (5 rows: a and its three neighbours).
    let one = neighbourhood(&app, &e["a"], json!({ "depth": 1 })).await;
    assert_eq!(one["totalCount"], 3);
    let err = app
        .error(NEIGHBOURHOOD, json!({ "id": e["a"], "depth": 3 }))
        .await;
    assert_eq!(code(&err), "TRAVERSAL_TOO_LARGE", "{err}");
    let err = app
        .error(PATHS, json!({ "from": e["a"], "to": e["f"], "max": 6 }))
        .await;
    assert_eq!(code(&err), "TRAVERSAL_TOO_LARGE", "{err}");
    // The server goes on answering.
    assert_eq!(
        neighbourhood(&app, &e["c"], json!({ "kinds": ["location"] })).await["totalCount"],
        1
    );
}

async fn neighbourhoods_of_a_level_are_one_statement(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    // 20 characters in a ring, each also related to one hub.
    let hub = app.entity("kanka", "9", "location", "1000").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            app.entity("kanka", "9", "character", &(i + 1).to_string())
                .await,
        );
    }
    for i in 0..20 {
        app.relate_ok(&ty, &ids[i], &ids[(i + 1) % 20], json!({ "label": "next" }))
            .await;
        app.relate_ok(&ty, &ids[i], &hub, json!({ "label": "lives" }))
            .await;
    }
    let q = "query($n: Int) { entities(first: $n, filter: { kind: \"character\" }) { edges { node { name neighbourhood(depth: 2, first: 50) { totalCount edges { distance node { name } via { label } } } } } } }";
    let (small, few) = app.data_and_statements(q, json!({ "n": 5 })).await;
    let (large, many) = app.data_and_statements(q, json!({ "n": 20 })).await;
    // Two hops from a ring member: its two ring neighbours and the hub (1),
    // then the hub's other 19 characters... all 20 others and the hub.
    for data in [&small, &large] {
        for edge in data["entities"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["neighbourhood"]["totalCount"], 20, "{edge}");
        }
    }
    assert_eq!(
        few, many,
        "statements grow with depth, not with the parents"
    );
    assert!(many <= 5, "{many} statements");
}
