//! What the server lets strangers open: how many live streams one token and one client
//! address may hold, how many file descriptors stay out of the streams' reach, and which
//! web pages may open a stream at all. All are checked before the upgrade, so a refusal
//! is an ordinary problem document (429, 503 or 403) and costs no socket task.

use axum::http::{HeaderMap, header};

/// The most live streams one token may hold open. A wall's display token may drive every
/// screen of a command centre (a few dozen), and when the network blips each screen
/// reconnects while its old socket still counts until the server notices it is dead (up
/// to `connection::SILENCE_LIMIT`), so the cap leaves room for twice a large centre with
/// margin; a stolen or looping token still cannot take more than a sliver of the server.
pub const DEFAULT_PER_TOKEN: usize = 200;
/// The most live streams from one client address. Screens behind one NAT share an
/// address, so this is higher than the token cap: a few centres' walls behind one
/// gateway fit, one misbehaving host does not hold thousands of sockets. Behind a reverse
/// proxy every stream comes from the proxy's address: raise it there, and let the proxy
/// limit per client (see `http::client`).
pub const DEFAULT_PER_ADDRESS: usize = 500;
/// File descriptors kept for everything that is not a live stream: HTTP connections
/// (each wall also loads pages, maps and charts), the store's files and sockets, logs,
/// uploads. Streams are refused once only this many are left.
pub const DEFAULT_FD_RESERVE: usize = 256;

/// The limits of `GET /ws`; `WsLimits::default()` is what `qingfeng serve` runs unless told
/// otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsLimits {
    /// The most live streams one token (by its hash) may hold; the next is refused 429.
    pub per_token: usize,
    /// The most live streams one client address may hold; the next is refused 429.
    pub per_address: usize,
    /// Descriptors left for everything else: streams are refused 503 once the live ones
    /// reach the open-file limit less this.
    pub fd_reserve: usize,
    /// The origins (`https://wall.example.gov`) whose pages may open a stream. Empty:
    /// only pages the request's own `Host` serves (the screens this server hands out).
    /// A deployment whose proxy rewrites `Host` lists its public origin here.
    pub allowed_origins: Vec<String>,
}

impl Default for WsLimits {
    fn default() -> WsLimits {
        WsLimits {
            per_token: DEFAULT_PER_TOKEN,
            per_address: DEFAULT_PER_ADDRESS,
            fd_reserve: DEFAULT_FD_RESERVE,
            allowed_origins: Vec::new(),
        }
    }
}

impl WsLimits {
    /// The `Origin` of the upgrade if it is one whose pages may not open a stream.
    ///
    /// Browsers send `Origin` with every WebSocket handshake and also send the site's
    /// cookies, whichever page asks; without this check any web page a signed-in user
    /// visits could open the live stream with the user's cookie. Clients that are not
    /// browsers send no `Origin`; they are let through here and still need a token.
    pub fn refused_origin(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok());
        headers.get_all(header::ORIGIN).iter().find_map(|value| {
            let origin = value.to_str().unwrap_or("");
            (!self.allows(origin, host)).then(|| origin.to_string())
        })
    }

    fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim().trim_end_matches('/');
        if !self.allowed_origins.is_empty() {
            let listed = self.allowed_origins.iter();
            return listed
                .map(|a| a.trim().trim_end_matches('/'))
                .any(|a| a.eq_ignore_ascii_case(origin));
        }
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return false;
        };
        let same_host = |scheme: &str| {
            origin
                .strip_prefix(scheme)
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        };
        same_host("http://") || same_host("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: Option<&str>, origins: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, host.parse().unwrap());
        }
        for origin in origins {
            headers.append(header::ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn by_default_only_pages_of_the_requested_host_may_open_a_stream() {
        let limits = WsLimits::default();
        let host = Some("wall.example:8080");
        for allowed in ["http://wall.example:8080", "https://WALL.example:8080"] {
            assert_eq!(
                limits.refused_origin(&headers(host, &[allowed])),
                None,
                "{allowed}"
            );
        }
        for refused in [
            "http://evil.example",
            "http://wall.example",
            "http://wall.example:8080.evil.example",
            "null",
            "wall.example:8080",
        ] {
            let got = limits.refused_origin(&headers(host, &[refused]));
            assert_eq!(got.as_deref(), Some(refused));
        }
        let without_host = headers(None, &["http://wall.example:8080"]);
        assert!(limits.refused_origin(&without_host).is_some());
    }

    #[test]
    fn a_client_sending_no_origin_is_not_a_browser_and_passes() {
        let limits = WsLimits::default();
        assert_eq!(limits.refused_origin(&headers(Some("a"), &[])), None);
        assert_eq!(limits.refused_origin(&headers(None, &[])), None);
    }

    #[test]
    fn configured_origins_replace_the_same_host_default() {
        let limits = WsLimits {
            allowed_origins: vec!["https://wall.example.gov/".to_string()],
            ..WsLimits::default()
        };
        let host = Some("10.0.0.5:8080");
        assert_eq!(
            limits.refused_origin(&headers(host, &["https://wall.example.gov"])),
            None
        );
        let same_host = headers(host, &["http://10.0.0.5:8080"]);
        assert!(limits.refused_origin(&same_host).is_some());
        let one_bad = headers(host, &["https://wall.example.gov", "http://evil.example"]);
        assert_eq!(
            limits.refused_origin(&one_bad).as_deref(),
            Some("http://evil.example")
        );
    }
}
