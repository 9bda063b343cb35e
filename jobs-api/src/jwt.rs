//! The local issuer's ES256 JWTs. [`Verifier`] checks a token of the local key against
//! [`crate::claims::TokenRules`] (signature, `exp`, issuer, audience, tenant claim).
//! [`LocalKey`] is the local issuer's P-256 key: `stepwise serve --jobs-api` verifies
//! with it and `stepwise token --tenant T` signs with it. The key file holds the PKCS#8
//! private key in base64; it is created (mode 0600) when missing. Which file: `--key`,
//! else `STEPWISE_JOBS_KEY`, else `.stepwise/jobs-api.key` in the current directory.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Map, Value, json};

pub use crate::claims::Unauthorized;
use crate::claims::{TokenRules, bearer};

/// The local issuer (`iss`).
pub const LOCAL_ISSUER: &str = "stepwise-local";
/// The local audience (`aud`).
pub const LOCAL_AUDIENCE: &str = "stepwise-jobs-api";
/// The key file when neither `--key` nor `STEPWISE_JOBS_KEY` names one.
pub const DEFAULT_KEY_FILE: &str = ".stepwise/jobs-api.key";
/// The variable naming the key file.
pub const KEY_VARIABLE: &str = "STEPWISE_JOBS_KEY";

/// What can go wrong with the local key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no P-256 PKCS#8 key.
    #[error("{path}: not a base64 PKCS#8 P-256 key: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// The key file `flag` or the environment names, else the default.
pub fn key_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var(KEY_VARIABLE)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY_FILE))
}

/// The local issuer's P-256 key pair.
#[derive(Clone)]
pub struct LocalKey {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKey(P-256)")
    }
}

impl LocalKey {
    /// A new random key.
    pub fn generate() -> Result<LocalKey, KeyError> {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| KeyError::Sign(format!("cannot generate a P-256 key: {e}")))?;
        Self::from_pkcs8(pkcs8.as_ref()).map_err(KeyError::Sign)
    }

    fn from_pkcs8(pkcs8: &[u8]) -> Result<LocalKey, String> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
            .map_err(|e| e.to_string())?;
        Ok(LocalKey {
            pkcs8: pkcs8.to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        })
    }

    /// The key in `path`, created there when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<LocalKey, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let der = STANDARD
                    .decode(text.trim())
                    .map_err(|e| KeyError::Invalid {
                        path: path.to_path_buf(),
                        why: e.to_string(),
                    })?;
                Self::from_pkcs8(&der).map_err(|why| KeyError::Invalid {
                    path: path.to_path_buf(),
                    why,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                write_private(path, &format!("{}\n", STANDARD.encode(&key.pkcs8))).map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A signed ES256 token with these claims.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, KeyError> {
        jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            claims,
            &EncodingKey::from_ec_der(&self.pkcs8),
        )
        .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// A token of the local issuer for `tenant`, valid for `ttl_seconds`.
    pub fn token_for(
        &self,
        tenant: &str,
        tenant_claim: &str,
        ttl_seconds: i64,
    ) -> Result<String, KeyError> {
        let now = unix_now();
        let mut claims = json!({
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "sub": format!("local-{tenant}"),
            "iat": now,
            "exp": now + ttl_seconds,
        });
        if let Some(map) = claims.as_object_mut() {
            map.insert(tenant_claim.to_string(), Value::String(tenant.to_string()));
        }
        match claims {
            Value::Object(map) => self.sign(&map),
            _ => Err(KeyError::Sign("claims are an object".into())),
        }
    }

    /// A verifier of this key's tokens for the local issuer and audience.
    pub fn verifier(&self, tenant_claim: &str) -> Verifier {
        Verifier::new(
            DecodingKey::from_ec_der(&self.public),
            LOCAL_ISSUER,
            LOCAL_AUDIENCE,
            tenant_claim,
        )
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

pub use crate::records::unix_now;

/// Checks tokens of the local key: its ES256 signature and [`TokenRules`].
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    rules: TokenRules,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verifier(tenant claim {})", self.rules.tenant_claim)
    }
}

impl Verifier {
    /// A verifier of `key`'s ES256 tokens for `issuer` and `audience`, the tenant in
    /// `tenant_claim`.
    pub fn new(key: DecodingKey, issuer: &str, audience: &str, tenant_claim: &str) -> Verifier {
        Verifier {
            key,
            rules: TokenRules::new(issuer, audience, tenant_claim),
        }
    }

    /// The tenant of the `Authorization: Bearer …` header's token.
    pub fn tenant(&self, authorization: Option<&str>) -> Result<String, Unauthorized> {
        let token = bearer(authorization)?;
        Ok(self
            .rules
            .verify(token, &self.key, Algorithm::ES256)?
            .tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = "custom:tenant";

    #[test]
    fn a_token_of_the_key_names_its_tenant_and_others_are_refused() {
        let key = LocalKey::generate().unwrap();
        let verifier = key.verifier(CLAIM);
        let token = key.token_for("acme", CLAIM, 60).unwrap();
        assert_eq!(
            verifier.tenant(Some(&format!("Bearer {token}"))).unwrap(),
            "acme"
        );
        let other = LocalKey::generate().unwrap();
        let forged = other.token_for("acme", CLAIM, 60).unwrap();
        assert!(verifier.tenant(Some(&format!("Bearer {forged}"))).is_err());
        let expired = key.token_for("acme", CLAIM, -3600).unwrap();
        let err = verifier
            .tenant(Some(&format!("Bearer {expired}")))
            .unwrap_err();
        assert!(err.0.contains("xpired"), "{err}");
        let no_tenant = key.token_for("acme", "other", 60).unwrap();
        let err = verifier
            .tenant(Some(&format!("Bearer {no_tenant}")))
            .unwrap_err();
        assert!(err.0.contains(CLAIM), "{err}");
        assert!(verifier.tenant(None).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/jobs.key");
        let a = LocalKey::load_or_create(&path).unwrap();
        let b = LocalKey::load_or_create(&path).unwrap();
        let token = a.token_for("t", CLAIM, 60).unwrap();
        assert_eq!(
            b.verifier(CLAIM)
                .tenant(Some(&format!("Bearer {token}")))
                .unwrap(),
            "t"
        );
        std::fs::write(dir.path().join("bad.key"), "nope").unwrap();
        assert!(LocalKey::load_or_create(&dir.path().join("bad.key")).is_err());
    }
}
