//! Tokens, roles, open mode and private relations.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::{TestApp, code};

engine_tests!(
    open_mode_serves_everyone_until_the_first_token_exists,
    bad_revoked_and_expired_tokens_are_unauthenticated,
    a_read_token_is_refused_every_mutation_and_nothing_is_written,
    a_write_token_writes_relations_but_not_types_or_private_ones,
    private_relations_exist_only_for_admins,
    a_hidden_private_relation_fills_a_limit_without_being_named,
    the_playground_offers_an_authorization_header_once_tokens_exist,
);

async fn the_playground_offers_an_authorization_header_once_tokens_exist(app: TestApp) {
    let headers = |app: TestApp| async move {
        let ops: Value = app.get_json("/playground/operations.json").await;
        serde_json::from_str::<Value>(ops["headers"].as_str().unwrap()).unwrap()
    };
    assert_eq!(headers(app.clone()).await, json!({}));
    app.create_token("read", "someone", &[]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = headers(app.clone()).await;
    assert!(
        h["Authorization"].as_str().unwrap().starts_with("Bearer "),
        "{h}"
    );
}

const WHO: &str = "{ relationTypes { totalCount } }";

async fn status_and_body(
    app: &TestApp,
    query: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let res = app.post(query, json!({})).await;
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap())
}

async fn open_mode_serves_everyone_until_the_first_token_exists(app: TestApp) {
    let (status, _, _) = status_and_body(&app, WHO).await;
    assert_eq!(status, StatusCode::OK, "open mode");
    let admin = app.create_token("admin", "ops", &[]);
    assert!(admin.starts_with("rg_"));
    // Running servers notice the first token within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, headers, body) = status_and_body(&app, WHO).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");
    let (status, _, body) = status_and_body(&app.with_token(&admin), WHO).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn bad_revoked_and_expired_tokens_are_unauthenticated(app: TestApp) {
    let good = app.create_token("read", "reader", &[]);
    let revoked = app.create_token("admin", "gone", &[]);
    let short = app.create_token("read", "short", &["--expires-in", "3s"]);
    // It expires before this (the command set its expiry before returning).
    let expired_by = std::time::Instant::now() + std::time::Duration::from_secs(3);
    // Each of them works first, so that a refusal below is the revocation's
    // or the expiry's doing.
    for token in [&good, &short, &revoked] {
        let (status, _, body) = status_and_body(&app.with_token(token), WHO).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["token", "revoke", "gone"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success());
    // The running server refuses the revoked token at once: the next
    // request after the command returned.
    let (status, _, body) = status_and_body(&app.with_token(&revoked), WHO).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked: {body}");
    tokio::time::sleep_until((expired_by + std::time::Duration::from_millis(100)).into()).await;
    // The right secret with one digit changed is as bad as garbage.
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    for token in [
        tampered.as_str(),
        "garbage",
        revoked.as_str(),
        short.as_str(),
    ] {
        let (status, _, body) = status_and_body(&app.with_token(token), WHO).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");
        assert_eq!(body["errors"][0]["message"], "invalid or expired token");
    }
    let (status, _, _) = status_and_body(&app.with_token(&good), WHO).await;
    assert_eq!(status, StatusCode::OK);
    // Basic credentials are not ours either.
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({"query": WHO}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The list shows names and roles, never a secret.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relgate"))
        .args(["token", "list"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("reader") && listing.contains("gone"),
        "{listing}"
    );
    assert!(
        !listing.contains(&good[3..19]),
        "no key ids or secrets: {listing}"
    );
}

async fn seeded(app: &TestApp) -> (String, String, String, String) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let r = app.relate_ok(&ty, &a, &b, json!({"label": "x"})).await;
    (ty, a, b, r)
}

async fn a_read_token_is_refused_every_mutation_and_nothing_is_written(app: TestApp) {
    let (ty, a, b, r) = seeded(&app).await;
    let admin = app.with_token(&app.create_token("admin", "admin", &[]));
    let reader = app.with_token(&app.create_token("read", "reader", &[]));
    let mutations = [
        (
            "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created } }",
            json!({"source": "kanka", "space": "1", "kind": "character", "externalId": "9"}),
        ),
        (
            "mutation($i: DeleteEntityInput!) { deleteEntity(input: $i) { deletedId } }",
            json!({"id": a}),
        ),
        (
            "mutation($i: RelateInput!) { relate(input: $i) { created } }",
            json!({"typeId": ty, "fromId": a, "toId": b, "label": "y"}),
        ),
        (
            "mutation($i: RelateByKeyInput!) { relateByKey(input: $i) { created } }",
            json!({"type": {"source": "kanka", "alias": "relation"},
                "from": {"source": "kanka", "space": "1", "kind": "character", "externalId": "1"},
                "to": {"source": "kanka", "space": "1", "kind": "character", "externalId": "7"}, "label": "z"}),
        ),
        (
            "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
            json!({"id": r}),
        ),
        (
            "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
            json!({"id": r, "label": "changed"}),
        ),
        (
            "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }",
            json!({"source": "x", "alias": "y", "name": "Y"}),
        ),
        (
            "mutation($i: UpdateRelationTypeInput!) { updateRelationType(input: $i) { relationType { id } } }",
            json!({"id": ty, "name": "Z"}),
        ),
        (
            "mutation($i: DeleteRelationTypeInput!) { deleteRelationType(input: $i) { deletedId } }",
            json!({"id": ty}),
        ),
    ];
    for (q, input) in mutations {
        let res = reader.gql(q, json!({"i": input})).await;
        assert_eq!(code(&res["errors"][0]), "FORBIDDEN", "{q}: {res:#}");
    }
    // Reads work, and nothing changed.
    let state = reader
        .data(
            "{ entities { totalCount } relations { totalCount edges { node { label } } } relationTypes { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(state["entities"]["totalCount"], 2);
    assert_eq!(
        state["relations"]["edges"],
        json!([{"node": {"label": "x"}}])
    );
    assert_eq!(state["relationTypes"]["totalCount"], 8);
    let _ = admin;
}

async fn a_write_token_writes_relations_but_not_types_or_private_ones(app: TestApp) {
    let (ty, a, b, r) = seeded(&app).await;
    let writer = app.with_token(&app.create_token("write", "writer", &[]));
    writer
        .relate_ok(&ty, &b, &a, json!({"label": "back"}))
        .await;
    let res = writer
        .relate(json!({"typeId": ty, "fromId": a, "toId": b, "label": "secret", "isPrivate": true}))
        .await;
    assert_eq!(code(&res["errors"][0]), "FORBIDDEN");
    let res = writer
        .gql(
            "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
            json!({"i": {"id": r, "isPrivate": true}}),
        )
        .await;
    assert_eq!(code(&res["errors"][0]), "FORBIDDEN");
    let res = writer
        .gql(
            "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }",
            json!({"i": {"source": "x", "alias": "y", "name": "Y"}}),
        )
        .await;
    assert_eq!(code(&res["errors"][0]), "FORBIDDEN");
    assert_eq!(writer.relation_count().await, 2);
}

async fn private_relations_exist_only_for_admins(app: TestApp) {
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let public = app
        .relate_ok(&ty, &a, &b, json!({"label": "known", "twoWay": true}))
        .await;
    let secret = app
        .relate_ok(&ty, &a, &b, json!({"label": "secret", "isPrivate": true}))
        .await;
    // Make the public relation's mirror private.
    let mirror = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Relation { mirror { id } } } }",
            json!({"id": public}),
        )
        .await["node"]["mirror"]["id"]
        .clone();
    app.data(
        "mutation($i: UpdateRelationInput!) { updateRelation(input: $i) { relation { id } } }",
        json!({"i": {"id": mirror, "isPrivate": true}}),
    )
    .await;
    let admin = app.with_token(&app.create_token("admin", "admin", &[]));
    let writer = app.with_token(&app.create_token("write", "writer", &[]));
    let q = "query($a: ID!, $p: ID!) {
        relations { totalCount edges { node { label } } }
        node(id: $a) { ... on Entity {
            relations { totalCount edges { node { label } } }
            related { totalCount }
        } }
        public: nodes(ids: [$p]) { ... on Relation { mirror { id } } }
    }";
    let seen_by = |who: TestApp| {
        let (a, public) = (a.clone(), public.clone());
        async move { who.gql(q, json!({"a": a, "p": public})).await }
    };
    let all = seen_by(admin.clone()).await;
    assert_eq!(all["data"]["relations"]["totalCount"], 3);
    assert_eq!(all["data"]["node"]["relations"]["totalCount"], 3);
    assert_eq!(all["data"]["public"][0]["mirror"]["id"], mirror);
    let some = seen_by(writer.clone()).await;
    assert_eq!(some["data"]["relations"]["totalCount"], 1);
    assert_eq!(
        some["data"]["relations"]["edges"],
        json!([{"node": {"label": "known"}}])
    );
    assert_eq!(some["data"]["node"]["relations"]["totalCount"], 1);
    assert_eq!(some["data"]["node"]["related"]["totalCount"], 1);
    assert_eq!(some["data"]["public"][0]["mirror"], Value::Null);
    // A direct read is NOT_FOUND, exactly as for an id that does not exist;
    // so are writes to it.
    for id in [json!(secret), mirror.clone()] {
        let res = writer
            .gql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(res["data"]["node"], Value::Null);
        assert_eq!(code(&res["errors"][0]), "NOT_FOUND");
        let res = writer
            .gql(
                "mutation($i: UnrelateInput!) { unrelate(input: $i) { removedIds } }",
                json!({"i": {"id": id}}),
            )
            .await;
        assert_eq!(code(&res["errors"][0]), "NOT_FOUND");
    }
    let res = admin
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Relation { label isPrivate } } }",
            json!({"id": secret}),
        )
        .await;
    assert_eq!(
        res["data"]["node"],
        json!({"label": "secret", "isPrivate": true})
    );
}

async fn a_hidden_private_relation_fills_a_limit_without_being_named(app: TestApp) {
    let created = app
        .data(
            "mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }",
            json!({"i": {"source": "kanka", "alias": "spouse", "name": "Spouse",
                "limits": [{"kind": {"source": "kanka", "kind": "character"}, "max": 1}],
                "attributes": {"label": {"allowed": true}, "comment": {"allowed": false}, "privateAllowed": true}}}),
        )
        .await;
    let ty = created["createRelationType"]["relationType"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = app.entity("kanka", "1", "character", "1").await;
    let b = app.entity("kanka", "1", "character", "2").await;
    let c = app.entity("kanka", "1", "character", "3").await;
    app.relate_ok(&ty, &a, &b, json!({"isPrivate": true})).await;
    let writer = app.with_token(&app.create_token("write", "writer", &[]));
    let res = writer
        .relate(json!({"typeId": ty, "fromId": a, "toId": c}))
        .await;
    let err = &res["errors"][0];
    assert_eq!(err["extensions"]["rule"], "LIMIT_EXCEEDED");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("has 1 such relation"), "{message}");
    assert!(
        !message.contains("character 2"),
        "the holder is not named: {message}"
    );
    let v = writer
        .data(
            "query($i: RelateInput!) { validateRelation(input: $i) { violations { message } } }",
            json!({"i": {"typeId": ty, "fromId": c, "toId": a}}),
        )
        .await;
    assert!(!v.to_string().contains("character 2"), "{v}");
}
