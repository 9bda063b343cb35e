//! The authorizer against an issuer served on loopback: discovery, key sets with
//! ES256 and RS256 keys, rotation, and every way a token is refused.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};

use super::*;
use crate::records::unix_now;

const CLAIM: &str = "custom:tenant";
const AUDIENCE: &str = "jobs-api";
const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/group-images";

/// A signing key and its public JWK.
struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    kid: String,
    jwk: Value,
}

fn es256(kid: &str) -> Signer {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    // The uncompressed point: 0x04, x (32 bytes), y (32 bytes).
    let point = pair.public_key().as_ref();
    Signer {
        key: EncodingKey::from_ec_der(pkcs8.as_ref()),
        alg: Algorithm::ES256,
        kid: kid.into(),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    }
}

fn rs256(kid: &str) -> Signer {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let public = pair.public_key();
    Signer {
        key: EncodingKey::from_rsa_der(&pkcs1_of(pair.as_der().unwrap().as_ref())),
        alg: Algorithm::RS256,
        kid: kid.into(),
        jwk: json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        }),
    }
}

/// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo: SEQUENCE { version,
/// AlgorithmIdentifier, OCTET STRING { RSAPrivateKey } } — what jsonwebtoken signs with.
fn pkcs1_of(pkcs8: &[u8]) -> Vec<u8> {
    // One DER element at `at`: (tag, start of content, end of content).
    let element = |at: usize| {
        let (tag, first) = (pkcs8[at], pkcs8[at + 1] as usize);
        let (len, start) = if first < 0x80 {
            (first, at + 2)
        } else {
            let n = first & 0x7f;
            let len = pkcs8[at + 2..at + 2 + n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, at + 2 + n)
        };
        (tag, start, start + len)
    };
    let (_, info, _) = element(0);
    let (_, _, version_end) = element(info);
    let (_, _, algorithm_end) = element(version_end);
    let (tag, key, key_end) = element(algorithm_end);
    assert_eq!(tag, 0x04, "PKCS#8 holds the key in an OCTET STRING");
    pkcs8[key..key_end].to_vec()
}

/// An issuer on loopback: its discovery document, its key set (replaceable), and how
/// many times the key set was fetched.
struct Issuer {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct IssuerState {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

async fn issuer(keys: &[&Signer]) -> Issuer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = IssuerState {
        url: url.clone(),
        keys: Arc::new(Mutex::new(
            json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}),
        )),
        fetches: Arc::default(),
    };
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|State(s): State<IssuerState>| async move {
                Json(json!({"issuer": s.url, "jwks_uri": format!("{}/keys", s.url)}))
            }),
        )
        .route(
            "/keys",
            get(|State(s): State<IssuerState>| async move {
                s.fetches.fetch_add(1, Ordering::SeqCst);
                Json(s.keys.lock().unwrap().clone())
            }),
        )
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Issuer {
        url,
        keys: state.keys,
        fetches: state.fetches,
    }
}

fn token(signer: &Signer, claims: Value) -> String {
    let mut header = Header::new(signer.alg);
    header.kid = Some(signer.kid.clone());
    jsonwebtoken::encode(&header, &claims, &signer.key).unwrap()
}

fn claims(issuer: &str, tenant: &str) -> Value {
    let now = unix_now();
    json!({"iss": issuer, "aud": AUDIENCE, "sub": "user-1", "exp": now + 300, "iat": now, CLAIM: tenant})
}

fn verifier(issuer: &Issuer) -> JwksVerifier {
    JwksVerifier::new(TokenRules::new(&issuer.url, AUDIENCE, CLAIM), None).unwrap()
}

fn token_event(token: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": METHOD_ARN})
}

async fn refused(v: &JwksVerifier, event: Value) -> String {
    match v.authorize(&event).await.unwrap() {
        Decision::Refuse(Unauthorized(why)) => why,
        Decision::Allow(answer) => panic!("allowed: {answer}"),
    }
}

#[tokio::test]
async fn a_token_of_the_issuers_key_is_allowed_on_the_stage_with_its_tenant() {
    let (ec, rsa) = (es256("ec-1"), rs256("rsa-1"));
    let issuer = issuer(&[&ec, &rsa]).await;
    let v = verifier(&issuer);
    for signer in [&ec, &rsa] {
        let event = token_event(&token(signer, claims(&issuer.url, "acme")));
        let Decision::Allow(answer) = v.authorize(&event).await.unwrap() else {
            panic!("{} refused", signer.kid);
        };
        assert_eq!(answer["principalId"], "user-1");
        assert_eq!(answer["context"]["tenant"], "acme");
        let statement = &answer["policyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Action"], "execute-api:Invoke");
        assert_eq!(
            statement["Resource"],
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*"
        );
    }
    // A REQUEST authorizer event: the header, in any case.
    let event = json!({
        "type": "REQUEST", "methodArn": METHOD_ARN,
        "headers": {"authorization": format!("Bearer {}", token(&ec, claims(&issuer.url, "acme")))}
    });
    assert!(matches!(
        v.authorize(&event).await.unwrap(),
        Decision::Allow(_)
    ));
    // Keys fetched once for all of it.
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn forged_expired_foreign_and_tenantless_tokens_are_refused() {
    let ec = es256("ec-1");
    let issuer = issuer(&[&ec]).await;
    let v = verifier(&issuer);
    let now = unix_now();

    // Signed by another key under the published key id.
    let forged = token(&es256("ec-1"), claims(&issuer.url, "acme"));
    assert!(
        refused(&v, token_event(&forged))
            .await
            .contains("not valid")
    );

    let mut expired = claims(&issuer.url, "acme");
    expired["exp"] = json!(now - 3_600);
    let why = refused(&v, token_event(&token(&ec, expired))).await;
    assert!(why.contains("xpired"), "{why}");

    let mut audience = claims(&issuer.url, "acme");
    audience["aud"] = json!("another-api");
    let why = refused(&v, token_event(&token(&ec, audience))).await;
    assert!(why.contains("udience"), "{why}");

    let other_issuer = claims("https://issuer.example", "acme");
    let why = refused(&v, token_event(&token(&ec, other_issuer))).await;
    assert!(why.contains("ssuer"), "{why}");

    let mut no_tenant = claims(&issuer.url, "acme");
    no_tenant.as_object_mut().unwrap().remove(CLAIM);
    let why = refused(&v, token_event(&token(&ec, no_tenant))).await;
    assert!(why.contains(CLAIM), "{why}");

    let bad_tenant = claims(&issuer.url, "../other");
    let why = refused(&v, token_event(&token(&ec, bad_tenant))).await;
    assert!(why.contains("not a tenant id"), "{why}");

    // The algorithm is the key's: an HS256 token keyed with anything is refused.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("ec-1".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(&issuer.url, "acme"),
        &EncodingKey::from_secret(b"the public key, say".as_slice()).unwrap(),
    )
    .unwrap();
    let why = refused(&v, token_event(&hs)).await;
    assert!(why.contains("HS256"), "{why}");

    let why = refused(&v, token_event("not-a-jwt")).await;
    assert!(why.contains("not a JWT"), "{why}");
    let event =
        json!({"type": "TOKEN", "authorizationToken": "Basic abc", "methodArn": METHOD_ARN});
    assert!(refused(&v, event).await.contains("Bearer"));
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_unknown_keys_do_not_hammer_the_issuer() {
    let (old, new) = (es256("old"), es256("new"));
    let issuer = issuer(&[&old]).await;
    let v = verifier(&issuer);
    let allowed = |d: Decision| matches!(d, Decision::Allow(_));
    assert!(allowed(
        v.authorize(&token_event(&token(&old, claims(&issuer.url, "a"))))
            .await
            .unwrap()
    ));
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);

    // The issuer rotates: the new key id is not cached, so the set is fetched again.
    *issuer.keys.lock().unwrap() = json!({"keys": [old.jwk, new.jwk]});
    assert!(allowed(
        v.authorize(&token_event(&token(&new, claims(&issuer.url, "a"))))
            .await
            .unwrap()
    ));
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);

    // Unknown key ids right after: refused without another fetch.
    for kid in ["x", "y", "z"] {
        let why = refused(
            &v,
            token_event(&token(&es256(kid), claims(&issuer.url, "a"))),
        )
        .await;
        assert!(why.contains(&format!("\"{kid}\"")), "{why}");
    }
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_issuer_or_a_bad_event_is_an_error_not_a_401() {
    let v =
        JwksVerifier::new(TokenRules::new("http://127.0.0.1:9", AUDIENCE, CLAIM), None).unwrap();
    let token = token(&es256("k"), claims("http://127.0.0.1:9", "a"));
    let err = v.authorize(&token_event(&token)).await.unwrap_err();
    assert!(
        matches!(err, AuthorizerError::Keys { ref url, .. } if url.ends_with("/.well-known/openid-configuration")),
        "{err}"
    );
    let err = v
        .authorize(&json!({"type": "TOKEN", "authorizationToken": "Bearer x"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("methodArn"), "{err}");
    let err = v
        .authorize(&json!({"authorizationToken": "Bearer x", "methodArn": "arn:aws:lambda:x"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("execute-api"), "{err}");
}

#[tokio::test]
async fn a_configured_jwks_url_is_used_without_discovery() {
    let ec = es256("k");
    let issuer = issuer(&[&ec]).await;
    // The issuer in the tokens need not serve discovery when the key set is named.
    let rules = TokenRules::new("https://login.example.com/tenant-x/", AUDIENCE, CLAIM);
    let v = JwksVerifier::new(rules, Some(format!("{}/keys", issuer.url))).unwrap();
    let token = token(&ec, claims("https://login.example.com/tenant-x/", "acme"));
    assert!(matches!(
        v.authorize(&token_event(&token)).await.unwrap(),
        Decision::Allow(_)
    ));
}
