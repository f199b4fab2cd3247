//! Who is at the other end of a request: the client's address, and whether it came over https. What a
//! proxy says about either (`X-Forwarded-For`, `X-Forwarded-Proto`) is believed only when the request
//! comes from a proxy the operator trusts (`TRUSTED_PROXIES`); anyone else could write those headers.

use crate::server::settings::Settings;
use http::HeaderMap;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address, if known (it is not for requests that did not come over a socket).
    pub addr: Option<IpAddr>,
    /// Whether the browser reached the portal over https (directly, or through a trusted proxy).
    pub https: bool,
}

/// More hops than a real chain of proxies has; the rest of a longer header is not read.
const MAX_HOPS: usize = 16;

impl Client {
    /// The client of a request from `peer` (the socket's other end) with `headers`, received over https
    /// when `tls`.
    pub fn of(settings: &Settings, peer: Option<IpAddr>, headers: &HeaderMap, tls: bool) -> Client {
        let Some(peer) = peer.filter(|&peer| settings.trusts(peer)) else {
            return Client { addr: peer, https: tls };
        };
        let https = tls || header(headers, "x-forwarded-proto").is_some_and(|proto| proto.trim() == "https");
        Client { addr: Some(forwarded_for(settings, headers).unwrap_or(peer)), https }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The client named by `X-Forwarded-For`: each proxy appends the address it got the request from, so
/// the list is read from the right, past our trusted proxies, to the first address they did not vouch
/// for. A hop that is not an address ends the reading there.
fn forwarded_for(settings: &Settings, headers: &HeaderMap) -> Option<IpAddr> {
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = None;
    for hop in hops.iter().rev().take(MAX_HOPS) {
        let Ok(addr) = hop.trim().parse::<IpAddr>() else { break };
        client = Some(addr);
        if !settings.trusts(addr) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn behind(proxies: &[&str]) -> Settings {
        Settings { trusted_proxies: proxies.iter().map(|p| p.parse().unwrap()).collect(), ..Settings::default() }
    }

    const PEER: &str = "10.0.0.5";

    fn client(settings: &Settings, pairs: &[(&'static str, &str)]) -> Client {
        Client::of(settings, Some(PEER.parse().unwrap()), &headers(pairs), false)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let said = [("x-forwarded-for", "203.0.113.9"), ("x-forwarded-proto", "https")];
        let seen = client(&Settings::default(), &said);
        assert_eq!(seen, Client { addr: Some(PEER.parse().unwrap()), https: false });
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_scheme() {
        let settings = behind(&["10.0.0.0/8"]);
        let seen = client(&settings, &[("x-forwarded-for", "203.0.113.9, 10.0.0.7"), ("x-forwarded-proto", "https")]);
        assert_eq!(seen, Client { addr: Some("203.0.113.9".parse().unwrap()), https: true });
    }

    #[test]
    fn a_client_cannot_pass_itself_off_as_another_by_prepending() {
        // The client wrote "198.51.100.1" itself; the proxy appended the address it really came from.
        let settings = behind(&["10.0.0.0/8"]);
        let seen = client(&settings, &[("x-forwarded-for", "198.51.100.1, 203.0.113.9")]);
        assert_eq!(seen.addr, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn garbage_in_the_header_ends_the_reading_and_no_header_means_the_proxy_itself() {
        let settings = behind(&["10.0.0.0/8"]);
        assert_eq!(
            client(&settings, &[("x-forwarded-for", "<script>, 203.0.113.9")]).addr,
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(client(&settings, &[("x-forwarded-for", "not an address")]).addr, Some(PEER.parse().unwrap()));
        assert_eq!(client(&settings, &[]).addr, Some(PEER.parse().unwrap()));
    }
}
