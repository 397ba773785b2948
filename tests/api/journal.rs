//! The journal: every committed change leaves exactly its events, in the
//! write's own transaction; a refused one leaves none; followers never skip
//! an event, also when a slow transaction commits late.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{Engine, TestApp, code};

const EVENT: &str = "cursor kind actor origin requestId typeAlias relationId
    from { id externalId name } to { id externalId } entity { id externalId name }
    before { label attitude isPrivate mirrorId } after { label attitude isPrivate mirrorId }
    nameBefore nameAfter";

/// Every event the caller may see, oldest first, read in pages of `page`.
async fn all_events(app: &TestApp, page: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .data(
                &format!(
                    "query($after: String, $n: Int) {{ relationEvents(after: $after, first: $n) {{
                        edges {{ cursor node {{ {EVENT} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
                ),
                json!({ "after": after, "n": page }),
            )
            .await;
        let conn = &data["relationEvents"];
        for e in conn["edges"].as_array().unwrap() {
            assert_eq!(e["cursor"], e["node"]["cursor"]);
            out.push(e["node"].clone());
        }
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return out;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

/// The events after the first `n`.
async fn events_since(app: &TestApp, n: usize) -> Vec<Value> {
    all_events(app, 100).await.split_off(n)
}

engine_tests!(
    every_mutation_leaves_exactly_its_events,
    a_refused_or_dry_run_write_leaves_no_event,
    dialect_writes_leave_the_same_events_with_their_origin,
    deleting_an_entity_or_a_type_journals_each_relation,
    private_relations_events_reach_admins_only,
    history_lists_an_objects_own_events,
    filters_and_paging_never_skip_or_repeat,
);

async fn every_mutation_leaves_exactly_its_events(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let events = all_events(&app, 100).await;
    assert_eq!(kinds(&events), ["ENTITY_CREATED", "ENTITY_CREATED"]);
    assert_eq!(events[0]["entity"]["externalId"], "1");
    assert_eq!(events[0]["nameAfter"], "character 1");
    assert_eq!(events[0]["actor"], "open-mode");
    assert_eq!(events[0]["origin"], "GRAPHQL");
    assert!(
        events[0]["requestId"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    // Upserting again unchanged: nothing; a new name: a rename.
    app.entity("kanka", "1", "character", "1").await;
    assert!(events_since(&app, 2).await.is_empty());
    app.data(
        "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"1\", name: \"Ilsa\"}) { created } }",
        json!({}),
    )
    .await;
    let renamed = events_since(&app, 2).await;
    assert_eq!(kinds(&renamed), ["ENTITY_RENAMED"]);
    assert_eq!(
        (
            renamed[0]["nameBefore"].as_str(),
            renamed[0]["nameAfter"].as_str()
        ),
        (Some("character 1"), Some("Ilsa"))
    );

    // A two-way relate: the relation and its mirror, each pointing at the other.
    let rel = app
        .relate(json!({ "typeId": ty, "fromId": a, "toId": b, "label": "ally", "attitude": 10, "twoWay": true }))
        .await;
    let rel_id = rel["data"]["relate"]["relation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mirror_id = rel["data"]["relate"]["mirror"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = events_since(&app, 3).await;
    assert_eq!(kinds(&created), ["RELATION_CREATED", "RELATION_CREATED"]);
    assert_eq!(created[0]["relationId"], rel_id.as_str());
    assert_eq!(created[0]["typeAlias"], "relation");
    assert_eq!(created[0]["from"]["id"], a.as_str());
    assert_eq!(created[0]["from"]["name"], "Ilsa");
    assert_eq!(created[0]["after"]["mirrorId"], mirror_id.as_str());
    assert_eq!(created[0]["before"], Value::Null);
    assert_eq!(created[1]["relationId"], mirror_id.as_str());
    assert_eq!(created[1]["from"]["id"], b.as_str());

    // An update with syncMirror: both, before and after; one that changes
    // nothing: no event.
    app.data(
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
        json!({ "i": { "id": rel_id, "attitude": -20, "syncMirror": true } }),
    )
    .await;
    let updated = events_since(&app, 5).await;
    assert_eq!(kinds(&updated), ["RELATION_UPDATED", "RELATION_UPDATED"]);
    assert_eq!(
        (
            updated[0]["before"]["attitude"].as_i64(),
            updated[0]["after"]["attitude"].as_i64()
        ),
        (Some(10), Some(-20))
    );
    assert_eq!(updated[1]["relationId"], mirror_id.as_str());
    app.data(
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
        json!({ "i": { "id": rel_id, "attitude": -20 } }),
    )
    .await;
    assert_eq!(events_since(&app, 7).await.len(), 0);

    // unrelate without the mirror: the relation goes, the mirror loses it.
    app.data(
        "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
        json!({ "i": { "id": rel_id } }),
    )
    .await;
    let removed = events_since(&app, 7).await;
    assert_eq!(kinds(&removed), ["RELATION_DELETED", "MIRROR_CLEARED"]);
    assert_eq!(removed[0]["before"]["attitude"], -20);
    assert_eq!(removed[0]["after"], Value::Null);
    assert_eq!(removed[1]["relationId"], mirror_id.as_str());
    assert_eq!(removed[1]["before"]["mirrorId"], rel_id.as_str());
    assert_eq!(removed[1]["after"]["mirrorId"], Value::Null);

    // Relation types.
    let data = app
        .data(
            "mutation { createRelationType(input: {source: \"crm\", alias: \"knows\", name: \"Knows\"}) { relationType { id } } }",
            json!({}),
        )
        .await;
    let custom = data["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.data(
        "mutation($i: UpdateRelationTypeInput!) { updateRelationType(input: $i) { relationType { id } } }",
        json!({ "i": { "id": custom, "name": "Knows of" } }),
    )
    .await;
    let typed = events_since(&app, 9).await;
    assert_eq!(kinds(&typed), ["TYPE_CREATED", "TYPE_UPDATED"]);
    assert_eq!(typed[1]["typeAlias"], "knows");
    assert_eq!(
        (
            typed[1]["nameBefore"].as_str(),
            typed[1]["nameAfter"].as_str()
        ),
        (Some("Knows"), Some("Knows of"))
    );
}

async fn a_refused_or_dry_run_write_leaves_no_event(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    let other = app.entity("copper", "default", "person", "2").await;
    let before = all_events(&app, 100).await.len();
    // A rule refuses it.
    let res = app
        .relate(json!({ "typeId": ty, "fromId": person, "toId": other }))
        .await;
    assert_eq!(code(&res["errors"][0]), "CONSTRAINT_VIOLATION");
    // A dry run runs `relate` and rolls back.
    let company = app.entity("copper", "default", "company", "3").await;
    let data = app
        .data(
            "query($i: RelateInput!) { validateRelation(input: $i) { ok } }",
            json!({ "i": { "typeId": ty, "fromId": person, "toId": company } }),
        )
        .await;
    assert_eq!(data["validateRelation"]["ok"], true);
    // A role that may not write.
    let reader = app.with_token(&app.create_token("read", "r", &[]));
    let err = reader
        .error(
            "mutation { upsertEntity(input: {source: \"kanka\", space: \"1\", kind: \"character\", externalId: \"9\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&err), "FORBIDDEN");
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    let events = all_events(&admin, 100).await;
    assert_eq!(
        kinds(&events[before..]),
        ["ENTITY_CREATED"],
        "only the company"
    );
}

async fn dialect_writes_leave_the_same_events_with_their_origin(app: TestApp) {
    app.entity("kanka", "1", "character", "168").await;
    app.entity("kanka", "1", "character", "72").await;
    app.entity(
        "umbraco",
        "p",
        "document",
        "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31",
    )
    .await;
    app.entity(
        "umbraco",
        "p",
        "document",
        "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5",
    )
    .await;
    app.entity("copper", "default", "person", "1").await;
    app.entity("copper", "default", "company", "2").await;
    let before = all_events(&app, 100).await.len();
    let send =
        |method: reqwest::Method, path: &str, body: Value, id: &str, extra: &[(&str, &str)]| {
            let mut req = app
                .client
                .request(method, app.url(path))
                .header("x-request-id", id)
                .json(&body);
            for (k, v) in extra {
                req = req.header(*k, *v);
            }
            async move {
                let res = req.send().await.unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                res.json::<Value>().await.unwrap()
            }
        };
    let kanka = send(
        reqwest::Method::POST,
        "/kanka/api/1.0/campaigns/1/entities/168/relations",
        json!({"relation": "Friends", "owner_id": 168, "target_id": 72}),
        "req-kanka",
        &[],
    )
    .await;
    send(
        reqwest::Method::PATCH,
        &format!(
            "/kanka/api/1.0/campaigns/1/entities/168/relations/{}",
            kanka["data"]["id"]
        ),
        json!({"attitude": 5}),
        "req-kanka-2",
        &[],
    )
    .await;
    send(
        reqwest::Method::POST,
        "/umbraco/relation",
        json!({"parentId": "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31", "childId": "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5", "relationTypeAlias": "relateDocumentOnCopy"}),
        "req-umbraco",
        &[("Umb-Project-Alias", "p")],
    )
    .await;
    send(
        reqwest::Method::POST,
        "/copper/developer_api/v1/people/1/related",
        json!({"resource": {"id": 2, "type": "company"}}),
        "req-copper",
        &[("X-PW-Application", "developer_api")],
    )
    .await;
    let events = events_since(&app, before).await;
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["origin"].as_str().unwrap(),
                e["requestId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("RELATION_CREATED", "KANKA", "req-kanka"),
            ("RELATION_UPDATED", "KANKA", "req-kanka-2"),
            ("RELATION_CREATED", "UMBRACO", "req-umbraco"),
            ("RELATION_CREATED", "COPPER", "req-copper"),
        ]
    );
}

async fn deleting_an_entity_or_a_type_journals_each_relation(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "character", "3").await;
    app.relate_ok(&ty, &a, &b, json!({"label": "x", "twoWay": true}))
        .await;
    app.relate_ok(&ty, &c, &a, json!({"label": "y"})).await;
    let before = all_events(&app, 100).await.len();
    app.data(
        "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { removedRelationCount } }",
        json!({ "i": { "id": a } }),
    )
    .await;
    let gone = events_since(&app, before).await;
    assert_eq!(
        kinds(&gone),
        [
            "RELATION_DELETED",
            "RELATION_DELETED",
            "RELATION_DELETED",
            "ENTITY_DELETED"
        ]
    );
    assert_eq!(gone[3]["entity"]["id"], a.as_str());
    assert_eq!(gone[3]["nameBefore"], "character 1");
    assert_eq!(gone[2]["from"]["externalId"], "3");

    let data = app
        .data(
            "mutation { createRelationType(input: {source: \"crm\", alias: \"knows\", name: \"Knows\", sameSpace: false}) { relationType { id } } }",
            json!({}),
        )
        .await;
    let custom = data["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.relate_ok(&custom, &b, &c, json!({})).await;
    let before = all_events(&app, 100).await.len();
    app.data(
        "mutation($i: DeleteRelationTypeInput!) { deleteRelationType(input: $i) { removedRelationCount } }",
        json!({ "i": { "id": custom, "deleteRelations": true } }),
    )
    .await;
    let gone = events_since(&app, before).await;
    assert_eq!(kinds(&gone), ["RELATION_DELETED", "TYPE_DELETED"]);
    assert_eq!(gone[0]["typeAlias"], "knows");
}

async fn private_relations_events_reach_admins_only(app: TestApp) {
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    let writer = app.with_token(&app.create_token("write", "w", &[]));
    let ty = admin.type_id("kanka", "relation").await;
    let a = admin.entity("kanka", "1", "character", "1").await;
    let b = admin.entity("kanka", "1", "character", "2").await;
    admin
        .relate_ok(&ty, &a, &b, json!({"label": "secret", "isPrivate": true}))
        .await;
    admin.relate_ok(&ty, &a, &b, json!({"label": "open"})).await;
    let for_admin = all_events(&admin, 100).await;
    let for_writer = all_events(&writer, 100).await;
    assert_eq!(for_admin.len(), 4);
    assert_eq!(
        for_writer.len(),
        3,
        "the private relation's event is not there"
    );
    assert!(for_writer.iter().all(|e| e["after"]["label"] != "secret"));
    let count = |app: &TestApp| {
        let app = app.clone();
        async move {
            app.data("{ relationEvents { totalCount } }", json!({}))
                .await["relationEvents"]["totalCount"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!((count(&admin).await, count(&writer).await), (4, 3));
}

async fn history_lists_an_objects_own_events(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "character", "3").await;
    let rel = app.relate_ok(&ty, &a, &b, json!({"label": "x"})).await;
    app.relate_ok(&ty, &b, &c, json!({"label": "y"})).await;
    app.data(
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
        json!({ "i": { "id": rel, "label": "z" } }),
    )
    .await;
    let data = app
        .data(
            "query($r: ID!, $e: ID!) {
               r: node(id: $r) { ... on Relation { history { totalCount edges { node { kind after { label } } } } } }
               e: node(id: $e) { ... on Entity { history(first: 10) { edges { node { kind relationId } } } } } }",
            json!({ "r": rel, "e": a }),
        )
        .await;
    let r = &data["r"]["history"];
    assert_eq!(r["totalCount"], 2);
    assert_eq!(r["edges"][1]["node"]["after"]["label"], "z");
    let e: Vec<&str> = data["e"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["node"]["kind"].as_str().unwrap())
        .collect();
    // Its creation, the relation it is an end of, its update; not b-c.
    assert_eq!(
        e,
        ["ENTITY_CREATED", "RELATION_CREATED", "RELATION_UPDATED"]
    );
}

async fn filters_and_paging_never_skip_or_repeat(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    for i in 0..7 {
        app.relate_ok(&ty, &a, &b, json!({ "label": format!("r{i}") }))
            .await;
    }
    let whole = all_events(&app, 100).await;
    for page in [1, 2, 3, 5] {
        assert_eq!(all_events(&app, page).await, whole, "pages of {page}");
    }
    let data = app
        .data(
            "{ relationEvents(filter: {kinds: [ENTITY_CREATED], origins: [GRAPHQL]}) { totalCount }
               none: relationEvents(filter: {origins: [KANKA]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["relationEvents"]["totalCount"], 2);
    assert_eq!(data["none"]["totalCount"], 0);
    let data = app
        .data(
            "query($t: DateTime!) { later: relationEvents(filter: {since: $t}) { totalCount } earlier: relationEvents(filter: {until: $t}) { totalCount } }",
            json!({ "t": "2000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        (
            data["later"]["totalCount"].as_u64(),
            data["earlier"]["totalCount"].as_u64()
        ),
        (Some(9), Some(0))
    );
    // A page past the end keeps the follower's place.
    let last = whole.last().unwrap()["cursor"].as_str().unwrap().to_owned();
    let data = app
        .data(
            "query($a: String) { relationEvents(after: $a) { edges { cursor } pageInfo { endCursor hasNextPage } } }",
            json!({ "a": last }),
        )
        .await;
    assert_eq!(data["relationEvents"]["edges"], json!([]));
    assert_eq!(
        data["relationEvents"]["pageInfo"]["endCursor"],
        last.as_str()
    );
    // A cursor that is not one.
    let err = app
        .error(
            "{ relationEvents(after: \"nope\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
}

engine_tests!(a_follower_never_skips_an_event_a_slow_transaction_commits_late);

/// A write transaction is held open while others commit and a follower
/// reads: the follower must not move past the held transaction's event.
async fn a_follower_never_skips_an_event_a_slow_transaction_commits_late(app: TestApp) {
    use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let start = all_events(&app, 100).await;
    let cursor0 = start.last().unwrap()["cursor"].as_str().unwrap().to_owned();
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    // A slow writer: its event's id is taken now, its commit comes last.
    let slow = db.begin().await.unwrap();
    let txid = if app.engine == Engine::Postgres {
        "pg_current_xact_id()::text::bigint"
    } else {
        "0"
    };
    slow.execute_raw(Statement::from_string(
        backend,
        format!(
            "INSERT INTO relation_events (txid, at, kind, type_id, type_source, type_alias, after, actor, origin) \
             VALUES ({txid}, CURRENT_TIMESTAMP, 'TYPE_CREATED', 999, 'slow', 'slow', '{{\"name\":\"Slow\"}}', 'test', 'import')"
        ),
    ))
    .await
    .unwrap();
    let follow = |after: String| {
        let app = app.clone();
        async move {
            let data = app
                .data(
                    "query($a: String) { relationEvents(after: $a, first: 100) { edges { node { kind typeAlias } } pageInfo { endCursor } } }",
                    json!({ "a": after }),
                )
                .await;
            let c = &data["relationEvents"];
            let got: Vec<String> = c["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["node"]["kind"].as_str().unwrap(),
                        e["node"]["typeAlias"].as_str().unwrap_or("-")
                    )
                })
                .collect();
            (got, c["pageInfo"]["endCursor"].as_str().unwrap().to_owned())
        }
    };
    // Other writes commit while it is open (on SQLite they wait for its lock).
    let writer = {
        let app = app.clone();
        let (ty, a, b) = (ty.clone(), a.clone(), b.clone());
        tokio::spawn(async move {
            for i in 0..3 {
                app.relate_ok(&ty, &a, &b, json!({ "label": format!("fast {i}") }))
                    .await;
            }
        })
    };
    if app.engine == Engine::Postgres {
        // Wait until the fast writes have committed.
        let mut tries = 0;
        loop {
            let n: i64 = db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COUNT(*) FROM relations",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index(0)
                .unwrap();
            if n == 3 {
                break;
            }
            tries += 1;
            assert!(tries < 200, "the fast writes did not commit");
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The follower sees nothing newer than the held transaction yet.
    let (seen, cursor1) = follow(cursor0.clone()).await;
    assert!(seen.is_empty(), "moved past a running writer: {seen:?}");
    assert_eq!(cursor1, cursor0);
    slow.commit().await.unwrap();
    writer.await.unwrap();
    // Now everything, the slow event first, nothing skipped.
    let (seen, _) = follow(cursor1).await;
    assert_eq!(
        seen,
        [
            "TYPE_CREATED:slow",
            "RELATION_CREATED:relation",
            "RELATION_CREATED:relation",
            "RELATION_CREATED:relation"
        ]
    );
    db.close().await.unwrap();
    let _ = StatusCode::OK;
}

fn short_retention() -> relgate::config::ServeArgs {
    relgate::config::ServeArgs {
        event_retention: Some(std::time::Duration::from_secs(2)),
        ..relgate::config::ServeArgs::default()
    }
}

engine_tests!(serve = short_retention; retention_prunes_old_events_keeps_live_states_and_refuses_old_cursors);

async fn retention_prunes_old_events_keeps_live_states_and_refuses_old_cursors(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let kept = app.relate_ok(&ty, &a, &b, json!({"label": "kept"})).await;
    let gone = app.relate_ok(&ty, &a, &b, json!({"label": "gone"})).await;
    app.data(
        "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
        json!({ "i": { "id": gone } }),
    )
    .await;
    app.data(
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
        json!({ "i": { "id": kept, "label": "kept, renamed" } }),
    )
    .await;
    let early = all_events(&app, 100).await;
    assert_eq!(early.len(), 6);
    let first_cursor = early[0]["cursor"].as_str().unwrap().to_owned();
    // Past the retention, the pruner (every second) leaves only the live
    // relation's latest state.
    let mut left = early.clone();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        left = all_events(&app, 100).await;
        if left.len() == 1 {
            break;
        }
    }
    assert_eq!(kinds(&left), ["RELATION_UPDATED"], "{left:#?}");
    assert_eq!(left[0]["relationId"], kept.as_str());
    assert_eq!(left[0]["after"]["label"], "kept, renamed");
    // A cursor from before is refused, never answered with a shorter list.
    let err = app
        .error(
            "query($a: String) { relationEvents(after: $a) { totalCount edges { cursor } } }",
            json!({ "a": first_cursor }),
        )
        .await;
    assert_eq!(code(&err), "HISTORY_EXPIRED");
    // New events are followed as before, also from the kept state's cursor.
    let from = left[0]["cursor"].as_str().unwrap().to_owned();
    app.relate_ok(&ty, &b, &a, json!({"label": "new"})).await;
    let data = app
        .data(
            "query($a: String) { relationEvents(after: $a) { edges { node { kind after { label } } } } }",
            json!({ "a": from }),
        )
        .await;
    assert_eq!(
        data["relationEvents"]["edges"][0]["node"]["after"]["label"],
        "new"
    );
    // A moment before what is kept is refused too; one since, answered.
    let err = app
        .error(
            "query($id: ID!, $at: DateTime) { node(id: $id) { ... on Entity { relations(asOf: $at) { totalCount } } } }",
            json!({ "id": a, "at": "2000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(code(&err), "HISTORY_EXPIRED");
    let data = app
        .data(
            "query($id: ID!, $at: DateTime) { node(id: $id) { ... on Entity { relations(asOf: $at) { totalCount } } } }",
            json!({ "id": a, "at": chrono::Utc::now().to_rfc3339() }),
        )
        .await;
    assert_eq!(data["node"]["relations"]["totalCount"], 2, "{data:#}");
}

engine_tests!(as_of_reads_answer_as_the_graph_stood);

async fn as_of_reads_answer_as_the_graph_stood(app: TestApp) {
    let admin = app.with_token(&app.create_token("admin", "a", &[]));
    let writer = app.with_token(&app.create_token("write", "w", &[]));
    let ty = admin.type_id("kanka", "relation").await;
    let a = admin.entity("kanka", "1", "character", "1").await;
    let b = admin.entity("kanka", "1", "character", "2").await;
    let c = admin.entity("kanka", "1", "location", "3").await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(30));
    pause().await;
    let t0 = chrono::Utc::now();
    pause().await;
    let r1 = admin
        .relate_ok(&ty, &a, &b, json!({"label": "friend"}))
        .await;
    let r2 = admin.relate_ok(&ty, &c, &a, json!({"label": "home"})).await;
    pause().await;
    let t1 = chrono::Utc::now();
    pause().await;
    admin
        .data(
            "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
            json!({ "i": { "id": r1, "label": "rival" } }),
        )
        .await;
    admin
        .data(
            "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
            json!({ "i": { "id": r2 } }),
        )
        .await;
    let r3 = admin
        .relate_ok(&ty, &a, &b, json!({"label": "secret", "isPrivate": true}))
        .await;
    pause().await;
    let t2 = chrono::Utc::now();
    let view = |app: &TestApp, at: chrono::DateTime<chrono::Utc>, args: &'static str| {
        let app = app.clone();
        let a = a.clone();
        async move {
            let data = app
                .data(
                    &format!(
                        "query($id: ID!, $at: DateTime) {{ node(id: $id) {{ ... on Entity {{
                           relations(asOf: $at{args}) {{ totalCount edges {{ cursor direction node {{ id label }} other {{ name }} }} pageInfo {{ hasNextPage endCursor }} }}
                           related(asOf: $at) {{ totalCount edges {{ node {{ kind }} }} }} }} }} }}"
                    ),
                    json!({ "id": a, "at": at.to_rfc3339() }),
                )
                .await;
            data["node"].clone()
        }
    };
    let labels = |v: &Value| -> Vec<String> {
        v["relations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["label"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(view(&admin, t0, "").await["relations"]["totalCount"], 0);
    let then = view(&admin, t1, "").await;
    assert_eq!(labels(&then), ["friend", "home"]);
    assert_eq!(then["relations"]["totalCount"], 2);
    assert_eq!(then["relations"]["edges"][1]["direction"], "INCOMING");
    assert_eq!(then["related"]["totalCount"], 2);
    assert_eq!(then["relations"]["edges"][0]["node"]["id"], r1.as_str());
    let now = view(&admin, t2, "").await;
    assert_eq!(labels(&now), ["rival", "secret"]);
    assert_eq!(now["relations"]["edges"][1]["node"]["id"], r3.as_str());
    // The same privacy as today's reads.
    assert_eq!(labels(&view(&writer, t2, "").await), ["rival"]);
    // The same filters and paging.
    assert_eq!(
        labels(&view(&admin, t1, ", direction: OUTGOING").await),
        ["friend"]
    );
    assert_eq!(
        labels(&view(&admin, t1, ", otherKind: \"location\"").await),
        ["home"]
    );
    let first = view(&admin, t1, ", first: 1").await;
    assert_eq!(labels(&first), ["friend"]);
    assert_eq!(first["relations"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["relations"]["totalCount"], 2);
    // A fan-out reads the journal in one batch, not once per entity.
    let (data, statements) = admin
        .data_and_statements(
            "query($at: DateTime) { entities(first: 10) { edges { node { relations(asOf: $at) { totalCount } } } } }",
            json!({ "at": t1.to_rfc3339() }),
        )
        .await;
    assert_eq!(data["entities"]["edges"].as_array().unwrap().len(), 3);
    assert!(statements <= 5, "{statements} statements");
}
