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

/// Once tokens exist, `/metrics` on the main listener needs one (any role);
/// `--metrics-bind` serves it alone, without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_a_token_once_tokens_exist_but_not_on_the_metrics_listener() {
    crate::helpers::run(crate::helpers::Engine::Sqlite, |app| async move {
        let get = |url: String, token: Option<String>| {
            let client = app.client.clone();
            async move {
                let mut req = client.get(url);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let res = req.send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        assert_eq!(get(app.url("/metrics"), None).await.0, 200, "open mode");
        let read = app.create_token("read", "scraper", &[]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = crate::process::Process::start(
            &app.database_url,
            &["--metrics-bind", &format!("127.0.0.1:{port}")],
        );
        let main = format!("http://{}/metrics", process.addr);
        let (status, _) = get(main.clone(), None).await;
        assert_eq!(status, 401, "no token");
        let (status, _) = get(main.clone(), Some("rg_wrong.token".to_owned())).await;
        assert_eq!(status, 401, "a bad token");
        let (status, text) = get(main, Some(read)).await;
        assert_eq!(status, 200);
        assert!(text.contains("relgate_sql_statements_total"));
        let (status, text) = get(format!("http://127.0.0.1:{port}/metrics"), None).await;
        assert_eq!(status, 200, "the metrics listener needs no token");
        assert!(text.contains("relgate_requests_seconds"));
        let (status, _) = get(format!("http://127.0.0.1:{port}/graphql"), None).await;
        assert_eq!(status, 404, "the metrics listener serves /metrics alone");
        drop(process);
    })
    .await;
}
