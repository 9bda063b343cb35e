//! The jobs API's Lambda authorizer, for any OpenID Connect issuer (Auth0, Okta, Entra
//! ID, Keycloak, a Cognito pool of another account, …): the Lambda artifact's
//! `bootstrap` serves it when the function's handler is [`HANDLER`]. infra-cdk deploys it
//! instead of the Cognito authorizer when the `jobsApiJwtIssuer` context parameter is
//! set.
//!
//! A token is accepted when its signature verifies with a key the issuer publishes (its
//! JWKS, found through `<issuer>/.well-known/openid-configuration` or given as
//! [`JWKS_ENV`]) and it meets the same [`TokenRules`] as the local server's tokens:
//! `exp`, the issuer, the audience, and a tenant in the tenant claim. The algorithm is
//! the key's (its `alg`, else its type), never the token's choice, so an `HS256` or
//! `none` token is refused. The answer allows the whole API stage (API Gateway caches it
//! per token) and carries the tenant in the context as [`TENANT_CONTEXT_KEY`]: the POST's
//! template reads `$context.authorizer.tenant`, the status function the same key. A
//! refused token fails the invocation with the message `Unauthorized`, which API Gateway
//! answers with 401; the reason is logged, never returned.
//!
//! Keys are fetched on the first request (init makes no network call), kept for an hour,
//! and fetched again at most once a minute when a token names a key id the cached set
//! lacks (the issuer rotated its keys).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};

use crate::claims::{TokenRules, Unauthorized, Verified, bearer};
use crate::contract::DEFAULT_TENANT_CLAIM;
use crate::function::TENANT_CLAIM_ENV;

/// The function handler (`_HANDLER`) that makes `bootstrap` serve the authorizer.
pub const HANDLER: &str = "JwtAuthorizer";
/// The environment variable holding the accepted issuer (`iss`).
pub const ISSUER_ENV: &str = "JWT_ISSUER";
/// The environment variable holding the accepted audience (`aud`).
pub const AUDIENCE_ENV: &str = "JWT_AUDIENCE";
/// The environment variable holding the issuer's JWKS URL; unset: discovered.
pub const JWKS_ENV: &str = "JWKS_URL";
/// The authorizer context key that carries the tenant to the integrations.
pub const TENANT_CONTEXT_KEY: &str = "tenant";

/// How long fetched keys are used before they are fetched again.
const KEYS_TTL: Duration = Duration::from_secs(3_600);
/// The least time between two fetches caused by an unknown key id.
const REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// The timeout of one request to the issuer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The authorizer could not decide: its configuration, or the issuer's keys (API
/// Gateway answers 500, not 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthorizerError {
    /// A required environment variable is missing or invalid.
    #[error("environment variable {var}: {problem}")]
    Env {
        /// The variable.
        var: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The issuer's discovery document or key set could not be read.
    #[error("cannot read the issuer's keys from {url}: {why}")]
    Keys {
        /// The URL requested.
        url: String,
        /// Why.
        why: String,
    },
    /// The event is not an API Gateway authorizer event.
    #[error("not an API Gateway authorizer event: {0}")]
    Event(String),
    /// The runtime failed talking to the Runtime API.
    #[error("Lambda runtime failed: {0}")]
    Runtime(String),
}

/// The outcome of one authorization: allowed with a policy, refused (401), or undecided.
#[derive(Debug)]
pub enum Decision {
    /// The authorizer's answer: the principal, the policy, the context.
    Allow(Value),
    /// The token is refused; the reason is for the log only.
    Refuse(Unauthorized),
}

#[derive(Debug)]
struct CachedKeys {
    set: Arc<JwkSet>,
    fetched: Instant,
}

/// Verifies tokens with the keys an issuer publishes.
#[derive(Debug)]
pub struct JwksVerifier {
    rules: TokenRules,
    jwks_url: Option<String>,
    http: reqwest::Client,
    keys: Mutex<Option<CachedKeys>>,
    last_refresh: Mutex<Option<Instant>>,
}

impl JwksVerifier {
    /// A verifier for `rules`, reading keys from `jwks_url` or, when `None`, from the
    /// `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    pub fn new(
        rules: TokenRules,
        jwks_url: Option<String>,
    ) -> Result<JwksVerifier, AuthorizerError> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| AuthorizerError::Keys {
                url: jwks_url.clone().unwrap_or_else(|| rules.issuer.clone()),
                why: format!("no HTTP client: {e}"),
            })?;
        Ok(JwksVerifier {
            rules,
            jwks_url,
            http,
            keys: Mutex::new(None),
            last_refresh: Mutex::new(None),
        })
    }

    /// The verifier configured from the environment: [`ISSUER_ENV`] and
    /// [`AUDIENCE_ENV`] (required), [`TENANT_CLAIM_ENV`] (default `custom:tenant`),
    /// [`JWKS_ENV`] (optional).
    pub fn from_env() -> Result<JwksVerifier, AuthorizerError> {
        let var = |name: &'static str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            var(name).ok_or(AuthorizerError::Env {
                var: name,
                problem: "is not set".into(),
            })
        };
        let issuer = required(ISSUER_ENV)?;
        if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
            return Err(AuthorizerError::Env {
                var: ISSUER_ENV,
                problem: format!("\"{issuer}\" is not an issuer URL (https://…)"),
            });
        }
        let rules = TokenRules::new(
            &issuer,
            &required(AUDIENCE_ENV)?,
            &var(TENANT_CLAIM_ENV).unwrap_or_else(|| DEFAULT_TENANT_CLAIM.to_string()),
        );
        JwksVerifier::new(rules, var(JWKS_ENV))
    }

    /// The rules tokens must meet.
    pub fn rules(&self) -> &TokenRules {
        &self.rules
    }

    /// Verifies `token`: `Ok(Err(..))` when the token is refused, `Err` when the keys
    /// cannot be read.
    pub async fn verify(
        &self,
        token: &str,
    ) -> Result<Result<Verified, Unauthorized>, AuthorizerError> {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(header) => header,
            Err(e) => return Ok(Err(Unauthorized(format!("not a JWT: {e}")))),
        };
        let kid = header.kid.as_deref();
        let mut set = self.key_set(false).await?;
        if find_key(&set, kid).is_none() && self.may_refresh() {
            set = self.key_set(true).await?;
        }
        let Some(jwk) = find_key(&set, kid) else {
            return Ok(Err(Unauthorized(match kid {
                Some(kid) => format!("the token's key \"{kid}\" is not one the issuer publishes"),
                None => "the token names no key (kid) and the issuer publishes several".into(),
            })));
        };
        let Some(algorithm) = key_algorithm(jwk) else {
            return Ok(Err(Unauthorized(
                "the issuer's key has no signature algorithm this authorizer accepts".into(),
            )));
        };
        if header.alg != algorithm {
            return Ok(Err(Unauthorized(format!(
                "the token is signed with {:?}; the issuer's key is {algorithm:?}",
                header.alg
            ))));
        }
        let key = match DecodingKey::from_jwk(jwk) {
            Ok(key) => key,
            Err(e) => {
                return Ok(Err(Unauthorized(format!(
                    "the issuer's key is unusable: {e}"
                ))));
            }
        };
        Ok(self.rules.verify(token, &key, algorithm))
    }

    /// Decides one API Gateway authorizer event (`TOKEN`: `authorizationToken`;
    /// `REQUEST`: the `Authorization` header).
    pub async fn authorize(&self, event: &Value) -> Result<Decision, AuthorizerError> {
        let method_arn = event
            .get("methodArn")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthorizerError::Event("no methodArn".into()))?;
        let resource = stage_resource(method_arn)?;
        let authorization = event
            .get("authorizationToken")
            .and_then(Value::as_str)
            .or_else(|| header(event, "authorization"));
        let token = match bearer(authorization) {
            Ok(token) => token,
            Err(refused) => return Ok(Decision::Refuse(refused)),
        };
        let verified = match self.verify(token).await? {
            Ok(verified) => verified,
            Err(refused) => return Ok(Decision::Refuse(refused)),
        };
        let principal = verified
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or(&verified.tenant)
            .to_string();
        Ok(Decision::Allow(json!({
            "principalId": principal,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": resource,
                }],
            },
            "context": { TENANT_CONTEXT_KEY: verified.tenant },
        })))
    }

    fn may_refresh(&self) -> bool {
        let mut last = self.last_refresh.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < REFRESH_INTERVAL) {
            return false;
        }
        *last = Some(now);
        true
    }

    async fn key_set(&self, force: bool) -> Result<Arc<JwkSet>, AuthorizerError> {
        if !force {
            let cached = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(keys) = cached.as_ref().filter(|k| k.fetched.elapsed() < KEYS_TTL) {
                return Ok(keys.set.clone());
            }
        }
        let url = match &self.jwks_url {
            Some(url) => url.clone(),
            None => self.discover().await?,
        };
        let set: JwkSet = self.get_json(&url).await?;
        let set = Arc::new(set);
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(CachedKeys {
            set: set.clone(),
            fetched: Instant::now(),
        });
        Ok(set)
    }

    async fn discover(&self) -> Result<String, AuthorizerError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.rules.issuer.trim_end_matches('/')
        );
        let document: Value = self.get_json(&url).await?;
        document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| AuthorizerError::Keys {
                url,
                why: "the discovery document has no jwks_uri".into(),
            })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, AuthorizerError> {
        let failed = |why: String| AuthorizerError::Keys {
            url: url.to_string(),
            why,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| failed(format!("not the expected JSON: {e}")))
    }
}

/// The key `kid` names; without a kid, the only key of a one-key set.
fn find_key<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
}

/// The signature algorithm of a published key: its `alg`, else its type's usual one.
/// Symmetric keys are never accepted (a public key set has none worth trusting).
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let declared = jwk.common.key_algorithm.and_then(|alg| match alg {
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        KeyAlgorithm::PS384 => Some(Algorithm::PS384),
        KeyAlgorithm::PS512 => Some(Algorithm::PS512),
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        _ => None,
    });
    if jwk.common.key_algorithm.is_some() {
        return declared;
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// `arn:…:execute-api:region:account:api/stage/*`: every method of the caller's stage,
/// so API Gateway's cached answer for a token serves the POST and the GET alike.
fn stage_resource(method_arn: &str) -> Result<String, AuthorizerError> {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) if api.contains(":execute-api:") && !stage.is_empty() => {
            Ok(format!("{api}/{stage}/*"))
        }
        _ => Err(AuthorizerError::Event(format!(
            "methodArn \"{method_arn}\" is not an execute-api method ARN"
        ))),
    }
}

/// A header of a `REQUEST` authorizer event, by name in any case.
fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event
        .get("headers")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))?
        .1
        .as_str()
}

/// A refused token: the invocation error API Gateway answers with 401.
#[derive(Debug, thiserror::Error)]
#[error("Unauthorized")]
struct RefusedToken;

/// Serves the authorizer under the Lambda Runtime API until it stops.
pub async fn serve() -> Result<(), AuthorizerError> {
    let verifier = Arc::new(JwksVerifier::from_env()?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| {
            let verifier = verifier.clone();
            async move {
                match verifier.authorize(&event.payload).await {
                    Ok(Decision::Allow(answer)) => Ok(answer),
                    Ok(Decision::Refuse(Unauthorized(why))) => {
                        tracing::info!(reason = %why, "token refused");
                        Err(lambda_runtime::Error::from(RefusedToken))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot decide");
                        Err(lambda_runtime::Error::from(e))
                    }
                }
            }
        },
    ))
    .await
    .map_err(|e| AuthorizerError::Runtime(e.to_string()))
}

#[cfg(all(test, feature = "server"))]
mod tests;
