//! `relate`, `relateByKey`, `unrelate`, `updateRelation`, `validateRelation`,
//! `Entity.relations`, `Entity.related` and `relations(filter:)`.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    relate_writes_a_relation_with_its_attributes,
    relate_refuses_unknown_ids_and_writes_nothing,
    relations_of_system_managed_types_are_refused,
    two_way_writes_a_symmetric_mirror_pair,
    unrelate_removes_one_side_or_both,
    update_changes_attributes_and_optionally_the_mirror,
    update_is_refused_for_types_that_are_not_updatable,
    relations_are_listed_by_direction_seen_from_each_end,
    relations_are_filtered_by_type_and_far_end_kind,
    related_lists_each_far_entity_once,
    the_relations_list_filters_by_type_and_ends,
    relate_by_key_creates_the_ends_and_the_relation,
    validate_relation_reports_violations_without_writing,
);

const RELATE_FULL: &str = "mutation($i: RelateInput!) { relate(input: $i) { created relation { id legacyId label comment attitude colour pinned isPrivate type { alias } from { externalId } to { externalId } createdAt updatedAt } } }";

async fn kanka_pair(app: &TestApp) -> (String, String, String) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "168").await;
    let b = app.entity("kanka", "1", "character", "72").await;
    (ty, a, b)
}

async fn relate_writes_a_relation_with_its_attributes(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let data = app
        .data(
            RELATE_FULL,
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "Just Friends",
                         "attitude": 40, "colour": "#aa00ff", "pinned": true}}),
        )
        .await;
    let r = &data["relate"]["relation"];
    assert_eq!(data["relate"]["created"], true);
    assert_eq!(r["label"], "Just Friends");
    assert_eq!(r["attitude"], 40);
    assert_eq!(r["colour"], "#aa00ff");
    assert_eq!(r["pinned"], true);
    assert_eq!(r["isPrivate"], false);
    assert_eq!(r["type"]["alias"], "relation");
    assert_eq!(r["from"]["externalId"], "168");
    assert_eq!(r["to"]["externalId"], "72");
    assert!(r["legacyId"].as_i64().unwrap() > 0);
    assert_eq!(r["createdAt"], r["updatedAt"]);
}

async fn relate_refuses_unknown_ids_and_writes_nothing(app: TestApp) {
    let (ty, a, _) = kanka_pair(&app).await;
    let missing_entity =
        relgate::domain::GlobalId::new(relgate::domain::NodeType::Entity, 9999).encode();
    let missing_type =
        relgate::domain::GlobalId::new(relgate::domain::NodeType::RelationType, 9999).encode();
    for (t, f, to, expected) in [
        (&ty, &a, &missing_entity, "NOT_FOUND"),
        (&missing_type, &a, &a, "NOT_FOUND"),
        (&a, &a, &a, "BAD_USER_INPUT"),
        (&ty, &ty, &a, "BAD_USER_INPUT"),
    ] {
        let res = app
            .relate(json!({"typeId": t, "fromId": f, "toId": to, "label": "x"}))
            .await;
        assert_eq!(code(&res["errors"][0]), expected, "{res:#}");
    }
    assert_eq!(app.relation_count().await, 0);
}

async fn relations_of_system_managed_types_are_refused(app: TestApp) {
    let ty = app.type_id("umbraco", "umbDocument").await;
    let a = app
        .entity(
            "umbraco",
            "site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        )
        .await;
    let b = app
        .entity(
            "umbraco",
            "site",
            "document",
            "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
        )
        .await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": a, "toId": b}))
        .await;
    let err = &res["errors"][0];
    assert_eq!(code(err), "CONSTRAINT_VIOLATION");
    assert_eq!(err["extensions"]["rule"], "SYSTEM_MANAGED");
    assert_eq!(app.relation_count().await, 0);
}

async fn two_way_writes_a_symmetric_mirror_pair(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": a, "toId": b, "label": "Siblings", "twoWay": true}))
        .await;
    let data = TestApp::data_of(res);
    let relation = &data["relate"]["relation"];
    let mirror = &data["relate"]["mirror"];
    assert_eq!(relation["mirror"]["id"], mirror["id"]);
    assert_eq!(mirror["mirror"]["id"], relation["id"]);
    let q = "query($id: ID!) { node(id: $id) { ... on Relation { label from { id } to { id } mirror { id } } } }";
    let m = app.data(q, json!({"id": mirror["id"]})).await;
    assert_eq!(m["node"]["label"], "Siblings");
    assert_eq!(m["node"]["from"]["id"], b.as_str());
    assert_eq!(m["node"]["to"]["id"], a.as_str());
    assert_eq!(app.relation_count().await, 2);
}

const UNRELATE: &str = "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }";
const MIRROR_OF: &str = "query($id: ID!) { node(id: $id) { ... on Relation { mirror { id } } } }";

async fn unrelate_removes_one_side_or_both(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let first = app
        .relate_ok(&ty, &a, &b, json!({"label": "one", "twoWay": true}))
        .await;
    let survivor = app.data(MIRROR_OF, json!({"id": first})).await["node"]["mirror"]["id"].clone();
    let data = app.data(UNRELATE, json!({"i": {"id": first}})).await;
    assert_eq!(data["unrelate"]["removedIds"], json!([first]));
    let left = app.data(MIRROR_OF, json!({"id": survivor})).await;
    assert_eq!(
        left["node"]["mirror"],
        Value::Null,
        "the survivor lost its mirror"
    );

    let second = app
        .relate_ok(&ty, &a, &b, json!({"label": "two", "twoWay": true}))
        .await;
    let data = app
        .data(
            UNRELATE,
            json!({"i": {"id": second, "includeMirror": true}}),
        )
        .await;
    assert_eq!(data["unrelate"]["removedIds"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.relation_count().await,
        1,
        "only the first survivor is left"
    );

    let err = app.error(UNRELATE, json!({"i": {"id": second}})).await;
    assert_eq!(code(&err), "NOT_FOUND");
}

const UPDATE: &str = "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id label attitude pinned } mirror { id label attitude } } }";

async fn update_changes_attributes_and_optionally_the_mirror(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let id = app
        .relate_ok(
            &ty,
            &a,
            &b,
            json!({"label": "Rivals", "attitude": -20, "twoWay": true}),
        )
        .await;
    let data = app
        .data(UPDATE, json!({"i": {"id": id, "label": "Friends"}}))
        .await;
    let u = &data["updateRelation"];
    assert_eq!(u["relation"]["label"], "Friends");
    assert_eq!(u["relation"]["attitude"], -20, "omitted fields stay");
    assert_eq!(u["mirror"]["label"], "Rivals", "the mirror is left alone");

    let data = app
        .data(
            UPDATE,
            json!({"i": {"id": id, "attitude": 75, "syncMirror": true}}),
        )
        .await;
    let u = &data["updateRelation"];
    assert_eq!(u["relation"]["attitude"], 75);
    assert_eq!(u["mirror"]["attitude"], 75);
    assert_eq!(u["mirror"]["label"], "Rivals", "only the given fields sync");
}

async fn update_is_refused_for_types_that_are_not_updatable(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let p = app.entity("copper", "default", "person", "1").await;
    let c = app.entity("copper", "default", "company", "2").await;
    let id = app.relate_ok(&ty, &p, &c, json!({})).await;
    let err = app
        .error(UPDATE, json!({"i": {"id": id, "pinned": true}}))
        .await;
    assert_eq!(code(&err), "CONSTRAINT_VIOLATION");
    assert_eq!(err["extensions"]["rule"], "NOT_UPDATABLE");
    let q = "query($id: ID!) { node(id: $id) { ... on Relation { pinned updatedAt createdAt } } }";
    let now = app.data(q, json!({"id": id})).await;
    assert_eq!(now["node"]["pinned"], false, "nothing was written");
    assert_eq!(now["node"]["updatedAt"], now["node"]["createdAt"]);
}

const EDGES: &str = "query($id: ID!, $d: Direction, $t: String, $k: String) { node(id: $id) { ... on Entity { relations(direction: $d, type: $t, otherKind: $k) { totalCount edges { direction other { id } node { id } } } } } }";

async fn edges(app: &TestApp, id: &str, vars: Value) -> Value {
    let mut v = json!({"id": id});
    if let (Some(o), Some(more)) = (v.as_object_mut(), vars.as_object()) {
        o.extend(more.clone());
    }
    app.data(EDGES, v).await["node"]["relations"].clone()
}

async fn relations_are_listed_by_direction_seen_from_each_end(app: TestApp) {
    // Directed (Kanka): a -> b.
    let (ty, a, b) = kanka_pair(&app).await;
    let r = app
        .relate_ok(&ty, &a, &b, json!({"label": "Mentor of"}))
        .await;
    let out = edges(&app, &a, json!({"d": "OUTGOING"})).await;
    assert_eq!(out["totalCount"], 1);
    assert_eq!(out["edges"][0]["direction"], "OUTGOING");
    assert_eq!(out["edges"][0]["other"]["id"], b.as_str());
    assert_eq!(
        edges(&app, &a, json!({"d": "INCOMING"})).await["totalCount"],
        0
    );
    let inc = edges(&app, &b, json!({"d": "INCOMING"})).await;
    assert_eq!(inc["edges"][0]["direction"], "INCOMING");
    assert_eq!(inc["edges"][0]["other"]["id"], a.as_str());
    assert_eq!(inc["edges"][0]["node"]["id"], r.as_str());
    assert_eq!(
        edges(&app, &b, json!({"d": "OUTGOING"})).await["totalCount"],
        0
    );
    assert_eq!(
        edges(&app, &b, json!({})).await["totalCount"],
        1,
        "BOTH by default"
    );

    // Bidirectional (Copper): person -> company reads the same from both ends.
    let copper = app.type_id("copper", "related").await;
    let p = app.entity("copper", "default", "person", "1").await;
    let c = app.entity("copper", "default", "company", "2").await;
    app.relate_ok(&copper, &p, &c, json!({})).await;
    for (me, other) in [(&p, &c), (&c, &p)] {
        for d in ["OUTGOING", "INCOMING", "BOTH"] {
            let e = edges(&app, me, json!({"d": d})).await;
            assert_eq!(e["totalCount"], 1, "{d}");
            assert_eq!(e["edges"][0]["direction"], "BOTH");
            assert_eq!(e["edges"][0]["other"]["id"], other.as_str());
        }
    }
}

async fn relations_are_filtered_by_type_and_far_end_kind(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let town = app.entity("kanka", "1", "location", "9").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "Friend"})).await;
    app.relate_ok(&ty, &a, &town, json!({"label": "Born in"}))
        .await;
    app.relate_ok(&ty, &town, &a, json!({"label": "Home of"}))
        .await;
    assert_eq!(edges(&app, &a, json!({})).await["totalCount"], 3);
    assert_eq!(
        edges(&app, &a, json!({"k": "location"})).await["totalCount"],
        2
    );
    assert_eq!(
        edges(&app, &a, json!({"k": "location", "d": "OUTGOING"})).await["totalCount"],
        1
    );
    assert_eq!(
        edges(&app, &a, json!({"t": "relation"})).await["totalCount"],
        3
    );
    assert_eq!(
        edges(&app, &a, json!({"t": "related"})).await["totalCount"],
        0
    );
}

async fn related_lists_each_far_entity_once(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let town = app.entity("kanka", "1", "location", "9").await;
    // Kanka allows several relations between the same two entities.
    app.relate_ok(&ty, &a, &b, json!({"label": "Friend"})).await;
    app.relate_ok(&ty, &b, &a, json!({"label": "Owes"})).await;
    app.relate_ok(&ty, &a, &town, json!({"label": "Born in"}))
        .await;
    let q = "query($id: ID!, $k: String) { node(id: $id) { ... on Entity { related(kind: $k) { totalCount edges { node { id } } } } } }";
    let all = app.data(q, json!({"id": a})).await["node"]["related"].clone();
    assert_eq!(all["totalCount"], 2);
    assert_eq!(
        all["edges"],
        json!([{"node": {"id": b}}, {"node": {"id": town}}]),
        "in the order they were first related"
    );
    let places = app.data(q, json!({"id": a, "k": "location"})).await["node"]["related"].clone();
    assert_eq!(places["totalCount"], 1);
    assert_eq!(places["edges"][0]["node"]["id"], town.as_str());
}

async fn the_relations_list_filters_by_type_and_ends(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let copper = app.type_id("copper", "related").await;
    let p = app.entity("copper", "default", "person", "1").await;
    let c = app.entity("copper", "default", "company", "2").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "x"})).await;
    app.relate_ok(&ty, &b, &a, json!({"label": "y"})).await;
    app.relate_ok(&copper, &p, &c, json!({})).await;
    let q = "query($f: RelationFilterInput) { relations(filter: $f) { totalCount } }";
    let count = |f: Value| {
        let app = app.clone();
        async move { app.data(q, json!({"f": f})).await["relations"]["totalCount"].clone() }
    };
    assert_eq!(count(json!(null)).await, 3);
    assert_eq!(count(json!({"typeId": ty})).await, 2);
    assert_eq!(count(json!({"source": "copper"})).await, 1);
    assert_eq!(count(json!({"type": "related"})).await, 1);
    assert_eq!(count(json!({"fromId": a})).await, 1);
    assert_eq!(count(json!({"toId": a})).await, 1);
    assert_eq!(count(json!({"fromId": a, "toId": b})).await, 1);
    let err = app.error(q, json!({"f": {"fromId": ty}})).await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
}

async fn relate_by_key_creates_the_ends_and_the_relation(app: TestApp) {
    let q = "mutation($i: RelateByKeyInput!) { relateByKey(input: $i) { created relation { label from { source space kind externalId name } to { externalId name } } mirror { id } } }";
    let input = json!({"i": {
        "type": {"source": "kanka", "alias": "relation"},
        "from": {"source": "kanka", "space": "7", "kind": "character", "externalId": "1", "name": "Ilsa"},
        "to": {"source": "kanka", "space": "7", "kind": "family", "externalId": "2", "name": "House Brom"},
        "label": "Member of", "twoWay": true
    }});
    let data = app.data(q, input).await;
    let r = &data["relateByKey"];
    assert_eq!(r["created"], true);
    assert_eq!(r["relation"]["from"]["name"], "Ilsa");
    assert_eq!(r["relation"]["from"]["space"], "7");
    assert_eq!(r["relation"]["to"]["name"], "House Brom");
    assert!(r["mirror"]["id"].is_string());
    let all = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(all["entities"]["totalCount"], 2);
    let err = app
        .error(
            q,
            json!({"i": {"type": {"source": "kanka", "alias": "nope"},
                  "from": {"source": "kanka", "kind": "character", "externalId": "3"},
                  "to": {"source": "kanka", "kind": "character", "externalId": "4"}}}),
        )
        .await;
    assert_eq!(code(&err), "NOT_FOUND");
    let all = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(
        all["entities"]["totalCount"], 2,
        "a refused relate creates no entity"
    );
}

async fn validate_relation_reports_violations_without_writing(app: TestApp) {
    let q = "query($i: RelateInput!) { validateRelation(input: $i) { ok violations { rule message } } }";
    let (ty, a, b) = kanka_pair(&app).await;
    let ok = app
        .data(
            q,
            json!({"i": {"typeId": ty, "fromId": a, "toId": b, "label": "x"}}),
        )
        .await;
    assert_eq!(ok["validateRelation"]["ok"], true);
    assert_eq!(ok["validateRelation"]["violations"], json!([]));
    let sys = app.type_id("umbraco", "umbMember").await;
    let bad = app
        .data(q, json!({"i": {"typeId": sys, "fromId": a, "toId": b}}))
        .await;
    assert_eq!(bad["validateRelation"]["ok"], false);
    assert_eq!(
        bad["validateRelation"]["violations"][0]["rule"],
        "SYSTEM_MANAGED"
    );
    assert_eq!(app.relation_count().await, 0);
    let missing = relgate::domain::GlobalId::new(relgate::domain::NodeType::Entity, 9999).encode();
    let err = app
        .error(
            q,
            json!({"i": {"typeId": ty, "fromId": a, "toId": missing}}),
        )
        .await;
    assert_eq!(code(&err), "NOT_FOUND");
}
