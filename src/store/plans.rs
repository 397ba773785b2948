//! The benchmark's new statements (Q4, a filtered and ordered page of a
//! busy entity, and Q5, a 3-hop neighbourhood) use the relations' indexes
//! on PostgreSQL: a test that reads their `EXPLAIN` over seeded, analyzed
//! data, with the statements built by the functions relgate runs them with.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::domain::{
    Direction, EdgeColumns, EdgeFilter, OrderField, OrderTerm, PageWindow, RelationConditions,
    Visibility, WalkFilter,
};

/// `EXPLAIN` of `stmt` (with its values) on `db`, as text.
async fn explain<C: ConnectionTrait>(db: &C, stmt: Statement) -> String {
    let explained = Statement {
        sql: format!("EXPLAIN {}", stmt.sql),
        ..stmt
    };
    db.query_all_raw(explained)
        .await
        .expect("EXPLAIN runs")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("a plan line"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmarks_new_statements_use_the_indexes_on_postgresql() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let name = format!("relgate_plans_{}", std::process::id());
    let admin = sea_orm::Database::connect(&url).await.expect("connect");
    let ddl = |sql: String| Statement::from_string(DatabaseBackend::Postgres, sql);
    // Databases an earlier, failed run left behind go first.
    let left = admin
        .query_all_raw(ddl(
            "SELECT datname FROM pg_database WHERE datname LIKE 'relgate\\_plans\\_%'".to_owned(),
        ))
        .await
        .expect("list databases");
    for row in left {
        let old: String = row.try_get_by_index(0).expect("a name");
        let _ = admin
            .execute_raw(ddl(format!("DROP DATABASE IF EXISTS {old}")))
            .await;
    }
    admin
        .execute_raw(ddl(format!("CREATE DATABASE {name}")))
        .await
        .expect("create");
    let db_url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("a database URL with a database name: {url}"),
    };
    let service = crate::open_service(&crate::config::DatabaseArgs {
        database_url: db_url,
        db_pool_size: 4,
        ..Default::default()
    })
    .await
    .expect("open");
    crate::demo::seed_at_scale(
        &service,
        crate::demo::Scale {
            entities: 5_000,
            relations: 50_000,
        },
        |_, _| {},
    )
    .await
    .expect("seed");
    let db = service.store().db();
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    let busiest: i64 = db
        .query_one_raw(ddl(
            "SELECT from_id FROM relations GROUP BY from_id ORDER BY count(*) DESC, from_id LIMIT 1"
                .to_owned(),
        ))
        .await
        .expect("busiest")
        .expect("a row")
        .try_get_by_index(0)
        .expect("an id");
    let all = Visibility {
        include_private: true,
    };
    // Q4.
    let filter = EdgeFilter {
        type_alias: None,
        direction: Direction::Outgoing,
        other_kind: None,
        visibility: all,
        conditions: RelationConditions {
            pinned: Some(false),
            ..RelationConditions::default()
        },
        order: vec![OrderTerm {
            field: OrderField::Attitude,
            descending: true,
        }],
    };
    let q4 = super::pages::relation_pages_statement(
        db,
        &[busiest],
        &filter,
        &PageWindow::first(20),
        true,
        EdgeColumns::ALL,
    );
    let plan = explain(db, q4.statement()).await;
    assert!(!plan.contains("Seq Scan on relations"), "Q4:\n{plan}");
    assert!(
        plan.contains("ix_relations_from_pinned_attitude"),
        "Q4:\n{plan}"
    );
    assert!(plan.contains("ix_relations_to"), "Q4:\n{plan}");
    // Q5.
    let walk = WalkFilter {
        types: Vec::new(),
        kinds: Vec::new(),
        direction: Direction::Both,
        visibility: all,
        depth: 3,
        max_rows: 100_000,
    };
    let q5 =
        super::traversal::neighbourhood_statement(db, &[busiest], &walk, &PageWindow::first(20));
    let plan = explain(db, q5.statement()).await;
    assert!(!plan.contains("Seq Scan on relations"), "Q5:\n{plan}");
    assert!(plan.contains("ix_relations_from"), "Q5:\n{plan}");
    assert!(plan.contains("ix_relations_to"), "Q5:\n{plan}");
    service.store().clone().close().await.expect("close");
    admin
        .execute_raw(ddl(format!("DROP DATABASE IF EXISTS {name}")))
        .await
        .expect("drop");
}
