//! `/metrics`: what operators see, counted from real requests.

use serde_json::json;

use crate::engine_tests;
use crate::helpers::{TestApp, metric_value as value};

engine_tests!(metrics_count_requests_sql_violations_and_events,);

async fn metrics_count_requests_sql_violations_and_events(app: TestApp) {
    let ty = app.type_id("copper", "related").await;
    let person = app.entity("copper", "default", "person", "1").await;
    let one = app.entity("copper", "default", "company", "100").await;
    let two = app.entity("copper", "default", "company", "101").await;
    app.relate_ok(&ty, &person, &one, json!({})).await;
    let refused = app
        .relate(json!({"typeId": ty, "fromId": person, "toId": two}))
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "LIMIT_EXCEEDED");
    for _ in 0..3 {
        app.data("query Counting { relations { totalCount } }", json!({}))
            .await;
    }
    let res = app
        .client
        .get(app.url("/kanka/api/1.0/campaigns/1/entities/404/relations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let text = app.metrics().await;
    let counting = r#"relgate_requests_seconds_count{api="graphql",operation="Counting",kind="query",code="OK"}"#;
    assert_eq!(value(&text, counting), 3.0);
    let bucket = r#"relgate_requests_seconds_bucket{api="graphql",operation="Counting",kind="query",code="OK",le="+Inf"}"#;
    assert_eq!(value(&text, bucket), 3.0);
    let violated = r#"relgate_requests_seconds_count{api="graphql",operation="anonymous",kind="mutation",code="CONSTRAINT_VIOLATION"}"#;
    assert_eq!(value(&text, violated), 1.0);
    let kanka = r#"relgate_requests_seconds_count{api="kanka",operation="/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations",kind="GET",code="404"}"#;
    assert_eq!(value(&text, kanka), 1.0);
    assert_eq!(
        value(
            &text,
            r#"relgate_rule_violations_total{rule="LIMIT_EXCEEDED"}"#
        ),
        1.0
    );
    // Three upserted entities and one relation, each journaled.
    assert!(value(&text, "relgate_events_journaled_total") >= 4.0);
    assert!(
        value(&text, "relgate_sql_seconds_count")
            >= value(&text, "relgate_sql_statements_total") - 1.0
    );
    assert_eq!(value(&text, "relgate_db_up"), 1.0);
    assert_eq!(value(&text, "relgate_requests_refused_total"), 0.0);
    assert_eq!(value(&text, "relgate_subscriptions"), 0.0);
}
