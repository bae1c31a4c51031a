//! Password hashing (Argon2id, off the async executor, bounded) and token
//! issuing and checking (HS256 access JWTs, opaque refresh tokens).

use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::auth::Secret;
use crate::domain::user::Role;

/// Argon2id with OWASP's minimum: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the e-mail is unknown
/// so that an unknown account costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2()
        .hash_password(random_token().as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on a small pool of dedicated threads, so
/// the async workers keep serving other requests while Argon2 runs. The
/// pool is fixed: each hash needs 19 MiB, and a fixed set of threads reuses
/// that memory instead of a login flood growing the heap (with the blocking
/// pool, every new thread kept its own 19 MiB arena). Extra work queues.
#[derive(Clone)]
pub struct Passwords {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Passwords {
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("gemba-hash-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // every sender is gone
                        }
                    }
                })
                .expect("spawning a password hashing thread");
        }
        Self { jobs }
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing pool has stopped"))?;
        rx.await.context("a password hashing thread failed")
    }

    pub async fn hash(&self, password: &Secret) -> anyhow::Result<String> {
        let pw = password.clone();
        self.run(move || {
            argon2()
                .hash_password(pw.expose().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
        })
        .await?
    }

    /// Verifies against `hash`, or against a dummy hash when there is none.
    pub async fn verify(&self, password: &Secret, hash: Option<&str>) -> anyhow::Result<bool> {
        let pw = password.clone();
        let stored = hash.map(str::to_owned);
        self.run(move || {
            let known = stored.is_some();
            let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| anyhow::anyhow!("stored password hash is unreadable: {e}"))?;
            let ok = argon2()
                .verify_password(pw.expose().as_bytes(), &parsed)
                .is_ok();
            Ok(ok && known)
        })
        .await?
    }
}

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    /// Always `access`; refresh tokens are not JWTs.
    pub typ: String,
    pub iss: String,
}

const ISSUER: &str = "gemba";

/// Keys and rules for access tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        // One fixed algorithm: `alg: none` or an RS256 header never verifies.
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn issue_access(&self, user_id: i64, role: Role) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role,
            iat: now,
            exp: now + self.access_ttl.as_secs(),
            typ: "access".into(),
            iss: ISSUER.into(),
        };
        encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
        .context("signing an access token")
    }

    /// The user id of a valid access token.
    pub fn verify_access(&self, token: &str) -> Result<i64, &'static str> {
        let data =
            decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| match e
                .kind()
            {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the access token has expired",
                _ => "the access token is invalid",
            })?;
        if data.claims.typ != "access" {
            return Err("the access token is invalid");
        }
        data.claims
            .sub
            .parse()
            .map_err(|_| "the access token is invalid")
    }
}

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a refresh token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Bytes as lowercase hex (how digests are stored and shown).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The signing key to store when the database has none yet: the one an
/// earlier version kept in `data_dir/jwt_secret` (so its tokens stay
/// valid), or a new random one.
pub fn initial_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("jwt_secret");
    match std::fs::read_to_string(&path) {
        Ok(existing) => {
            let existing = existing.trim();
            anyhow::ensure!(
                existing.len() >= 32,
                "{} is shorter than 32 bytes; delete it to generate a new one",
                path.display()
            );
            Ok(existing.to_owned())
        }
        Err(_) => Ok(random_token()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let p = Passwords::new(2);
        let h = p.hash(&Secret::new("correct horse")).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            p.verify(&Secret::new("correct horse"), Some(&h))
                .await
                .unwrap()
        );
        assert!(
            !p.verify(&Secret::new("wrong horse"), Some(&h))
                .await
                .unwrap()
        );
        assert!(!p.verify(&Secret::new("correct horse"), None).await.unwrap());
    }

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let t = Tokens::new(&[7; 32], Duration::from_secs(60), Duration::from_secs(60));
        let token = t.issue_access(42, Role::Manager).unwrap();
        assert_eq!(t.verify_access(&token), Ok(42));
        let other = Tokens::new(&[8; 32], Duration::from_secs(60), Duration::from_secs(60));
        assert!(other.verify_access(&token).is_err());
        assert!(t.verify_access("not.a.jwt").is_err());
    }

    #[test]
    fn an_earlier_secret_file_is_taken_over_and_a_short_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = initial_secret(dir.path()).unwrap();
        assert!(fresh.len() >= 32);
        assert_ne!(fresh, initial_secret(dir.path()).unwrap());
        let kept = "k".repeat(40);
        std::fs::write(dir.path().join("jwt_secret"), format!("{kept}\n")).unwrap();
        assert_eq!(initial_secret(dir.path()).unwrap(), kept);
        std::fs::write(dir.path().join("jwt_secret"), "short").unwrap();
        assert!(initial_secret(dir.path()).is_err());
    }
}
