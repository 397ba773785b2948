//! `upsertEntity`, `entity`, `entities(filter:)`, `deleteEntity`.

use serde_json::json;

use crate::engine_tests;
use crate::helpers::{TestApp, code};

const UPSERT: &str = "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created entity { id source space kind externalId name } } }";
const LOOKUP: &str = "query($s: String!, $sp: String, $k: String, $x: String!) { entity(source: $s, space: $sp, kind: $k, externalId: $x) { id kind name externalId } }";
const GUID: &str = "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31";

engine_tests!(
    upsert_creates_then_renames_without_duplicating,
    an_entity_is_found_by_its_sources_own_key,
    an_unknown_key_is_null_with_not_found,
    ids_are_scoped_as_each_source_scopes_them,
    malformed_keys_are_refused_and_nothing_is_written,
    entities_are_filtered_by_source_space_kind_and_name,
    deleting_an_entity_removes_its_relations_and_says_how_many,
);

async fn upsert_creates_then_renames_without_duplicating(app: TestApp) {
    let first = app
        .data(
            UPSERT,
            json!({"i": {"source": "copper", "kind": "person", "externalId": "42", "name": "Ada"}}),
        )
        .await;
    let e = &first["upsertEntity"];
    assert_eq!(e["created"], true);
    assert_eq!(
        e["entity"]["space"], "default",
        "a missing space is default"
    );
    let again = app
        .data(
            UPSERT,
            json!({"i": {"source": "copper", "kind": "person", "externalId": "42", "name": "Ada L."}}),
        )
        .await;
    assert_eq!(again["upsertEntity"]["created"], false);
    assert_eq!(again["upsertEntity"]["entity"]["id"], e["entity"]["id"]);
    assert_eq!(again["upsertEntity"]["entity"]["name"], "Ada L.");
    let unnamed = app
        .data(
            UPSERT,
            json!({"i": {"source": "copper", "kind": "person", "externalId": "42"}}),
        )
        .await;
    assert_eq!(
        unnamed["upsertEntity"]["entity"]["name"], "Ada L.",
        "an omitted name keeps the old one"
    );
    let all = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(all["entities"]["totalCount"], 1);
}

async fn an_entity_is_found_by_its_sources_own_key(app: TestApp) {
    let id = app.entity("umbraco", "site", "document", GUID).await;
    // Umbraco ids are unique per space: no kind needed, and GUIDs match
    // whatever their case.
    let data = app
        .data(
            LOOKUP,
            json!({"s": "umbraco", "sp": "site", "x": GUID.to_uppercase()}),
        )
        .await;
    assert_eq!(data["entity"]["id"], id.as_str());
    assert_eq!(data["entity"]["kind"], "document");
    assert_eq!(data["entity"]["externalId"], GUID);

    let copper = app.entity("copper", "default", "company", "7").await;
    let data = app
        .data(LOOKUP, json!({"s": "copper", "k": "company", "x": "7"}))
        .await;
    assert_eq!(data["entity"]["id"], copper.as_str());
    // Copper ids are unique per kind only: the kind is required.
    let err = app.error(LOOKUP, json!({"s": "copper", "x": "7"})).await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
}

async fn an_unknown_key_is_null_with_not_found(app: TestApp) {
    let res = app
        .gql(LOOKUP, json!({"s": "kanka", "sp": "1", "x": "999"}))
        .await;
    assert_eq!(res["data"]["entity"], serde_json::Value::Null);
    assert_eq!(code(&res["errors"][0]), "NOT_FOUND");
    assert_eq!(res["errors"][0]["path"], json!(["entity"]));
}

async fn ids_are_scoped_as_each_source_scopes_them(app: TestApp) {
    // Copper: person 7 and company 7 are two records.
    let person = app.entity("copper", "default", "person", "7").await;
    let company = app.entity("copper", "default", "company", "7").await;
    assert_ne!(person, company);
    // Kanka: entity 5 of campaign 1 and of campaign 2 are two records.
    let a = app.entity("kanka", "1", "character", "5").await;
    let b = app.entity("kanka", "2", "character", "5").await;
    assert_ne!(a, b);
    // Umbraco: a GUID names one node per project, whatever its kind.
    app.entity("umbraco", "site", "document", GUID).await;
    let err = app
        .error(
            UPSERT,
            json!({"i": {"source": "umbraco", "space": "site", "kind": "media", "externalId": GUID}}),
        )
        .await;
    assert_eq!(code(&err), "CONSTRAINT_VIOLATION");
    assert_eq!(err["extensions"]["rule"], "KIND_MISMATCH");
    let all = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(all["entities"]["totalCount"], 5);
}

async fn malformed_keys_are_refused_and_nothing_is_written(app: TestApp) {
    let bad = [
        json!({"source": "Copper", "kind": "person", "externalId": "1"}),
        json!({"source": "copper", "kind": "person", "externalId": "abc"}),
        json!({"source": "copper", "kind": "person", "externalId": "-3"}),
        json!({"source": "copper", "kind": "document", "externalId": "1"}),
        json!({"source": "umbraco", "kind": "document", "externalId": "42"}),
        json!({"source": "umbraco", "kind": "page", "externalId": GUID}),
        json!({"source": "kanka", "space": "", "kind": "character", "externalId": "1"}),
        json!({"source": "custom", "kind": "thing", "externalId": ""}),
    ];
    for input in bad {
        let err = app.error(UPSERT, json!({ "i": input })).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{input}");
    }
    let all = app.data("{ entities { totalCount } }", json!({})).await;
    assert_eq!(all["entities"]["totalCount"], 0);
    // A custom source takes any kind and any id.
    let ok = app
        .data(
            UPSERT,
            json!({"i": {"source": "crm-two", "kind": "account", "externalId": "A/7"}}),
        )
        .await;
    assert_eq!(ok["upsertEntity"]["created"], true);
}

async fn entities_are_filtered_by_source_space_kind_and_name(app: TestApp) {
    app.entity("kanka", "1", "character", "1").await;
    app.entity("kanka", "1", "location", "2").await;
    app.entity("kanka", "2", "character", "3").await;
    app.entity("copper", "default", "person", "1").await;
    let q = "query($f: EntityFilterInput) { entities(filter: $f) { totalCount edges { node { externalId } } } }";
    let count = |f: serde_json::Value| {
        let app = app.clone();
        async move { app.data(q, json!({ "f": f })).await["entities"]["totalCount"].clone() }
    };
    assert_eq!(count(json!({"source": "kanka"})).await, 3);
    assert_eq!(count(json!({"source": "kanka", "space": "1"})).await, 2);
    assert_eq!(count(json!({"kind": "character"})).await, 2);
    assert_eq!(
        count(json!({"nameContains": "CHARACTER"})).await,
        2,
        "ignores case"
    );
    assert_eq!(
        count(json!({"nameContains": "%"})).await,
        0,
        "wildcards are literal"
    );
    assert_eq!(count(json!(null)).await, 4);
}

async fn deleting_an_entity_removes_its_relations_and_says_how_many(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "character", "3").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "ally", "twoWay": true}))
        .await;
    let kept = app.relate_ok(&ty, &b, &c, json!({"label": "rival"})).await;
    let q = "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { deletedId removedRelationCount removedRelationIds } }";
    let data = app.data(q, json!({"i": {"id": a}})).await;
    assert_eq!(data["deleteEntity"]["deletedId"], a.as_str());
    assert_eq!(data["deleteEntity"]["removedRelationCount"], 2);
    assert_eq!(
        data["deleteEntity"]["removedRelationIds"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let rest = app
        .data("{ relations { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(rest["relations"]["edges"], json!([{"node": {"id": kept}}]));
    let err = app.error(q, json!({"i": {"id": a}})).await;
    assert_eq!(code(&err), "NOT_FOUND");
}
