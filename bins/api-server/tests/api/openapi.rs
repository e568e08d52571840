//! The OpenAPI document, snapshotted so every API change shows up in review.

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
    assert_eq!(operations, 13);
}
