//! What an operator tunes about the portal's security and its domains' share of the bulk work, read
//! once at start-up (flags or environment, `switchboard --help`) and shared by every request through
//! `AppState`. The defaults are the ones the README's Security section promises.

use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The portal's address as its users reach it (`PUBLIC_URL`), if the operator said.
    pub public_url: Option<PublicUrl>,
    /// The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
    pub signin: SigninLimits,
    pub sessions: SessionLimits,
    pub connections: ConnectionLimits,
    pub streams: StreamLimits,
    pub bulk: BulkLimits,
}

impl Settings {
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|proxy| proxy.contains(&peer))
    }

    /// Whether the portal is served over https by the operator's word: then its cookie is always
    /// `Secure`, named `__Host-…`, and every response asks browsers to keep to https.
    pub fn https(&self) -> bool {
        self.public_url.as_ref().is_some_and(PublicUrl::https)
    }

    /// Where the portal is reached, for addresses handed to others (the SCIM base URL): `PUBLIC_URL`,
    /// or else the host a request (with `headers`, over https or not) was sent to.
    pub fn site(&self, headers: &http::HeaderMap, https: bool) -> String {
        match &self.public_url {
            Some(url) => url.base().trim_end_matches('/').to_string(),
            None => {
                let host = headers.get(http::header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("localhost");
                format!("{}://{host}", if https { "https" } else { "http" })
            }
        }
    }
}

/// A setting's length of time as chrono counts it, for arithmetic on the database's timestamps. Settings
/// are bounded far below the century this caps them at.
pub fn span(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(36_500)).min(chrono::Duration::days(36_500))
}

/// How many failed sign-ins lock a login, or a client address, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigninLimits {
    pub per_login: Limit,
    pub per_addr: Limit,
    /// Failures older than this no longer count.
    pub window: Duration,
    /// Sign-ins that may be checked or wait to be at once (`passwords::Queue`); beyond, 429 at once.
    pub queue: usize,
}

impl Default for SigninLimits {
    fn default() -> Self {
        let fifteen_minutes = Duration::from_secs(15 * 60);
        SigninLimits {
            per_login: Limit { max_failures: 10, lock: fifteen_minutes },
            per_addr: Limit { max_failures: 50, lock: fifteen_minutes },
            window: fifteen_minutes,
            queue: crate::server::auth::passwords::Queue::default_places(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The failure that reaches this count locks.
    pub max_failures: u32,
    pub lock: Duration,
}

/// How long a session lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// It ends after this long unused (every request renews it).
    pub idle: Duration,
    /// And this long after sign-in, used or not.
    pub max: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { idle: Duration::from_secs(30 * 60), max: Duration::from_secs(12 * 60 * 60) }
    }
}

/// How long a client may take to send a request: slow or silent clients must not hold connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// To send a request's headers, from connecting or from the last answer on the connection.
    pub header_read: Duration,
    /// To send a request's body.
    pub body_read: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_read: Duration::from_secs(15), body_read: Duration::from_secs(30) }
    }
}

/// What one session may ask of the progress streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// Streams one session may have open on one replica at once (a page's banner and its dialog, in a
    /// few tabs); beyond it, 429.
    pub per_session: usize,
    /// How often an open stream looks at its session again, whether or not it has news to send: a
    /// stream ends within this long of its session ending.
    pub session_check: Duration,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits { per_session: 8, session_check: Duration::from_secs(5) }
    }
}

/// What one domain's bulk jobs may take of the workers of every replica, so that no tenant holds the
/// others back (`tasks::share`) or overwhelms the phone system behind it (`bulk::rate`); the worker
/// keeps them, and a job's progress says when it waits for them (`bulk::waiting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkLimits {
    /// Jobs of one domain that make progress at once; its later ones wait for a place.
    pub jobs_per_domain: usize,
    /// Users of one domain processed in any hour, by every replica together; none: no limit.
    pub users_per_hour: Option<u32>,
}

impl Default for BulkLimits {
    fn default() -> Self {
        BulkLimits { jobs_per_domain: 3, users_per_hour: None }
    }
}

/// `PUBLIC_URL`, checked: an http or https address with a host, where the links in emails point and the
/// only origin that may send the portal a request that changes something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// Without a trailing slash, for building links.
    base: String,
    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    origin: String,
    https: bool,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let url =
            url::Url::parse(text.trim()).map_err(|err| format!("PUBLIC_URL {text:?} is not an address: {err}"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("PUBLIC_URL must start with http:// or https://, not {other}://")),
        };
        if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
            return Err(format!("PUBLIC_URL {text:?} must be a plain address like https://pbx.example.com"));
        }
        Ok(PublicUrl {
            base: url.as_str().trim_end_matches('/').to_string(),
            origin: url.origin().ascii_serialization(),
            https,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn https(&self) -> bool {
        self.https
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_gives_its_origin_as_browsers_send_it() {
        let url = PublicUrl::parse("https://PBX.example.com:443/portal/").unwrap();
        assert_eq!(
            (url.base(), url.origin(), url.https()),
            ("https://pbx.example.com/portal", "https://pbx.example.com", true)
        );
        let url = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!((url.base(), url.origin(), url.https()), ("http://127.0.0.1:3000", "http://127.0.0.1:3000", false));
        for bad in ["pbx.example.com", "ftp://pbx.example.com", "https://pbx.example.com/?a=1", "https://"] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_listed_proxies_are_trusted() {
        let settings = Settings {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            ..Settings::default()
        };
        assert!(settings.trusts("10.1.2.3".parse().unwrap()));
        assert!(settings.trusts("::1".parse().unwrap()));
        assert!(!settings.trusts("192.168.1.1".parse().unwrap()));
        assert!(!Settings::default().trusts("127.0.0.1".parse().unwrap()));
    }
}
