//! The cryptography of the token endpoint, per signing algorithm:
//!
//! - `mint/<alg>/access_token` and `mint/<alg>/id_token`: one RFC 9068
//!   access token / one ID token, claims serialised and signed (what each
//!   grant costs beyond its storage work);
//! - `verify_own/<alg>/access_token`: one of our access tokens checked as
//!   userinfo and introspection check it (ring, against the key ring);
//! - `verify/<alg>/access_token`: the same token through `jsonwebtoken`
//!   (pure Rust), the path tokens from others take;
//! - `client_auth/private_key_jwt/<alg>`: one client assertion verified.
//!   (`client_secret_basic` is one SHA-256 of the presented secret compared
//!   in constant time with the stored digest: the client-credentials
//!   scenario of `pratu-load` measures it end to end.)
//!
//! Run: `cargo bench -p pratu-oidc --bench tokens`.
#![expect(clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pratu_core::pii::{PiiCipher, SecretKey};
use pratu_oidc::keys::inbound::{self, decoding_key};
use pratu_oidc::keys::jws;
use pratu_oidc::keys::material::{KeySigner, generate};
use pratu_oidc::keys::{KeyRing, SigningAlg};
use pratu_storage::records::SigningKey;
use serde_json::{Value, json};
use time::OffsetDateTime;

const ISSUER: &str = "https://id.example.go.th";

fn access_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "0b7e4b5e-3f7c-4d9b-9b39-0c2d1c7f8a11",
        "aud": "xyycFJKrRp2zrgyE38yl1g",
        "client_id": "xyycFJKrRp2zrgyE38yl1g",
        "exp": 4_102_444_800_i64,
        "iat": 1_795_660_946_i64,
        "jti": "Qm9vLXNhbXBsZS1qdGktMTIzNDU2",
        "scope": "openid profile",
        "auth_time": 1_795_660_900_i64,
        "acr": "urn:pratu:acr:aal1",
    })
}

fn id_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "0b7e4b5e-3f7c-4d9b-9b39-0c2d1c7f8a11",
        "aud": "xyycFJKrRp2zrgyE38yl1g",
        "exp": 4_102_444_800_i64,
        "iat": 1_795_660_946_i64,
        "auth_time": 1_795_660_900_i64,
        "nonce": "n-0S6_WzA2Mj",
        "acr": "urn:pratu:acr:aal1",
        "amr": ["pwd"],
        "sid": "c2lkLXNhbXBsZQ",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "name": "สมชาย ใจดี",
        "given_name": "สมชาย",
        "family_name": "ใจดี",
    })
}

fn name(alg: SigningAlg) -> &'static str {
    alg.as_str()
}

fn mint(c: &mut Criterion) {
    let mut g = c.benchmark_group("mint");
    g.throughput(Throughput::Elements(1));
    let (at, id) = (access_claims(), id_claims());
    for alg in SigningAlg::ALL {
        let k = generate(&pratu_core::OsRandom, alg).expect("key");
        let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).expect("signer");
        g.bench_function(format!("{}/access_token", name(alg)), |b| {
            b.iter(|| jws::sign(&signer, &k.kid, Some("at+jwt"), black_box(&at)).expect("sign"));
        });
        g.bench_function(format!("{}/id_token", name(alg)), |b| {
            b.iter(|| jws::sign(&signer, &k.kid, Some("JWT"), black_box(&id)).expect("sign"));
        });
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    let at = access_claims();
    let mut v = inbound::validation(&["exp", "iss", "aud", "sub"]);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&["xyycFJKrRp2zrgyE38yl1g"]);
    for alg in SigningAlg::ALL {
        let k = generate(&pratu_core::OsRandom, alg).expect("key");
        let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).expect("signer");
        let key = decoding_key(alg, &k.public_jwk).expect("decoding key");
        let token = jws::sign(&signer, &k.kid, Some("at+jwt"), &at).expect("sign");
        g.bench_function(format!("{}/access_token", name(alg)), |b| {
            b.iter(|| {
                inbound::decode_with::<Value>(black_box(&token), alg, [&key], &v).expect("valid")
            });
        });
    }
    g.finish();
}

fn verify_own(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify_own");
    g.throughput(Throughput::Elements(1));
    let at = access_claims();
    let mut v = inbound::validation(&["iss", "exp"]);
    v.set_issuer(&[ISSUER]);
    v.validate_aud = false;
    let kek = PiiCipher::new(SecretKey::new("k1", &[7; 32]).expect("kek"), Vec::new());
    for alg in SigningAlg::ALL {
        let k = generate(&pratu_core::OsRandom, alg).expect("key");
        let record = SigningKey {
            kid: k.kid.clone(),
            alg: alg.as_str().to_owned(),
            private_sealed: kek.seal(&k.pkcs8_der, format!("signing_key:{}", k.kid).as_bytes()),
            public_jwk: k.public_jwk.clone(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            activates_at: OffsetDateTime::UNIX_EPOCH,
            retires_at: None,
            expires_at: None,
        };
        let ring = KeyRing::build(&[record], &kek).expect("key ring");
        let token = ring
            .key(&k.kid)
            .expect("loaded")
            .sign(Some("at+jwt"), &at)
            .expect("sign");
        g.bench_function(format!("{}/access_token", name(alg)), |b| {
            b.iter(|| ring.decode::<Value>(black_box(&token), &v).expect("valid"));
        });
    }
    g.finish();
}

fn client_auth(c: &mut Criterion) {
    let mut g = c.benchmark_group("client_auth");
    g.throughput(Throughput::Elements(1));
    let endpoint = format!("{ISSUER}/token");
    let claims = json!({
        "iss": "svc-client", "sub": "svc-client", "aud": endpoint,
        "exp": 4_102_444_800_i64, "iat": 1_795_660_946_i64, "jti": "a-unique-assertion-id",
    });
    let mut v = inbound::validation(&["exp", "iss", "sub", "aud"]);
    v.set_issuer(&["svc-client"]);
    v.set_audience(&[endpoint.as_str()]);
    for alg in SigningAlg::ALL {
        let k = generate(&pratu_core::OsRandom, alg).expect("key");
        let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).expect("signer");
        let key = decoding_key(alg, &k.public_jwk).expect("decoding key");
        let assertion = jws::sign(&signer, &k.kid, None, &claims).expect("sign");
        g.bench_function(format!("private_key_jwt/{}", name(alg)), |b| {
            b.iter(|| {
                let (_, parsed) = inbound::header(black_box(&assertion)).expect("header");
                inbound::decode_with::<Value>(&assertion, parsed, [&key], &v).expect("valid")
            });
        });
    }
    g.finish();
}

criterion_group!(benches, mint, verify_own, verify, client_auth);
criterion_main!(benches);
