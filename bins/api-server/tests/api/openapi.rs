//! The OpenAPI document, snapshotted so every API change shows up in review.

use serde_json::Value;

#[test]
fn openapi_document_snapshot() {
    let document = serde_json::to_value(api_server::openapi()).expect("serialisable");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("openapi", document);
    });
}

#[test]
fn every_admin_operation_requires_the_bearer_token() {
    let document = serde_json::to_value(api_server::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if path.starts_with("/admin") {
                operations += 1;
                assert_eq!(
                    operation["security"],
                    serde_json::json!([{"bearer": []}]),
                    "{method} {path}"
                );
                assert!(operation["responses"]["401"].is_object(), "{method} {path}");
            }
        }
    }
    assert_eq!(operations, 33);
}

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone(), operation));
        }
    }
    operations
}

fn parameter<'a>(operation: &'a Value, name: &str) -> &'a Value {
    operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

#[test]
fn path_parameters_state_the_rules_the_handlers_apply() {
    let document = serde_json::to_value(api_server::openapi()).unwrap();
    let election_id = format!("^[A-Za-z0-9_-]{{1,{}}}$", sync_engine::MAX_ELECTION_ID_LEN);
    let mut election_routes = 0;
    for (method, path, operation) in operations(&document) {
        if path.starts_with("/admin/elections/{id}") {
            election_routes += 1;
            let schema = &parameter(operation, "id")["schema"];
            assert_eq!(schema["pattern"], election_id.as_str(), "{method} {path}");
        }
    }
    assert_eq!(election_routes, 12);
    let mut link_routes = 0;
    for (method, path, operation) in operations(&document) {
        if path.contains("{link_id}") {
            link_routes += 1;
            let schema = &parameter(operation, "link_id")["schema"];
            assert_eq!(schema["pattern"], "^lnk_[0-9a-f]{32}$", "{method} {path}");
        }
    }
    assert_eq!(link_routes, 3);
    let run = &document["paths"]["/admin/sync/runs/{id}"]["get"];
    assert_eq!(parameter(run, "id")["schema"]["format"], "uuid");
    let instant = &document["components"]["schemas"]["Instant"]["oneOf"];
    assert_eq!(instant[0]["format"], "date-time");
    assert_eq!(instant[1]["type"], "integer");
    assert_eq!(
        instant[1]["minimum"],
        api_server::Instant::EARLIEST.as_second()
    );
}

#[test]
fn every_operation_documents_the_errors_it_can_return() {
    let document = serde_json::to_value(api_server::openapi()).unwrap();
    let refs = |operation: &Value, status: &str| operation["responses"][status]["$ref"].clone();
    for (method, path, operation) in operations(&document) {
        let admin = path.starts_with("/admin");
        assert_eq!(
            admin,
            operation.get("security").is_some(),
            "{method} {path}"
        );
        if admin {
            assert_eq!(
                refs(operation, "401"),
                "#/components/responses/Unauthorized",
                "{method} {path}"
            );
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{method} {path} {status}"
                );
            }
        }
        // A database's managed state is read from the store alone.
        let store_only = method == "GET" && path == "/admin/notion/databases/{databaseId}";
        let calls_notion = (path.starts_with("/admin/notion/databases/") && !store_only)
            || path.starts_with("/admin/notion/pages/")
            || (method == "POST"
                && path.starts_with("/admin/elections/{id}/notion/")
                && !path.ends_with("/primary"));
        if calls_notion {
            assert_eq!(
                refs(operation, "502"),
                "#/components/responses/NotionFailed"
            );
            assert_eq!(
                refs(operation, "503"),
                "#/components/responses/NotionUnavailable",
                "{method} {path}"
            );
        }
    }
    let unavailable = &document["components"]["responses"]["NotionUnavailable"];
    assert_eq!(
        unavailable["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );
    let created = &document["paths"]["/admin/elections"]["post"]["responses"]["201"]["links"];
    let ids: Vec<_> = operations(&document)
        .iter()
        .map(|(_, _, operation)| operation["operationId"].clone())
        .collect();
    for (name, link) in created.as_object().unwrap() {
        assert!(ids.contains(&link["operationId"]), "{name}");
        assert_eq!(link["parameters"]["id"], "$response.body#/election/id");
    }
}
