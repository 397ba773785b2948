//! The GraphiQL playground at `/playground` and the graph explorer at
//! `/explorer`, both built from `playground/` with every asset embedded in
//! the binary (they work with no internet; the explorer's assets are under
//! `/playground/assets/` too), and the example operations of
//! `schema/operations/` at `/playground/operations.json`.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;

/// The built pages (`playground/dist`, rebuilt by `npm run build`):
/// `index.html` (GraphiQL), `explorer.html` and their `assets/`.
#[derive(RustEmbed)]
#[folder = "playground/dist/"]
struct Assets;

/// The example operations, `Name.graphql` with optional variables in
/// `Name.variables.json`.
#[derive(RustEmbed)]
#[folder = "schema/operations/"]
struct Operations;

/// The first tab: a query that works on an empty store.
const WELCOME: &str = "# Welcome to relgate: one GraphQL schema over Copper, Umbraco and Kanka
# relations. The tabs above are example operations (schema/operations/);
# run them in order on a fresh store: each creates what the next one reads.
# Press the play button (or Ctrl-Enter) to run this query.
query Welcome {
  relationTypes(first: 20) {
    totalCount
    edges {
      node {
        source
        alias
        name
        bidirectional
        updatable
      }
    }
  }
}
";

/// The playground's page data, without the per-server headers.
static OPERATIONS_JSON: LazyLock<String> = LazyLock::new(|| {
    let mut names: Vec<String> = Operations::iter()
        .filter(|f| f.ends_with(".graphql"))
        .map(|f| f.into_owned())
        .collect();
    names.sort();
    let text = |f: &str| {
        Operations::get(f)
            .map(|e| String::from_utf8_lossy(&e.data).into_owned())
            .unwrap_or_default()
    };
    let operations: Vec<serde_json::Value> = names
        .iter()
        .map(|file| {
            let stem = file.trim_end_matches(".graphql");
            // Files are numbered to set the tab order: `01-Name.graphql`.
            let name = stem.split_once('-').map_or(stem, |(_, n)| n);
            serde_json::json!({
                "name": name,
                "query": text(file),
                "variables": text(&format!("{stem}.variables.json")),
            })
        })
        .collect();
    serde_json::json!({ "defaultQuery": WELCOME, "operations": operations }).to_string()
});

/// The example operations, as the playground and the tests read them:
/// `(name, query, variables JSON or "")`, in tab order.
pub fn operations() -> Vec<(String, String, String)> {
    let parsed: serde_json::Value =
        serde_json::from_str(&OPERATIONS_JSON).unwrap_or(serde_json::Value::Null);
    parsed["operations"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .map(|op| {
                    let s = |k: &str| op[k].as_str().unwrap_or_default().to_owned();
                    (s("name"), s("query"), s("variables"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The playground's and the explorer's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/playground", get(index))
        .route("/playground/", get(index))
        .route("/explorer", get(explorer))
        .route("/explorer/", get(explorer))
        .route("/playground/operations.json", get(operations_json))
        .route("/playground/{*path}", get(asset))
}

async fn index() -> Response {
    asset(Path("index.html".to_owned())).await
}

/// The graph explorer: a page of its own that reads `/graphql` with the
/// caller's token, its scripts under `/playground/assets/`.
async fn explorer() -> Response {
    asset(Path("explorer.html".to_owned())).await
}

/// The example operations and the headers tabs start with: an
/// `Authorization` header to fill in once the server requires tokens.
async fn operations_json(State(state): State<AppState>) -> Response {
    let open = state.auth.open_mode().await.unwrap_or(false);
    let headers = if open {
        "{}".to_owned()
    } else {
        "{\n  \"Authorization\": \"Bearer <paste an API token: relgate token create>\"\n}"
            .to_owned()
    };
    let mut body: serde_json::Value =
        serde_json::from_str(&OPERATIONS_JSON).unwrap_or(serde_json::Value::Null);
    body["headers"] = serde_json::Value::String(headers);
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            // Hashed asset names never change content: cache them for long.
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
                    (header::CACHE_CONTROL, cache.to_owned()),
                ],
                file.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
