//! The authorization code flow end to end, with the `openidconnect` crate
//! as the relying party.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use pratu_oidc::clients::NewClient;
use pratu_storage::records::{GrantType, SubjectType};

use crate::helpers::{RP, TestApp};

#[tokio::test]
async fn a_relying_party_signs_a_user_in_with_code_and_pkce_and_verifies_everything() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    for alg in ["ES256", "RS256", "EdDSA"] {
        let view = app
            .client(NewClient {
                client_name: format!("Agency {alg}"),
                redirect_uris: vec![RP.into()],
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                id_token_signed_response_alg: Some(alg.into()),
                first_party: true,
                ..Default::default()
            })
            .await;
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let meta = CoreProviderMetadata::discover_async(
            IssuerUrl::new(app.issuer.clone()).unwrap(),
            &http,
        )
        .await
        .unwrap();
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(view.client_id.clone()),
            Some(ClientSecret::new(
                view.client_secret
                    .as_ref()
                    .unwrap()
                    .expose_secret()
                    .to_owned(),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(RP.into()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("phone".into()))
            .set_pkce_challenge(challenge)
            .url();

        let mut browser = app.browser();
        let page = browser.get(url.as_str()).await;
        let page = if page.status == 200 && page.body.contains("current-password") {
            let after = browser
                .login(&page, "somchai", crate::helpers::PASSWORD)
                .await;
            browser.after_sign_in(after).await
        } else {
            page
        };
        assert_eq!(page.status, 303);
        assert_eq!(
            page.redirect_param("state").as_deref(),
            Some(csrf.secret().as_str())
        );
        assert_eq!(
            page.redirect_param("iss").as_deref(),
            Some(app.issuer.as_str())
        );
        let code = page.redirect_param("code").unwrap();

        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap();
        let id_token = token.id_token().unwrap();
        let alg_enum = match alg {
            "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            _ => CoreJwsSigningAlgorithm::EdDsa,
        };
        let id_verifier = client.id_token_verifier().set_allowed_algs(vec![alg_enum]);
        let claims = id_token.claims(&id_verifier, &nonce).unwrap();
        let expected_hash = AccessTokenHash::from_token(
            token.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&id_verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected_hash));
        assert!(claims.auth_time().is_some());
        assert_eq!(
            claims.auth_context_ref().map(|a| a.as_str()),
            Some("urn:pratu:acr:aal1")
        );

        let info: CoreUserInfoClaims = client
            .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            .unwrap()
            .request_async(&http)
            .await
            .unwrap();
        assert_eq!(info.subject(), claims.subject());
        assert_eq!(
            info.phone_number().map(|p| p.as_str()),
            Some("+66812345678")
        );
        assert!(token.refresh_token().is_some());
    }
}

#[tokio::test]
async fn tokens_carry_the_rfc_9068_and_oidc_claims() {
    let app = TestApp::spawn().await;
    let user = app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut browser = app.browser();
    let code = app.sign_in_for_code(&mut browser, &client, &[]).await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile phone");
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(TestApp::header(at)["typ"], "at+jwt");
    assert_eq!(TestApp::header(at)["alg"], "ES256");
    let atc = TestApp::claims(at);
    for c in [
        "iss",
        "sub",
        "aud",
        "client_id",
        "exp",
        "iat",
        "jti",
        "scope",
        "auth_time",
        "acr",
    ] {
        assert!(atc.get(c).is_some(), "access token lacks {c}");
    }
    let idc = TestApp::claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(idc["sub"], user.id.to_string());
    assert_eq!(idc["aud"], client.client_id);
    assert_eq!(idc["azp"], client.client_id);
    assert_eq!(idc["nonce"], "n-1");
    assert_eq!(idc["amr"], serde_json::json!(["pwd"]));
    assert!(idc["sid"].is_string() && idc["at_hash"].is_string());
    // Scope claims go to userinfo, not the ID token.
    assert!(idc.get("given_name").is_none());

    let (status, info) = app.userinfo(at).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], user.id.to_string());
    assert_eq!(info["given_name"], "สมชาย");
    assert_eq!(info["name"], "สมชาย กลาง ใจดี");
    assert_eq!(info["name_en"], "Somchai Klang Jaidee");
    assert_eq!(info["title"], "นาย");
    assert_eq!(info["title_en"], "Mr.");
    assert_eq!(
        info["birthdate"], "1990",
        "a month without a day is reduced to the year"
    );
    assert_eq!(info["preferred_username"], "somchai");
    assert_eq!(info["phone_number_verified"], true);
    assert!(info.get("pid").is_none() && info.get("citizen_id").is_none());
}

#[tokio::test]
async fn citizen_ids_are_released_only_to_clients_the_operator_allowed() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let allowed = app
        .client(NewClient {
            client_name: "DGA-style agency".into(),
            redirect_uris: vec![RP.into()],
            first_party: true,
            allow_citizen_id: true,
            ..Default::default()
        })
        .await;
    let other = app.confidential("Other").await;
    let scope = "openid pid citizen_id ial given_name";
    let mut browser = app.browser();
    let code = app
        .sign_in_for_code(&mut browser, &allowed, &[("scope", scope)])
        .await;
    let (_, tokens) = app.exchange(&allowed, &code).await;
    let (_, info) = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["pid"], crate::helpers::CITIZEN_ID);
    assert_eq!(info["citizen_id"], crate::helpers::CITIZEN_ID);
    assert_eq!(info["citizen_id_verified"], true);
    assert_eq!(info["ial"], "2.1");
    assert_eq!(info["ial_level"], 2.1);
    assert_eq!(info["given_name"], "สมชาย");
    assert!(
        info.get("family_name").is_none(),
        "per-claim scope releases only its claim"
    );

    let code = app
        .sign_in_for_code(&mut browser, &other, &[("scope", scope)])
        .await;
    let (_, tokens) = app.exchange(&other, &code).await;
    assert_eq!(tokens["scope"], "openid ial given_name");
    let (_, info) = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert!(info.get("pid").is_none() && info.get("citizen_id").is_none());
}

#[tokio::test]
async fn verified_claims_and_id_token_claims_follow_the_claims_parameter() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let claims = r#"{"id_token":{"given_name":null,"family_name_en":null},
        "userinfo":{"verified_claims":{"verification":{"trust_framework":null},"claims":{"given_name":null,"birthdate":null}}}}"#;
    let mut browser = app.browser();
    let code = app
        .sign_in_for_code(
            &mut browser,
            &client,
            &[("scope", "openid ial"), ("claims", claims)],
        )
        .await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let idc = TestApp::claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(idc["given_name"], "สมชาย");
    // Individually requested claims do not need their scope in the request,
    // only the client's allowance.
    assert_eq!(idc["family_name_en"], "Jaidee");
    assert!(idc.get("family_name").is_none());
    let (_, info) = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    let vc = &info["verified_claims"];
    assert_eq!(vc["verification"]["trust_framework"], "th_dga");
    assert_eq!(vc["claims"]["given_name"], "สมชาย");
    assert_eq!(vc["claims"]["birthdate"], "1990");
    assert!(vc["claims"].get("family_name").is_none());
}

#[tokio::test]
async fn pairwise_subjects_differ_per_sector_and_still_reach_userinfo() {
    let app = TestApp::spawn().await;
    let user = app.user("somchai").await;
    let mk = |host: &str| NewClient {
        client_name: host.into(),
        redirect_uris: vec![format!("https://{host}/cb")],
        subject_type: Some(SubjectType::Pairwise),
        first_party: true,
        ..Default::default()
    };
    let a = app.client(mk("a.example")).await;
    let b = app.client(mk("b.example")).await;
    let mut browser = app.browser();
    let mut subs = vec![];
    for (client, uri) in [(&a, "https://a.example/cb"), (&b, "https://b.example/cb")] {
        let code = app
            .sign_in_for_code(&mut browser, client, &[("redirect_uri", uri)])
            .await;
        let (status, tokens) = app
            .token(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code.code),
                    ("redirect_uri", uri),
                    ("code_verifier", &code.verifier),
                ],
            )
            .await;
        assert_eq!(status, 200, "{tokens}");
        let sub = TestApp::claims(tokens["id_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, info) = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(info["sub"], sub);
        subs.push(sub);
    }
    assert_ne!(subs[0], subs[1]);
    assert_ne!(subs[0], user.id.to_string());
}

#[tokio::test]
async fn a_thaid_style_client_reads_pid_and_names_from_the_id_token() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app
        .client(NewClient {
            client_name: "ThaID-integrated agency".into(),
            redirect_uris: vec![RP.into()],
            first_party: true,
            allow_citizen_id: true,
            claims_in_id_token: true,
            ..Default::default()
        })
        .await;
    assert!(client.claims_in_id_token);
    let mut browser = app.browser();
    let code = app
        .sign_in_for_code(
            &mut browser,
            &client,
            &[("scope", "openid pid name name_en")],
        )
        .await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let idc = TestApp::claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(idc["pid"], crate::helpers::CITIZEN_ID);
    assert_eq!(idc["name"], "สมชาย กลาง ใจดี");
    assert_eq!(idc["name_en"], "Somchai Klang Jaidee");
    assert!(idc.get("given_name").is_none());
}
