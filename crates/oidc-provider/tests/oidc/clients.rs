//! The client registry as the CLI uses it, and what a change does to the
//! protocol endpoints.

use pratu_oidc::clients::{ClientError, ClientService, NewClient, parse_value, parse_values};
use pratu_storage::records::{GrantType, SubjectType, TokenEndpointAuthMethod};

use crate::helpers::{RP, TestApp};

fn new(name: &str) -> NewClient {
    NewClient {
        client_name: name.into(),
        redirect_uris: vec![RP.into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn create_shows_the_secret_once_with_rfc_7591_metadata() {
    let app = TestApp::spawn().await;
    let created = app.client(new("Agency")).await;
    let json = serde_json::to_value(&created).unwrap();
    assert!(json["client_secret"].as_str().unwrap().len() >= 43);
    assert_eq!(json["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        json["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(json["response_types"], serde_json::json!(["code"]));
    assert_eq!(json["scope"], "openid profile phone ial");
    assert_eq!(json["subject_type"], "public");
    assert_eq!(json["id_token_signed_response_alg"], "ES256");
    assert_eq!(json["client_secret_expires_at"], 0);
    assert!(
        !format!("{created:?}").contains(created.client_secret.as_ref().unwrap().expose_secret())
    );

    let shown =
        serde_json::to_value(app.state.clients().show(&created.client_id).await.unwrap()).unwrap();
    assert!(shown.get("client_secret").is_none(), "never shown again");
    let listed = app.state.clients().list(100, 0).await.unwrap();
    assert_eq!(listed.len(), 1);

    let public = app
        .client(NewClient {
            public: true,
            ..new("Mobile")
        })
        .await;
    assert!(public.client_secret.is_none());
    assert_eq!(public.token_endpoint_auth_method.as_str(), "none");
    let chosen = app
        .client(NewClient {
            client_id: Some("info-backoffice".into()),
            ..new("INFO")
        })
        .await;
    assert_eq!(chosen.client_id, "info-backoffice");
    assert!(matches!(
        app.state
            .clients()
            .create(NewClient {
                client_id: Some("info-backoffice".into()),
                ..new("INFO")
            })
            .await,
        Err(ClientError::AlreadyExists)
    ));
}

#[tokio::test]
async fn bad_metadata_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases: Vec<(NewClient, &str)> = vec![
        (
            NewClient {
                client_name: " ".into(),
                ..new("x")
            },
            "client_name",
        ),
        (
            NewClient {
                redirect_uris: vec!["http://rp.example/cb".into()],
                ..new("x")
            },
            "redirect_uris",
        ),
        (
            NewClient {
                redirect_uris: vec!["https://rp.example/cb#x".into()],
                ..new("x")
            },
            "redirect_uris",
        ),
        (
            NewClient {
                redirect_uris: vec![],
                ..new("x")
            },
            "redirect_uris",
        ),
        (
            NewClient {
                redirect_uris: vec!["th.go.app:/cb".into()],
                ..new("x")
            },
            "redirect_uris",
        ),
        (
            NewClient {
                grant_types: vec![GrantType::RefreshToken],
                ..new("x")
            },
            "grant_types",
        ),
        (
            NewClient {
                public: true,
                grant_types: vec![GrantType::ClientCredentials],
                ..new("x")
            },
            "grant_types",
        ),
        (
            NewClient {
                scopes: vec!["email".into()],
                ..new("x")
            },
            "scope",
        ),
        (
            NewClient {
                id_token_signed_response_alg: Some("HS256".into()),
                ..new("x")
            },
            "id_token_signed_response_alg",
        ),
        (
            NewClient {
                backchannel_logout_uri: Some("http://rp.example/bc".into()),
                ..new("x")
            },
            "backchannel_logout_uri",
        ),
        (
            NewClient {
                subject_type: Some(SubjectType::Pairwise),
                redirect_uris: vec!["https://a.example/cb".into(), "https://b.example/cb".into()],
                ..new("x")
            },
            "sector_identifier_uri",
        ),
        (
            NewClient {
                token_endpoint_auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
                ..new("x")
            },
            "jwks",
        ),
    ];
    for (meta, field) in cases {
        match app.state.clients().create(meta.clone()).await {
            Err(ClientError::Invalid { field: f, .. }) => assert_eq!(f, field, "{meta:?}"),
            other => panic!("{meta:?}: {other:?}"),
        }
    }
    // A value Pratu does not support cannot be a `NewClient`'s: it is
    // refused where text becomes metadata, naming the field the same way.
    let password = parse_values::<GrantType>("grant_types", &["password".to_owned()]);
    assert!(
        matches!(&password, Err(ClientError::Invalid { field: "grant_types", reason }) if reason.contains("\"password\"")),
        "{password:?}"
    );
    let jwt =
        parse_value::<TokenEndpointAuthMethod>("token_endpoint_auth_method", "client_secret_jwt");
    assert!(
        matches!(
            jwt,
            Err(ClientError::Invalid {
                field: "token_endpoint_auth_method",
                ..
            })
        ),
        "{jwt:?}"
    );
    assert!(parse_value::<SubjectType>("subject_type", "secret").is_err());
    // A native app may use its private-use scheme.
    app.client(NewClient {
        public: true,
        redirect_uris: vec!["th.go.app:/cb".into()],
        ..new("Native")
    })
    .await;
}

#[tokio::test]
async fn a_disabled_or_deleted_client_stops_working_and_other_nodes_see_it_within_the_cache_ttl() {
    let app = TestApp::spawn().await;
    let client = app.confidential("Agency").await;
    app.user("somchai").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let at = tokens["access_token"].as_str().unwrap();

    // Another node (or the CLI) with its own cache disables the client.
    let other_node = ClientService::new(
        app.store.clone(),
        std::sync::Arc::new(app.clock.clone()),
        5,
        "ES256",
    );
    other_node
        .set_enabled(&client.client_id, false)
        .await
        .unwrap();
    assert_eq!(
        app.userinfo(at).await.0,
        200,
        "this node's cache still holds the client"
    );
    app.advance(6);
    assert_eq!(app.userinfo(at).await.0, 401);
    let page = b
        .get(&app.authorize_url(&[("client_id", &client.client_id), ("redirect_uri", RP)]))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());

    app.state
        .clients()
        .set_enabled(&client.client_id, true)
        .await
        .unwrap();
    assert_eq!(
        app.userinfo(at).await.0,
        200,
        "a change on this node applies at once"
    );
    app.state.clients().delete(&client.client_id).await.unwrap();
    assert_eq!(app.userinfo(at).await.0, 401);
    assert!(matches!(
        app.state.clients().show(&client.client_id).await,
        Err(ClientError::NotFound)
    ));
}

#[tokio::test]
async fn an_idle_session_ends_and_prompt_none_then_needs_a_login() {
    let app = TestApp::spawn_with(|c| c.session.idle_timeout_seconds = 300).await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    app.sign_in_for_code(&mut b, &client, &[]).await;
    let none = |b: &mut crate::helpers::Browser| {
        let url = app.authorize_url(&[
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", RP),
            ("scope", "openid"),
            ("prompt", "none"),
        ]);
        let mut b2 = std::mem::replace(b, app.browser());
        async move {
            let page = b2.get(&url).await;
            (b2, page)
        }
    };
    app.advance(200);
    let (b2, page) = none(&mut b).await;
    b = b2;
    assert!(
        page.redirect_param("code").is_some(),
        "used within the idle timeout: still alive"
    );
    app.advance(200);
    let (b2, page) = none(&mut b).await;
    b = b2;
    assert!(
        page.redirect_param("code").is_some(),
        "each use restarts the idle timer"
    );
    app.advance(301);
    let (_b, page) = none(&mut b).await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required")
    );
}
