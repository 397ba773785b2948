//! Built-in relation types and custom ones: `relationType`, `relationTypes`,
//! `createRelationType`, `updateRelationType`, `deleteRelationType`.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    the_built_in_types_carry_their_sources_contracts,
    an_unknown_relation_type_is_null_with_not_found,
    a_custom_type_can_join_kinds_of_different_sources,
    custom_type_names_are_checked_and_unique,
    a_custom_type_is_updated_field_by_field,
    built_in_types_cannot_be_changed_or_deleted,
    a_type_in_use_is_deleted_only_with_its_relations,
    concurrent_creates_of_one_alias_or_name_get_name_taken,
);

const TYPE: &str = "query($s: String!, $a: String!) { relationType(source: $s, alias: $a) { id source alias name bidirectional updatable systemManaged builtIn duplicates sameSpace allowSelf allowedPairs { from { source kind } to { source kind } } limits { kind { kind } max otherKinds { kind } direction } attributes { label { allowed required maxLength } comment { allowed maxLength } attitude { min max } colourAllowed pinnedAllowed privateAllowed mirrorAllowed } } }";

async fn get_type(app: &TestApp, source: &str, alias: &str) -> Value {
    app.data(TYPE, json!({"s": source, "a": alias})).await["relationType"].clone()
}

async fn the_built_in_types_carry_their_sources_contracts(app: TestApp) {
    let copper = get_type(&app, "copper", "related").await;
    assert_eq!(copper["bidirectional"], true);
    assert_eq!(copper["updatable"], false);
    assert_eq!(copper["builtIn"], true);
    assert_eq!(copper["duplicates"], "IDEMPOTENT");
    assert_eq!(copper["allowedPairs"].as_array().unwrap().len(), 11);
    assert_eq!(
        copper["limits"],
        json!([
            {"kind": {"kind": "person"}, "max": 1, "otherKinds": [{"kind": "company"}], "direction": "BOTH"},
            {"kind": {"kind": "task"}, "max": 1, "otherKinds": [], "direction": "BOTH"}
        ])
    );
    assert_eq!(copper["attributes"]["label"]["allowed"], false);

    let kanka = get_type(&app, "kanka", "relation").await;
    assert_eq!(kanka["bidirectional"], false);
    assert_eq!(kanka["updatable"], true);
    assert_eq!(kanka["duplicates"], "ALLOW");
    assert_eq!(kanka["allowSelf"], false);
    assert_eq!(
        kanka["attributes"]["label"],
        json!({"allowed": true, "required": true, "maxLength": 255})
    );
    assert_eq!(
        kanka["attributes"]["attitude"],
        json!({"min": -100, "max": 100})
    );
    assert_eq!(kanka["attributes"]["mirrorAllowed"], true);

    let q = "query($s: String) { relationTypes(source: $s) { totalCount edges { node { alias bidirectional systemManaged duplicates attributes { comment { maxLength } } } } } }";
    let umbraco = app.data(q, json!({"s": "umbraco"})).await["relationTypes"].clone();
    assert_eq!(umbraco["totalCount"], 6);
    let by_alias = |alias: &str| {
        umbraco["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .find(|n| n["alias"] == alias)
            .unwrap_or_else(|| panic!("{alias} missing"))
    };
    assert_eq!(by_alias("relateDocumentOnCopy")["bidirectional"], true);
    assert_eq!(
        by_alias("relateParentDocumentOnDelete")["bidirectional"],
        false
    );
    assert_eq!(by_alias("umbMedia")["systemManaged"], true);
    assert_eq!(by_alias("umbDocument")["duplicates"], "REJECT");
    assert_eq!(
        by_alias("relateParentMediaFolderOnDelete")["attributes"]["comment"]["maxLength"],
        1000
    );
}

async fn an_unknown_relation_type_is_null_with_not_found(app: TestApp) {
    let res = app.gql(TYPE, json!({"s": "umbraco", "a": "nope"})).await;
    assert_eq!(res["data"]["relationType"], Value::Null);
    assert_eq!(code(&res["errors"][0]), "NOT_FOUND");
}

const CREATE: &str = "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id source alias name bidirectional sameSpace builtIn allowedPairs { from { source kind } to { source kind } } attributes { label { allowed maxLength } } } } }";

fn custom(alias: &str, name: &str) -> Value {
    json!({"i": {
        "source": "crossover", "alias": alias, "name": name,
        "allowedPairs": [{"from": {"source": "copper", "kind": "company"},
                          "to": {"source": "umbraco", "kind": "document"}}],
        "sameSpace": false
    }})
}

async fn a_custom_type_can_join_kinds_of_different_sources(app: TestApp) {
    let data = app
        .data(CREATE, custom("companyPage", "Company page"))
        .await;
    let t = &data["createRelationType"]["relationType"];
    assert_eq!(t["builtIn"], false);
    assert_eq!(t["sameSpace"], false);
    assert_eq!(
        t["attributes"]["label"]["maxLength"], 255,
        "default attributes"
    );
    assert_eq!(t["allowedPairs"][0]["to"]["source"], "umbraco");
    let company = app.entity("copper", "acme", "company", "7").await;
    let page = app
        .entity(
            "umbraco",
            "site",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        )
        .await;
    let ty = t["id"].as_str().unwrap();
    app.relate_ok(ty, &company, &page, json!({"label": "Landing page"}))
        .await;
    let q = "query($id: ID!) { node(id: $id) { ... on Entity { related { edges { node { source kind } } } } } }";
    let related = app.data(q, json!({"id": page})).await;
    assert_eq!(
        related["node"]["related"]["edges"][0]["node"],
        json!({"source": "copper", "kind": "company"})
    );
}

async fn custom_type_names_are_checked_and_unique(app: TestApp) {
    app.data(CREATE, custom("companyPage", "Company page"))
        .await;
    for (alias, name, expected, rule) in [
        (
            "companyPage",
            "Another",
            "CONSTRAINT_VIOLATION",
            Some("NAME_TAKEN"),
        ),
        (
            "other",
            "Company page",
            "CONSTRAINT_VIOLATION",
            Some("NAME_TAKEN"),
        ),
        ("", "Empty alias", "BAD_USER_INPUT", None),
        ("bad alias", "Spaces", "BAD_USER_INPUT", None),
        ("blank", "   ", "BAD_USER_INPUT", None),
    ] {
        let err = app.error(CREATE, custom(alias, name)).await;
        assert_eq!(code(&err), expected, "{alias:?} {name:?}");
        if let Some(rule) = rule {
            assert_eq!(err["extensions"]["rule"], rule);
        }
    }
    // The same alias in another source is another type.
    let mut other = custom("companyPage", "Company page");
    other["i"]["source"] = json!("elsewhere");
    app.data(CREATE, other).await;
    let q = "{ relationTypes(source: \"crossover\") { totalCount } }";
    assert_eq!(
        app.data(q, json!({})).await["relationTypes"]["totalCount"],
        1
    );
}

const UPDATE: &str = "mutation($i: UpdateRelationTypeInput!) { updateRelationType(input: $i) { relationType { name bidirectional updatable duplicates allowedPairs { from { kind } } } } }";

async fn a_custom_type_is_updated_field_by_field(app: TestApp) {
    let created = app
        .data(CREATE, custom("companyPage", "Company page"))
        .await;
    let id = created["createRelationType"]["relationType"]["id"].clone();
    let data = app
        .data(
            UPDATE,
            json!({"i": {"id": id, "updatable": true, "duplicates": "REJECT"}}),
        )
        .await;
    let t = &data["updateRelationType"]["relationType"];
    assert_eq!(t["updatable"], true);
    assert_eq!(t["duplicates"], "REJECT");
    assert_eq!(t["name"], "Company page", "omitted fields stay");
    assert_eq!(t["allowedPairs"][0]["from"]["kind"], "company");
}

async fn built_in_types_cannot_be_changed_or_deleted(app: TestApp) {
    let id = app.type_id("copper", "related").await;
    let err = app
        .error(UPDATE, json!({"i": {"id": id, "updatable": true}}))
        .await;
    assert_eq!(err["extensions"]["rule"], "BUILT_IN");
    let del =
        "mutation($i: DeleteRelationTypeInput!) { deleteRelationType(input: $i) { deletedId } }";
    let err = app.error(del, json!({"i": {"id": id}})).await;
    assert_eq!(err["extensions"]["rule"], "BUILT_IN");
    assert_eq!(
        get_type(&app, "copper", "related").await["updatable"],
        false
    );
}

async fn a_type_in_use_is_deleted_only_with_its_relations(app: TestApp) {
    let created = app
        .data(CREATE, custom("companyPage", "Company page"))
        .await;
    let ty = created["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let company = app.entity("copper", "default", "company", "7").await;
    let page = app
        .entity(
            "umbraco",
            "default",
            "document",
            "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
        )
        .await;
    app.relate_ok(&ty, &company, &page, json!({})).await;
    app.relate_ok(&ty, &company, &page, json!({})).await;
    let del = "mutation($i: DeleteRelationTypeInput!) { deleteRelationType(input: $i) { deletedId removedRelationCount } }";
    let err = app.error(del, json!({"i": {"id": ty}})).await;
    assert_eq!(code(&err), "CONSTRAINT_VIOLATION");
    assert_eq!(err["extensions"]["rule"], "IN_USE");
    assert_eq!(app.relation_count().await, 2, "nothing was deleted");
    let data = app
        .data(del, json!({"i": {"id": ty, "deleteRelations": true}}))
        .await;
    assert_eq!(data["deleteRelationType"]["removedRelationCount"], 2);
    assert_eq!(app.relation_count().await, 0);
    let err = app.error(del, json!({"i": {"id": ty}})).await;
    assert_eq!(code(&err), "NOT_FOUND");
}

/// Writers that race for one alias (or one name): each checks that it is
/// free before the others commit, so the unique index decides. One wins,
/// the others get `NAME_TAKEN`, never `INTERNAL_SERVER_ERROR` (on SQLite
/// writers take turns, and the check alone decides).
async fn concurrent_creates_of_one_alias_or_name_get_name_taken(app: TestApp) {
    for round in 0..8 {
        let racers = (0..4).map(|i| {
            let app = app.clone();
            // Even rounds: one alias, names of their own; odd: the reverse.
            let (alias, name) = if round % 2 == 0 {
                (format!("race{round}"), format!("Race {round}.{i}"))
            } else {
                (format!("race{round}x{i}"), format!("Race {round}"))
            };
            async move { app.gql(CREATE, custom(&alias, &name)).await }
        });
        let answers = futures_util::future::join_all(racers).await;
        let won = answers
            .iter()
            .filter(|a| a["data"]["createRelationType"]["relationType"]["id"].is_string())
            .count();
        assert_eq!(won, 1, "round {round}: {answers:#?}");
        for lost in answers.iter().filter(|a| a["errors"].is_array()) {
            let error = &lost["errors"][0];
            assert_eq!(code(error), "CONSTRAINT_VIOLATION", "round {round}: {lost}");
            assert_eq!(
                error["extensions"]["rule"], "NAME_TAKEN",
                "round {round}: {lost}"
            );
        }
    }
}
