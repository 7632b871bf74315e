use crate::helpers::TestApp;

#[tokio::test]
async fn discovery_lists_what_works_and_points_at_this_issuer() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let d: serde_json::Value = res.json().await.unwrap();
    assert_eq!(d["issuer"], app.issuer);
    assert_eq!(d["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(d["jwks_uri"], app.url("/jwks"));
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    // Spelled exactly as before these became typed values.
    assert_eq!(
        d["response_modes_supported"],
        serde_json::json!(["query", "form_post"])
    );
    assert_eq!(
        d["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        d["subject_types_supported"],
        serde_json::json!(["public", "pairwise"])
    );
    let methods = serde_json::json!([
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none"
    ]);
    assert_eq!(d["token_endpoint_auth_methods_supported"], methods);
    assert_eq!(d["revocation_endpoint_auth_methods_supported"], methods);
    assert_eq!(
        d["introspection_endpoint_auth_methods_supported"],
        serde_json::json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["request_parameter_supported"], false);
    let algs = d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    for a in ["ES256", "RS256", "EdDSA"] {
        assert!(algs.iter().any(|v| v == a), "{a}");
    }
    let scopes = d["scopes_supported"].as_array().unwrap();
    for s in [
        "openid",
        "profile",
        "pid",
        "citizen_id",
        "given_name_en",
        "ial_level",
    ] {
        assert!(scopes.iter().any(|v| v == s), "{s}");
    }
    let acr = d["acr_values_supported"].as_array().unwrap();
    assert!(acr.iter().any(|v| v == "urn:pratu:acr:aal2"));
}

#[tokio::test]
async fn jwks_publishes_one_key_per_algorithm_and_honours_etags() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let jwks: serde_json::Value = res.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for k in keys {
        assert!(k.get("d").is_none(), "no private members");
        assert_eq!(k["use"], "sig");
    }
    let again = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn browser_apps_may_fetch_the_api_endpoints_cross_origin_but_not_the_pages() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/jwks"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let pre = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/token"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert!(
        pre.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    let page = app.http.get(app.url("/authorize")).send().await.unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none());
}
