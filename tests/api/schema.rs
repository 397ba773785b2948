//! The checked-in schema is the served schema, and it is documented.

use serde_json::{Value, json};

use crate::engine_tests;
use crate::helpers::TestApp;

#[test]
fn the_checked_in_schema_is_what_the_server_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let served = relgate::graphql::sdl();
    assert!(
        on_disk == served,
        "schema/schema.graphql is stale: regenerate it with\n\n    cargo run -- schema > schema/schema.graphql\n"
    );
}

const INTROSPECTION: &str = r#"{
  __schema {
    types {
      name kind description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}"#;

fn missing(description: &Value) -> bool {
    description.as_str().is_none_or(|d| d.trim().is_empty())
}

engine_tests!(every_type_field_argument_and_enum_value_is_described);

async fn every_type_field_argument_and_enum_value_is_described(app: TestApp) {
    let data = app.data(INTROSPECTION, json!({})).await;
    let mut undocumented = Vec::new();
    let builtin_scalars = ["String", "Int", "Float", "Boolean", "ID"];
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || builtin_scalars.contains(&name) {
            continue;
        }
        if missing(&ty["description"]) {
            undocumented.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let f = field["name"].as_str().unwrap_or_default();
            if missing(&field["description"]) {
                undocumented.push(format!("{name}.{f}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if missing(&arg["description"]) {
                    undocumented.push(format!("{name}.{f}({})", arg["name"]));
                }
            }
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            if missing(&field["description"]) {
                undocumented.push(format!("{name}.{}", field["name"]));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if missing(&value["description"]) {
                undocumented.push(format!("{name}.{}", value["name"]));
            }
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}

engine_tests!(introspection_serves_what_the_schema_file_says_of_dates);

async fn introspection_serves_what_the_schema_file_says_of_dates(app: TestApp) {
    let data = app
        .data(
            "{ __type(name: \"DateTime\") { description specifiedByURL } }",
            json!({}),
        )
        .await;
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .unwrap_or_default();
    let url = data["__type"]["specifiedByURL"]
        .as_str()
        .expect("a specifiedByURL");
    assert!(
        file.contains(&format!("scalar DateTime @specifiedBy(url: \"{url}\")")),
        "the file's DateTime is not specified by {url}"
    );
    let description = data["__type"]["description"].as_str().unwrap();
    assert!(description.contains("RFC 3339") && file.contains(description));
    // Dates are RFC 3339 in UTC, as the description promises.
    let data = app
        .data(
            "{ relationTypes(first: 1) { edges { node { createdAt } } } }",
            json!({}),
        )
        .await;
    let at = data["relationTypes"]["edges"][0]["node"]["createdAt"]
        .as_str()
        .unwrap();
    assert!(at.ends_with("+00:00"), "{at}");
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
}

#[test]
fn the_checked_in_openapi_description_is_what_the_server_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/openapi.json");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == relgate::dialects::openapi_json(),
        "schema/openapi.json is stale: regenerate it with\n\n    cargo run -- openapi > schema/openapi.json\n"
    );
}

engine_tests!(openapi_json_describes_every_dialect_route);

async fn openapi_json_describes_every_dialect_route(app: TestApp) {
    let doc: Value = app.get_json("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/copper/developer_api/v1/{entity}/{id}/related",
        "/copper/developer_api/v1/{entity}/{id}/related/{related}",
        "/umbraco/relation/{key}",
        "/umbraco/relation/",
        "/umbraco/relation/parent/{guid}",
        "/umbraco/relation/child/{guid}",
        "/umbraco/relation/type",
        "/umbraco/relation/type/{alias}",
        "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations",
        "/kanka/api/1.0/campaigns/{campaign}/entities/{entity}/relations/{relation}",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        assert!(
            schema.get("description").is_some()
                || schema.get("oneOf").is_some()
                || schema.get("properties").is_some(),
            "{name} is described"
        );
    }
}
