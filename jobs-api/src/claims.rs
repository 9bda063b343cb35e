//! A caller's tenant from a bearer token: the rules every verifier applies — the
//! signature by a key the verifier trusts, `exp`, the issuer and the audience — and the
//! tenant taken from one claim (`custom:tenant` by default, as a Cognito user pool's
//! custom attribute arrives); a token without it is refused. The local server's
//! [`crate::jwt::Verifier`] (one local key) and the Lambda authorizer's
//! [`crate::authorizer::JwksVerifier`] (the issuer's published keys) both end here.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Why a request's token is refused (a 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unauthorized(pub String);

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(authorization: Option<&str>) -> Result<&str, Unauthorized> {
    let header = authorization.ok_or_else(|| Unauthorized("no Authorization header".into()))?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Unauthorized("the Authorization header is not a Bearer token".into()))
}

/// What a token must satisfy besides its signature: issuer, audience, `exp` (5 s of
/// leeway), and a tenant in [`TokenRules::tenant_claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRules {
    /// The only accepted `iss`.
    pub issuer: String,
    /// The accepted `aud` (a token may name several audiences; one must be this).
    pub audience: String,
    /// The claim that carries the tenant.
    pub tenant_claim: String,
}

/// A verified token: its tenant and all its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The tenant claim's value.
    pub tenant: String,
    /// Every claim of the token.
    pub claims: Map<String, Value>,
}

impl TokenRules {
    /// Rules for `issuer` and `audience`, the tenant in `tenant_claim`.
    pub fn new(issuer: &str, audience: &str, tenant_claim: &str) -> TokenRules {
        TokenRules {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            tenant_claim: tenant_claim.to_string(),
        }
    }

    /// Verifies `token` signed with `algorithm` by `key` and takes its tenant. The
    /// algorithm is the verifier's (from its key), never the token header's choice.
    pub fn verify(
        &self,
        token: &str,
        key: &DecodingKey,
        algorithm: Algorithm,
    ) -> Result<Verified, Unauthorized> {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token.trim(), key, &validation)
            .map_err(|e| Unauthorized(format!("the token is not valid: {e}")))?;
        match data.claims.get(&self.tenant_claim) {
            Some(Value::String(t)) if valid_tenant(t) => Ok(Verified {
                tenant: t.clone(),
                claims: data.claims,
            }),
            Some(_) => Err(Unauthorized(format!(
                "the token's \"{}\" claim is not a tenant id (1 to 128 characters, no \"/\")",
                self.tenant_claim
            ))),
            None => Err(Unauthorized(format!(
                "the token has no \"{}\" claim: no tenant",
                self.tenant_claim
            ))),
        }
    }
}

/// A tenant id the job keys can hold: 1 to 128 characters, not blank, no `/`, not a
/// path step.
pub fn valid_tenant(t: &str) -> bool {
    !t.trim().is_empty() && t.len() <= 128 && !t.contains('/') && t != "." && t != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_header_gives_its_token_and_anything_else_is_refused() {
        assert_eq!(bearer(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer(Some("bearer abc ")).unwrap(), "abc");
        for bad in [None, Some("Basic abc"), Some("Bearer "), Some("abc")] {
            assert!(bearer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tenant_ids_are_bounded_and_never_a_path() {
        assert!(valid_tenant("acme"));
        for bad in ["", " ", "a/b", ".", "..", &"x".repeat(129)] {
            assert!(!valid_tenant(bad), "{bad:?}");
        }
    }
}
