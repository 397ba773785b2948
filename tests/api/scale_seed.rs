//! `relgate demo seed --entities N --relations M` writes data that obeys
//! every built-in rule, on both engines, and the store stays writable.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(seeding_at_scale_obeys_every_rule);

fn seed(app: &TestApp) -> String {
    app.demo_seed(300, 3000)
}

/// Rows of `sql` as tuples of strings.
async fn rows(db: &sea_orm::DatabaseConnection, sql: &str, cols: usize) -> Vec<Vec<String>> {
    let result = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    result
        .iter()
        .map(|r| {
            (0..cols)
                .map(|i| {
                    r.try_get_by_index::<String>(i)
                        .or_else(|_| r.try_get_by_index::<i64>(i).map(|n| n.to_string()))
                        .or_else(|_| {
                            r.try_get_by_index::<Option<i64>>(i)
                                .map(|n| format!("{n:?}"))
                        })
                        .or_else(|_| {
                            r.try_get_by_index::<Option<String>>(i)
                                .map(|s| s.unwrap_or_default())
                        })
                        .unwrap()
                })
                .collect()
        })
        .collect()
}

async fn seeding_at_scale_obeys_every_rule(app: TestApp) {
    let out = seed(&app);
    assert!(
        out.contains("300 entities and 3000 relations added"),
        "{out}"
    );
    let db = Database::connect(&app.database_url).await.unwrap();
    let by_type = "FROM relations r JOIN relation_types t ON t.id = r.type_id \
                   JOIN entities f ON f.id = r.from_id JOIN entities o ON o.id = r.to_id";

    // Copper: only allowed pairs, each once, within the limits.
    let pairs: HashSet<(String, String)> = relgate::sources::copper::PAIRS
        .iter()
        .flat_map(|(a, b)| {
            [
                (a.to_string(), b.to_string()),
                (b.to_string(), a.to_string()),
            ]
        })
        .collect();
    let copper = rows(
        &db,
        &format!("SELECT f.kind, o.kind, r.from_id, r.to_id {by_type} WHERE t.source = 'copper'"),
        4,
    )
    .await;
    assert!(copper.len() > 50, "copper relations: {}", copper.len());
    let mut seen = HashSet::new();
    for r in &copper {
        assert!(pairs.contains(&(r[0].clone(), r[1].clone())), "pair {r:?}");
        let key = if r[2] < r[3] {
            (r[2].clone(), r[3].clone())
        } else {
            (r[3].clone(), r[2].clone())
        };
        assert!(seen.insert(key), "pair twice: {r:?}");
    }
    let company_count = |kind: &str, other: &str| {
        format!(
            "SELECT e.id, COUNT(*) FROM entities e JOIN relations r ON r.from_id = e.id OR r.to_id = e.id \
             JOIN entities x ON x.id = CASE WHEN r.from_id = e.id THEN r.to_id ELSE r.from_id END \
             JOIN relation_types t ON t.id = r.type_id \
             WHERE t.source = 'copper' AND e.kind = '{kind}' AND x.kind LIKE '{other}' GROUP BY e.id HAVING COUNT(*) > 1"
        )
    };
    assert!(
        rows(&db, &company_count("person", "company"), 2)
            .await
            .is_empty(),
        "a person with two companies"
    );
    assert!(
        rows(&db, &company_count("task", "%"), 2).await.is_empty(),
        "a task with two records"
    );

    // Umbraco: one relation per (parent, child), documents only.
    let umbraco = rows(&db, &format!("SELECT r.from_id, r.to_id, f.kind, o.kind, r.type_id {by_type} WHERE t.source = 'umbraco'"), 5).await;
    assert!(!umbraco.is_empty());
    let unique: HashSet<_> = umbraco
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[4].clone()))
        .collect();
    assert_eq!(unique.len(), umbraco.len(), "an Umbraco pair twice");
    assert!(
        umbraco
            .iter()
            .all(|r| r[2] == "document" && r[3] == "document")
    );

    // Kanka: labelled, within one campaign, never to itself.
    let kanka = rows(&db, &format!("SELECT r.label, f.space, o.space, r.from_id, r.to_id, r.is_private {by_type} WHERE t.source = 'kanka'"), 3).await;
    assert!(kanka.len() > 1000);
    for r in &kanka {
        assert!(
            !r[0].trim().is_empty() && r[0].chars().count() <= 255,
            "label {r:?}"
        );
        assert_eq!(r[1], r[2], "one campaign");
    }
    let selfish = rows(&db, "SELECT id FROM relations WHERE from_id = to_id", 1).await;
    assert!(selfish.is_empty(), "self relations: {selfish:?}");
    let private = rows(
        &db,
        "SELECT COUNT(*) FROM relations WHERE is_private = TRUE",
        1,
    )
    .await;
    assert!(
        private[0][0].parse::<i64>().unwrap() > 0,
        "some private relations"
    );

    // Mirrors point at each other, with the ends swapped.
    let broken = rows(
        &db,
        "SELECT r.id FROM relations r JOIN relations m ON m.id = r.mirror_id \
         WHERE m.mirror_id IS NULL OR m.mirror_id <> r.id OR m.from_id <> r.to_id OR m.to_id <> r.from_id",
        1,
    )
    .await;
    assert!(broken.is_empty(), "asymmetric mirrors: {broken:?}");
    let mirrored = rows(
        &db,
        "SELECT COUNT(*) FROM relations WHERE mirror_id IS NOT NULL",
        1,
    )
    .await;
    assert!(mirrored[0][0].parse::<i64>().unwrap() > 100);
    db.close().await.unwrap();

    // Seeding again adds more without clashing, and ordinary writes still
    // get fresh ids afterwards.
    assert!(seed(&app).contains("3000 relations added"));
    let data = app
        .data(
            "{ entities { totalCount } relations { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["entities"]["totalCount"], 600);
    assert_eq!(data["relations"]["totalCount"], 6000);
    let ty = app.type_id("kanka", "relation").await;
    let a = app.entity("kanka", "9", "character", "1").await;
    let b = app.entity("kanka", "9", "character", "2").await;
    app.relate_ok(
        &ty,
        &a,
        &b,
        json!({"label": "after the seed", "twoWay": true}),
    )
    .await;
    assert_eq!(app.relation_count().await, 6002);
}
