//! Every rule of the built-in sources through GraphQL: the allowed case, the
//! refused case with its code and rule, and that a refusal writes nothing.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    copper_relates_only_the_documented_pairs,
    copper_gives_a_person_at_most_one_company,
    copper_gives_a_task_at_most_one_record,
    copper_relating_a_related_pair_again_is_idempotent_in_either_order,
    copper_takes_no_attributes_and_no_mirror,
    umbraco_allows_one_relation_per_parent_child_and_type,
    umbraco_types_connect_only_their_kinds,
    umbraco_comments_are_at_most_1000_characters,
    umbraco_relations_are_never_updated,
    kanka_labels_are_required_and_at_most_255_characters,
    kanka_attitude_and_colour_are_checked,
    kanka_relations_stay_in_one_campaign_and_never_point_at_themselves,
    kanka_updates_obey_the_label_rule,
    every_violation_is_reported_at_once,
    validate_relation_lists_what_relate_would_refuse,
    a_custom_types_directed_limit_counts_one_side,
);

/// Asserts that `res` is a refusal for `rule`; returns its message.
#[track_caller]
fn refused(res: &Value, rule: &str) -> String {
    let err = &res["errors"][0];
    assert_eq!(code(err), "CONSTRAINT_VIOLATION", "{res:#}");
    assert_eq!(err["extensions"]["rule"], rule, "{res:#}");
    assert_eq!(res["data"], Value::Null, "{res:#}");
    err["message"].as_str().unwrap_or_default().to_owned()
}

async fn copper(app: &TestApp, kind: &str, id: &str) -> String {
    app.entity("copper", "default", kind, id).await
}

async fn copper_relates_only_the_documented_pairs(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = copper(&app, "person", "1").await;
    let other_person = copper(&app, "person", "2").await;
    let company = copper(&app, "company", "3").await;
    let lead = copper(&app, "lead", "4").await;
    let task = copper(&app, "task", "5").await;
    // Allowed, in the order the seed lists them and the other way round.
    app.relate_ok(&ty, &company, &person, json!({})).await;
    app.relate_ok(&ty, &task, &lead, json!({})).await;
    for (a, b) in [
        (&person, &other_person),
        (&lead, &company),
        (&company, &company),
    ] {
        let res = app
            .relate(json!({"typeId": ty, "fromId": a, "toId": b}))
            .await;
        let err = &res["errors"][0];
        assert_eq!(code(err), "CONSTRAINT_VIOLATION");
        let rules: Vec<&str> = err["extensions"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"PAIR_NOT_ALLOWED"), "{rules:?}");
    }
    assert_eq!(app.relation_count().await, 2);
}

async fn copper_gives_a_person_at_most_one_company(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = copper(&app, "person", "42").await;
    let acme = copper(&app, "company", "7").await;
    let globex = copper(&app, "company", "8").await;
    let deal = copper(&app, "opportunity", "9").await;
    app.relate_ok(&ty, &person, &acme, json!({})).await;
    // From either end, a second company is refused...
    for (a, b) in [(&person, &globex), (&globex, &person)] {
        let res = app
            .relate(json!({"typeId": ty, "fromId": a, "toId": b}))
            .await;
        let message = refused(&res, "LIMIT_EXCEEDED");
        assert_eq!(
            message,
            "a person can be related to at most one company; person 42 already is (to company 7)"
        );
    }
    // ...but other kinds are not limited.
    app.relate_ok(&ty, &person, &deal, json!({})).await;
    app.relate_ok(&ty, &globex, &deal, json!({})).await;
    assert_eq!(app.relation_count().await, 3);
}

async fn copper_gives_a_task_at_most_one_record(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let task = copper(&app, "task", "1").await;
    let project = copper(&app, "project", "2").await;
    let company = copper(&app, "company", "3").await;
    let other_task = copper(&app, "task", "4").await;
    app.relate_ok(&ty, &task, &project, json!({})).await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": company, "toId": task}))
        .await;
    assert!(refused(&res, "LIMIT_EXCEEDED").contains("task 1 already is (to project 2)"));
    // The project itself takes more tasks.
    app.relate_ok(&ty, &other_task, &project, json!({})).await;
    assert_eq!(app.relation_count().await, 2);
}

async fn copper_relating_a_related_pair_again_is_idempotent_in_either_order(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = copper(&app, "person", "1").await;
    let deal = copper(&app, "opportunity", "2").await;
    let first = TestApp::data_of(
        app.relate(json!({"typeId": ty, "fromId": person, "toId": deal}))
            .await,
    );
    assert_eq!(first["relate"]["created"], true);
    for (a, b) in [(&person, &deal), (&deal, &person)] {
        let again = TestApp::data_of(
            app.relate(json!({"typeId": ty, "fromId": a, "toId": b}))
                .await,
        );
        assert_eq!(again["relate"]["created"], false);
        assert_eq!(
            again["relate"]["relation"]["id"],
            first["relate"]["relation"]["id"]
        );
    }
    assert_eq!(app.relation_count().await, 1);
}

async fn copper_takes_no_attributes_and_no_mirror(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = copper(&app, "person", "1").await;
    let deal = copper(&app, "opportunity", "2").await;
    for extra in [
        json!({"label": "friends"}),
        json!({"comment": "hi"}),
        json!({"attitude": 5}),
        json!({"colour": "#ffffff"}),
        json!({"pinned": true}),
        json!({"isPrivate": true}),
        json!({"twoWay": true}),
    ] {
        let mut input = json!({"typeId": ty, "fromId": person, "toId": deal});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        refused(&app.relate(input).await, "ATTRIBUTE_NOT_ALLOWED");
    }
    assert_eq!(app.relation_count().await, 0);
}

const DOC_A: &str = "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31";
const DOC_B: &str = "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5";
const MEDIA: &str = "5b7a1c3e-0d2f-4e6a-9b8c-1d2e3f4a5b6c";

async fn umbraco_allows_one_relation_per_parent_child_and_type(app: TestApp) {
    let copy = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let on_delete = app.type_id("umbraco", "relateParentDocumentOnDelete").await;
    let a = app.entity("umbraco", "site", "document", DOC_A).await;
    let b = app.entity("umbraco", "site", "document", DOC_B).await;
    app.relate_ok(&copy, &a, &b, json!({"comment": "copied"}))
        .await;
    let res = app
        .relate(json!({"typeId": copy, "fromId": a, "toId": b}))
        .await;
    refused(&res, "DUPLICATE");
    // The reversed pair is another relation, and so is another type.
    app.relate_ok(&copy, &b, &a, json!({})).await;
    app.relate_ok(&on_delete, &a, &b, json!({})).await;
    assert_eq!(app.relation_count().await, 3);
}

async fn umbraco_types_connect_only_their_kinds(app: TestApp) {
    let copy = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let folder = app
        .type_id("umbraco", "relateParentMediaFolderOnDelete")
        .await;
    let doc = app.entity("umbraco", "site", "document", DOC_A).await;
    let media = app.entity("umbraco", "site", "media", MEDIA).await;
    let res = app
        .relate(json!({"typeId": copy, "fromId": doc, "toId": media}))
        .await;
    refused(&res, "PAIR_NOT_ALLOWED");
    let res = app
        .relate(json!({"typeId": folder, "fromId": doc, "toId": media}))
        .await;
    refused(&res, "PAIR_NOT_ALLOWED");
    let dependency = app.type_id("umbraco", "umbMedia").await;
    let res = app
        .relate(json!({"typeId": dependency, "fromId": doc, "toId": media}))
        .await;
    refused(&res, "SYSTEM_MANAGED");
    assert_eq!(app.relation_count().await, 0);
}

async fn umbraco_comments_are_at_most_1000_characters(app: TestApp) {
    let copy = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let a = app.entity("umbraco", "site", "document", DOC_A).await;
    let b = app.entity("umbraco", "site", "document", DOC_B).await;
    let res = app
        .relate(json!({"typeId": copy, "fromId": a, "toId": b, "comment": "é".repeat(1001)}))
        .await;
    refused(&res, "FIELD_TOO_LONG");
    assert_eq!(app.relation_count().await, 0);
    app.relate_ok(&copy, &a, &b, json!({"comment": "é".repeat(1000)}))
        .await;
}

async fn umbraco_relations_are_never_updated(app: TestApp) {
    let copy = app.type_id("umbraco", "relateDocumentOnCopy").await;
    let a = app.entity("umbraco", "site", "document", DOC_A).await;
    let b = app.entity("umbraco", "site", "document", DOC_B).await;
    let id = app.relate_ok(&copy, &a, &b, json!({"comment": "v1"})).await;
    let q =
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { comment } } }";
    let res = app.gql(q, json!({"i": {"id": id, "comment": "v2"}})).await;
    refused(&res, "NOT_UPDATABLE");
    let now = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Relation { comment } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(now["node"]["comment"], "v1");
}

async fn kanka_pair(app: &TestApp) -> (String, String, String) {
    (
        app.type_id("kanka", "relation").await,
        app.entity("kanka", "1", "character", "1").await,
        app.entity("kanka", "1", "character", "2").await,
    )
}

async fn kanka_labels_are_required_and_at_most_255_characters(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    for (label, rule) in [
        (Value::Null, "LABEL_REQUIRED"),
        (json!(""), "LABEL_REQUIRED"),
        (json!("   "), "LABEL_REQUIRED"),
        (json!("x".repeat(256)), "FIELD_TOO_LONG"),
    ] {
        let res = app
            .relate(json!({"typeId": ty, "fromId": a, "toId": b, "label": label}))
            .await;
        refused(&res, rule);
    }
    assert_eq!(app.relation_count().await, 0);
    app.relate_ok(&ty, &a, &b, json!({"label": "x".repeat(255)}))
        .await;
    // Duplicates are allowed.
    app.relate_ok(&ty, &a, &b, json!({"label": "x".repeat(255)}))
        .await;
    assert_eq!(app.relation_count().await, 2);
}

async fn kanka_attitude_and_colour_are_checked(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    for (extra, rule) in [
        (json!({"attitude": 101}), "OUT_OF_RANGE"),
        (json!({"attitude": -101}), "OUT_OF_RANGE"),
        (json!({"colour": "blue"}), "INVALID_FORMAT"),
        (json!({"colour": "#12345"}), "INVALID_FORMAT"),
        (json!({"colour": "#12345g"}), "INVALID_FORMAT"),
    ] {
        let mut input = json!({"typeId": ty, "fromId": a, "toId": b, "label": "x"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        refused(&app.relate(input).await, rule);
    }
    assert_eq!(app.relation_count().await, 0);
    app.relate_ok(
        &ty,
        &a,
        &b,
        json!({"label": "x", "attitude": -100, "colour": "#C0FFEE", "pinned": true, "isPrivate": true}),
    )
    .await;
    app.relate_ok(&ty, &a, &b, json!({"label": "y", "attitude": 100}))
        .await;
}

async fn kanka_relations_stay_in_one_campaign_and_never_point_at_themselves(app: TestApp) {
    let (ty, a, _) = kanka_pair(&app).await;
    let elsewhere = app.entity("kanka", "2", "character", "3").await;
    refused(
        &app.relate(json!({"typeId": ty, "fromId": a, "toId": elsewhere, "label": "x"}))
            .await,
        "CROSS_SPACE",
    );
    refused(
        &app.relate(json!({"typeId": ty, "fromId": a, "toId": a, "label": "x"}))
            .await,
        "SELF_RELATION",
    );
    assert_eq!(app.relation_count().await, 0);
}

async fn kanka_updates_obey_the_label_rule(app: TestApp) {
    let (ty, a, b) = kanka_pair(&app).await;
    let id = app
        .relate_ok(&ty, &a, &b, json!({"label": "Allies", "twoWay": true}))
        .await;
    let q = "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { label attitude } mirror { label } } }";
    refused(
        &app.gql(
            q,
            json!({"i": {"id": id, "label": " ", "syncMirror": true}}),
        )
        .await,
        "LABEL_REQUIRED",
    );
    refused(
        &app.gql(q, json!({"i": {"id": id, "attitude": 300}})).await,
        "OUT_OF_RANGE",
    );
    let ok = app
        .data(
            q,
            json!({"i": {"id": id, "label": "Enemies", "syncMirror": true}}),
        )
        .await;
    assert_eq!(ok["updateRelation"]["relation"]["label"], "Enemies");
    assert_eq!(ok["updateRelation"]["mirror"]["label"], "Enemies");
    assert_eq!(ok["updateRelation"]["relation"]["attitude"], Value::Null);
}

async fn every_violation_is_reported_at_once(app: TestApp) {
    let (ty, a, _) = kanka_pair(&app).await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": a, "toId": a, "attitude": 500, "colour": "red"}))
        .await;
    let rules: Vec<&str> = res["errors"][0]["extensions"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "SELF_RELATION",
            "LABEL_REQUIRED",
            "OUT_OF_RANGE",
            "INVALID_FORMAT"
        ]
    );
    assert_eq!(res["errors"][0]["extensions"]["rule"], "SELF_RELATION");
}

async fn validate_relation_lists_what_relate_would_refuse(app: TestApp) {
    let q = "query($i: RelateInput!) { validateRelation(input: $i) { ok violations { rule message } } }";
    let ty = app.type_id("copper", "related").await;
    let person = copper(&app, "person", "1").await;
    let acme = copper(&app, "company", "2").await;
    let globex = copper(&app, "company", "3").await;
    let ok = app
        .data(
            q,
            json!({"i": {"typeId": ty, "fromId": person, "toId": acme}}),
        )
        .await;
    assert_eq!(
        ok["validateRelation"],
        json!({"ok": true, "violations": []})
    );
    app.relate_ok(&ty, &person, &acme, json!({})).await;
    // Relating the pair again would succeed (created: false).
    let again = app
        .data(
            q,
            json!({"i": {"typeId": ty, "fromId": acme, "toId": person}}),
        )
        .await;
    assert_eq!(again["validateRelation"]["ok"], true);
    let bad = app
        .data(
            q,
            json!({"i": {"typeId": ty, "fromId": person, "toId": globex, "label": "x"}}),
        )
        .await;
    let rules: Vec<&str> = bad["validateRelation"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    // The attribute is refused first; a refused shape skips the limit check,
    // exactly as relate does.
    assert_eq!(rules, ["ATTRIBUTE_NOT_ALLOWED"]);
    let limit = app
        .data(
            q,
            json!({"i": {"typeId": ty, "fromId": person, "toId": globex}}),
        )
        .await;
    assert_eq!(
        limit["validateRelation"]["violations"][0]["rule"],
        "LIMIT_EXCEEDED"
    );
    assert_eq!(app.relation_count().await, 1, "validation writes nothing");
}

async fn a_custom_types_directed_limit_counts_one_side(app: TestApp) {
    let q = "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }";
    let created = app
        .data(
            q,
            json!({"i": {
                "source": "kanka", "alias": "mentor", "name": "Mentor",
                "allowedPairs": [{"from": {"source": "kanka", "kind": "character"},
                                  "to": {"source": "kanka", "kind": "character"}}],
                "limits": [{"kind": {"source": "kanka", "kind": "character"}, "max": 2,
                            "direction": "OUTGOING"}],
                "duplicates": "REJECT"
            }}),
        )
        .await;
    let ty = created["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c = Vec::new();
    for i in 1..=5 {
        c.push(app.entity("kanka", "1", "character", &i.to_string()).await);
    }
    app.relate_ok(&ty, &c[0], &c[1], json!({})).await;
    app.relate_ok(&ty, &c[0], &c[2], json!({})).await;
    let res = app
        .relate(json!({"typeId": ty, "fromId": c[0], "toId": c[3]}))
        .await;
    refused(&res, "LIMIT_EXCEEDED");
    // Incoming relations of a mentor do not count against it.
    app.relate_ok(&ty, &c[3], &c[0], json!({})).await;
    app.relate_ok(&ty, &c[4], &c[0], json!({})).await;
    refused(
        &app.relate(json!({"typeId": ty, "fromId": c[3], "toId": c[0]}))
            .await,
        "DUPLICATE",
    );
    assert_eq!(app.relation_count().await, 4);
}
