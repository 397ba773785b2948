//! Who is calling, and what they may do.
//!
//! Every request runs as a [`Principal`] with a [`Role`]. Callers present an
//! API token (`rg_<key id>.<secret>`): the key id finds the token's row, and
//! the SHA-256 of the secret is compared in constant time with the stored
//! digest (the secret itself is never stored or logged). While the store holds
//! no token at all, the server runs in open development mode: everyone is an
//! admin, and the server only listens on loopback. Creating the first token
//! ends open mode (noticed within a second by running servers).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::Actor;
use crate::domain::Origin;
use crate::error::{AppError, AppResult};
use crate::store::{self, Store};

/// What a caller may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Queries.
    Read,
    /// Queries, and writes of entities and relations.
    Write,
    /// Everything, including relation types and private relations.
    Admin,
}

impl Role {
    /// The role's name as the command line and errors spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// Parses `read`, `write` or `admin`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Name of the token (or `open-mode`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The email bound to the token, if any (Copper's `X-PW-UserEmail`).
    pub email: Option<String>,
    /// The API the request came through (for the journal).
    pub origin: Origin,
    /// The request's id (`x-request-id`), for the journal.
    pub request_id: Option<String>,
}

impl Principal {
    /// The caller in open development mode: an admin.
    pub fn open_mode() -> Self {
        Self {
            name: "open-mode".to_owned(),
            role: Role::Admin,
            email: None,
            origin: Origin::default(),
            request_id: None,
        }
    }

    /// This caller, calling through `origin` in request `request_id`.
    pub fn via(self, origin: Origin, request_id: Option<String>) -> Self {
        Self {
            origin,
            request_id,
            ..self
        }
    }

    /// What the journal records of this caller.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.name.clone(),
            request_id: self.request_id.clone(),
            origin: self.origin,
        }
    }

    /// May this caller see private relations?
    pub fn sees_private(&self) -> bool {
        self.role >= Role::Admin
    }

    /// `FORBIDDEN` unless the caller has at least `role`.
    pub fn require(&self, role: Role, action: &str) -> AppResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{action} needs the {} role; this token has {}",
                role.as_str(),
                self.role.as_str()
            )))
        }
    }
}

const PREFIX: &str = "rg_";

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> AppResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))?;
    Ok(hex::encode(buf))
}

/// Splits `rg_<key id>.<secret>`.
fn parse(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix(PREFIX)?;
    let (key_id, secret) = rest.split_once('.')?;
    let ok = key_id.len() == 16
        && secret.len() == 64
        && key_id
            .chars()
            .chain(secret.chars())
            .all(|c| c.is_ascii_hexdigit());
    ok.then_some((key_id, secret))
}

/// A token as `token list` shows it (never the secret).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Unique name.
    pub name: String,
    /// What the token may do: read, write, or administer.
    pub role: Role,
    /// Bound email.
    pub email: Option<String>,
    /// When `token create` made it.
    pub created_at: DateTime<Utc>,
    /// Last used at (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// After this moment it no longer authenticates; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// When `token revoke` ended it, if it did.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<store::tokens::TokenRow> for TokenInfo {
    fn from(t: store::tokens::TokenRow) -> Self {
        Self {
            role: Role::parse(&t.role).unwrap_or(Role::Read),
            name: t.name,
            email: t.email,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Creates a token; returns it (shown once) and what is stored about it.
pub async fn create_token(
    store: &Store,
    name: &str,
    role: Role,
    expires_in: Option<Duration>,
    email: Option<String>,
) -> AppResult<(String, TokenInfo)> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input(
            "a token name must be 1 to 100 characters",
        ));
    }
    if store::tokens::by_name(store, name).await?.is_some() {
        return Err(AppError::bad_input(format!(
            "a token named {name:?} exists already"
        )));
    }
    let key_id = random_hex(8)?;
    let secret = random_hex(32)?;
    let expires_at = match expires_in {
        Some(d) => Some(
            Utc::now()
                + chrono::Duration::from_std(d)
                    .map_err(|_| AppError::bad_input("that expiry is too far away"))?,
        ),
        None => None,
    };
    let row = store::tokens::insert(
        store,
        &store::tokens::NewToken {
            key_id: key_id.clone(),
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            email,
            secret_hash: digest(&secret),
            expires_at,
        },
    )
    .await?;
    Ok((format!("{PREFIX}{key_id}.{secret}"), row.into()))
}

/// Every token, oldest first.
pub async fn list_tokens(store: &Store) -> AppResult<Vec<TokenInfo>> {
    Ok(store::tokens::all(store)
        .await?
        .into_iter()
        .map(TokenInfo::from)
        .collect())
}

/// Revokes the token named `name`.
pub async fn revoke_token(store: &Store, name: &str) -> AppResult<()> {
    let row = store::tokens::by_name(store, name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no token named {name:?}")))?;
    if !store::tokens::revoke(store, row.id).await? {
        return Err(AppError::bad_input(format!(
            "token {name:?} is revoked already"
        )));
    }
    Ok(())
}

/// Parses a duration like `90d`, `12h`, `30m`, `45s` or `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90d, 12h, 30m, 45s or 500ms"))?;
    let millis: u64 = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "{s:?} is not a duration like 90d, 12h, 30m, 45s or 500ms"
            ));
        }
    };
    n.checked_mul(millis)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{s:?} is too long"))
}

/// The names of the tokens that no longer authenticate, as last read.
pub type Ended = std::sync::Arc<std::collections::HashSet<String>>;

/// How often long-lived connections (subscriptions) look at whether their
/// token was revoked or expired.
pub const REVOCATION_CHECK: Duration = Duration::from_secs(1);

/// Authenticates requests against the store's tokens.
pub struct Authenticator {
    /// The store's tokens; also watched for revocations while subscriptions
    /// need it (see [`Authenticator::ended_tokens`]).
    ended: tokio::sync::watch::Sender<Ended>,
    watching: std::sync::atomic::AtomicBool,
    store: Store,
    /// Open mode as last seen, and when. Once a token exists the answer is
    /// final (tokens are revoked, never deleted).
    open: Mutex<Option<(bool, Instant)>>,
}

/// How long a server trusts its last look at whether any token exists.
const OPEN_MODE_RECHECK: Duration = Duration::from_secs(1);
/// `last_used_at` is written at most this often per token, in the background.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl Authenticator {
    /// An authenticator over `store`.
    pub fn new(store: Store) -> Self {
        Self {
            ended: tokio::sync::watch::Sender::new(Ended::default()),
            watching: std::sync::atomic::AtomicBool::new(false),
            store,
            open: Mutex::new(None),
        }
    }

    /// The names of the tokens that no longer authenticate (revoked or
    /// expired), read every [`REVOCATION_CHECK`] while anyone watches: long
    /// connections end when theirs appears.
    pub fn ended_tokens(self: &std::sync::Arc<Self>) -> tokio::sync::watch::Receiver<Ended> {
        let rx = self.ended.subscribe();
        if !self
            .watching
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let me = self.clone();
            tokio::spawn(async move {
                // Stops once no connection watches; the next one starts it again.
                while me.ended.receiver_count() > 0 {
                    match store::tokens::ended(&me.store, Utc::now()).await {
                        Ok(names) => {
                            let names: std::collections::HashSet<String> =
                                names.into_iter().collect();
                            me.ended.send_if_modified(|old| {
                                let changed = **old != names;
                                if changed {
                                    *old = std::sync::Arc::new(names);
                                }
                                changed
                            });
                        }
                        Err(AppError::Internal(e)) => {
                            tracing::warn!(error = %e, "reading revoked tokens");
                        }
                        Err(_) => {}
                    }
                    tokio::time::sleep(REVOCATION_CHECK).await;
                }
                me.watching
                    .store(false, std::sync::atomic::Ordering::SeqCst);
            });
        }
        rx
    }

    /// Is the server in open development mode (no token in the store)?
    pub async fn open_mode(&self) -> AppResult<bool> {
        if let Ok(guard) = self.open.lock()
            && let Some((open, at)) = *guard
            && (!open || at.elapsed() < OPEN_MODE_RECHECK)
        {
            return Ok(open);
        }
        let open = !store::tokens::any(&self.store).await?;
        if let Ok(mut guard) = self.open.lock() {
            *guard = Some((open, Instant::now()));
        }
        Ok(open)
    }

    /// The caller presenting `token` (or none). In open mode every caller
    /// is the open-mode admin, whatever it presents: there is no token to
    /// check it against, and clients that always send one must work against
    /// a fresh local relgate. Otherwise `UNAUTHENTICATED` for a missing
    /// token, and for any token that is unknown, wrong, expired or revoked
    /// (all alike, so a caller learns nothing).
    pub async fn authenticate(&self, token: Option<&str>) -> AppResult<Principal> {
        let Some(raw) = token else {
            return if self.open_mode().await? {
                Ok(Principal::open_mode())
            } else {
                Err(AppError::Unauthenticated(
                    "an API token is required: send Authorization: Bearer <token>".to_owned(),
                ))
            };
        };
        match self.token_principal(raw).await? {
            Some(principal) => Ok(principal),
            None if self.ignores_credentials().await? => Ok(Principal::open_mode()),
            None => Err(AppError::Unauthenticated(
                "invalid or expired token".to_owned(),
            )),
        }
    }

    /// Whether a presented credential that is not a valid token is to be
    /// ignored: open mode, asked of the store afresh (a token created a
    /// moment ago ends it) unless a token was seen before.
    pub async fn ignores_credentials(&self) -> AppResult<bool> {
        if let Ok(guard) = self.open.lock()
            && let Some((false, _)) = *guard
        {
            return Ok(false);
        }
        let open = !store::tokens::any(&self.store).await?;
        if let Ok(mut guard) = self.open.lock() {
            *guard = Some((open, Instant::now()));
        }
        Ok(open)
    }

    /// The caller of a valid, live token; `None` for any other.
    async fn token_principal(&self, raw: &str) -> AppResult<Option<Principal>> {
        let Some((key_id, secret)) = parse(raw.trim()) else {
            return Ok(None);
        };
        let Some(row) = store::tokens::by_key_id(&self.store, key_id).await? else {
            return Ok(None);
        };
        let matches: bool = digest(secret)
            .as_bytes()
            .ct_eq(row.secret_hash.as_bytes())
            .into();
        let now = Utc::now();
        let live = row.revoked_at.is_none() && row.expires_at.is_none_or(|e| e > now);
        let role = Role::parse(&row.role);
        let Some(role) = role.filter(|_| matches && live) else {
            return Ok(None);
        };
        if row.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
            let store = self.store.clone();
            let id = row.id;
            tokio::spawn(async move {
                if let Err(AppError::Internal(e)) = store::tokens::touch(&store, id).await {
                    tracing::warn!(error = %e, "recording token use");
                }
            });
        }
        Ok(Some(Principal {
            name: row.name,
            role,
            email: row.email,
            origin: Origin::default(),
            request_id: None,
        }))
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_a_fixed_shape() {
        let token = format!("rg_{}.{}", "a".repeat(16), "b".repeat(64));
        assert_eq!(parse(&token), Some(("aaaaaaaaaaaaaaaa", &*"b".repeat(64))));
        for bad in [
            "",
            "rg_",
            "rg_abc.def",
            &token[1..],
            &token.replace('.', "_"),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(
            parse_duration("90d").unwrap(),
            Duration::from_secs(90 * 86_400)
        );
        assert_eq!(
            parse_duration("12h").unwrap(),
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("x1d").is_err());
    }

    #[test]
    fn bearer_headers_parse() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(None), None);
    }
}
