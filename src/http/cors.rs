//! Which other origins may call relgate from a browser (CORS), and the
//! `Origin` check of WebSocket upgrades.
//!
//! Configured with `--cors-origin` (repeatable; `RELGATE_CORS_ORIGINS`,
//! comma-separated). Each value is an exact origin (`https://app.example.com`,
//! `http://localhost:5173`), or `*`:
//! - listed origins get their own origin back in
//!   `Access-Control-Allow-Origin`, with `Access-Control-Allow-Credentials:
//!   true` (a frontend may send cookies or `credentials: 'include'`);
//! - `*` lets every other origin in without credentials: alone it answers
//!   `Access-Control-Allow-Origin: *`; beside listed origins the others get
//!   their origin mirrored, still without credentials. It is meant for public
//!   read-only deployments: a page on any origin can call relgate only with a
//!   token it holds itself, never with the browser's ambient credentials;
//! - with none configured no CORS header is sent, so browsers let only pages
//!   of relgate's own origin read its answers (the playground), and a
//!   preflight is refused (405).
//!
//! Preflights are answered for the methods the API takes and the headers its
//! clients send (`content-type`, `authorization`, the dialects' own headers,
//! Apollo's client headers), cached by browsers for [`MAX_AGE`]; answers
//! expose the request id and relgate's own headers. Browsers do not apply
//! CORS to WebSocket upgrades, so [`CorsPolicy::allows_upgrade`] checks their
//! `Origin` against the same list (same-origin and non-browser clients pass).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// The request headers a cross-origin page may send.
const ALLOWED_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "x-request-id",
    // Copper
    "x-pw-accesstoken",
    "x-pw-application",
    "x-pw-useremail",
    // Umbraco
    "api-key",
    "api-version",
    "umb-project-alias",
    // Apollo Client and its tools
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
];

/// The response headers a cross-origin page may read.
const EXPOSED_HEADERS: &[&str] = &[
    "x-request-id",
    "x-relgate-sql-statements",
    "x-relgate-executor",
    "www-authenticate",
    "retry-after",
];

/// The methods of `/graphql` and the dialects.
const METHODS: &[Method] = &[
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The origins allowed to call relgate from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    /// Exact origins, as browsers send them (`scheme://host[:port]`).
    listed: Vec<HeaderValue>,
    /// `*` was configured: every origin, without credentials.
    any: bool,
}

/// `value` as an origin a browser sends: `scheme://host[:port]`, lower-case,
/// no path, no trailing slash.
fn parse_origin(value: &str) -> Result<HeaderValue, String> {
    let v = value.trim();
    let bad = || {
        format!(
            "--cors-origin {value:?} is not an origin like https://app.example.com or \
             http://localhost:5173 (scheme and host, an optional port, nothing after it), nor *"
        )
    };
    let (scheme, rest) = v.split_once("://").ok_or_else(bad)?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(bad());
    }
    HeaderValue::from_str(&v.to_ascii_lowercase()).map_err(|_| bad())
}

impl CorsPolicy {
    /// The policy of the `--cors-origin` values.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut policy = Self::default();
        for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            if v == "*" {
                policy.any = true;
            } else {
                let origin = parse_origin(v)?;
                if !policy.listed.contains(&origin) {
                    policy.listed.push(origin);
                }
            }
        }
        Ok(policy)
    }

    /// Whether any other origin is allowed at all.
    pub fn is_enabled(&self) -> bool {
        self.any || !self.listed.is_empty()
    }

    fn is_listed(&self, origin: &HeaderValue) -> bool {
        let lower = origin.to_str().map(str::to_ascii_lowercase);
        self.listed
            .iter()
            .any(|l| lower.as_deref().is_ok_and(|o| l.as_bytes() == o.as_bytes()))
    }

    /// The tower-http layer of this policy; `None` when no origin is
    /// configured (same-origin only).
    pub fn layer(&self) -> Option<CorsLayer> {
        if !self.is_enabled() {
            return None;
        }
        let names = |list: &'static [&'static str]| -> Vec<HeaderName> {
            list.iter().map(|h| HeaderName::from_static(h)).collect()
        };
        let layer = CorsLayer::new()
            .allow_methods(METHODS.to_vec())
            .allow_headers(names(ALLOWED_HEADERS))
            .expose_headers(names(EXPOSED_HEADERS))
            .max_age(MAX_AGE);
        Some(match (self.any, self.listed.is_empty()) {
            // `*` alone: the literal wildcard, which never carries credentials.
            (true, true) => layer.allow_origin(AllowOrigin::any()),
            // `*` beside listed origins: every origin mirrored, credentials
            // for the listed ones only.
            (true, false) => {
                let policy = self.clone();
                layer
                    .allow_origin(AllowOrigin::mirror_request())
                    .allow_credentials(AllowCredentials::predicate(move |origin, _| {
                        policy.is_listed(origin)
                    }))
            }
            (false, _) => {
                let (origins, credentials) = (self.clone(), self.clone());
                layer
                    .allow_origin(AllowOrigin::predicate(move |origin, _| {
                        origins.is_listed(origin)
                    }))
                    .allow_credentials(AllowCredentials::predicate(move |origin, _| {
                        credentials.is_listed(origin)
                    }))
            }
        })
    }

    /// Whether a WebSocket upgrade with these headers may proceed: no
    /// `Origin` (not a browser), the server's own origin, or one this policy
    /// allows.
    pub fn allows_upgrade(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        if self.any || self.is_listed(origin) {
            return true;
        }
        // Same origin: the Origin's authority is the Host the request reached.
        let authority = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, a)| a.to_ascii_lowercase());
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        matches!((authority, host), (Some(a), Some(h)) if a == h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn origins_parse_exactly() {
        let p = CorsPolicy::parse(&["https://App.example.com".into(), "*".into()]).unwrap();
        assert!(p.any);
        assert_eq!(
            p.listed,
            vec![HeaderValue::from_static("https://app.example.com")]
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "ftp://x",
            "null",
            "https://",
        ] {
            assert!(CorsPolicy::parse(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(!CorsPolicy::parse(&[]).unwrap().is_enabled());
        assert!(CorsPolicy::parse(&[]).unwrap().layer().is_none());
    }

    #[test]
    fn upgrades_pass_for_listed_same_origin_and_non_browser_clients() {
        let p = CorsPolicy::parse(&["http://localhost:5173".into()]).unwrap();
        assert!(p.allows_upgrade(&headers(None, "127.0.0.1:8080")));
        assert!(p.allows_upgrade(&headers(Some("http://localhost:5173"), "127.0.0.1:8080")));
        assert!(p.allows_upgrade(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080")));
        assert!(!p.allows_upgrade(&headers(Some("http://evil.example"), "127.0.0.1:8080")));
        let any = CorsPolicy::parse(&["*".into()]).unwrap();
        assert!(any.allows_upgrade(&headers(Some("http://evil.example"), "127.0.0.1:8080")));
    }
}
