//! The graph explorer page at `/explorer`: served from the binary, with every
//! asset it references embedded too, and none of the playground's.

use reqwest::StatusCode;

use crate::engine_tests;
use crate::helpers::TestApp;

engine_tests!(the_explorer_is_served_with_every_asset_embedded);

async fn the_explorer_is_served_with_every_asset_embedded(app: TestApp) {
    for path in ["/explorer", "/explorer/"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let html = res.text().await.unwrap();
        assert!(html.contains("<title>relgate explorer</title>"), "{path}");
        assert!(!html.contains("https://") && !html.contains("http://"));
        // Every script and stylesheet the page loads is served by relgate
        // itself, from the playground's asset folder.
        let refs: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/playground/assets/"))
            .collect();
        assert!(
            refs.iter()
                .any(|r| r.contains("/explorer-") && r.ends_with(".js")),
            "the page loads its bundle: {refs:?}"
        );
        assert!(
            refs.iter().any(|r| r.ends_with(".css")),
            "and its stylesheet: {refs:?}"
        );
        // Only its own bundle: GraphiQL and Monaco are the playground's.
        assert!(
            !refs
                .iter()
                .any(|r| r.contains("/index-") || r.contains("monaco")),
            "{refs:?}"
        );
        for asset in refs {
            let res = app.client.get(app.url(asset)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{asset}");
            let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
            let expected: &[&str] = if asset.ends_with(".js") {
                &["text/javascript", "application/javascript"]
            } else {
                &["text/css"]
            };
            assert!(
                expected.iter().any(|e| content_type.starts_with(e)),
                "{asset}: {content_type}"
            );
            let body = res.bytes().await.unwrap();
            assert!(!body.is_empty(), "{asset}");
        }
    }
    // The playground is still its own page.
    let playground = app
        .client
        .get(app.url("/playground"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(playground.contains("relgate playground"));
    assert!(!playground.contains("/explorer-"));
}
