//! Who the client is: the signed-in user, and the address every per-address limit counts.
//!
//! The address is the connection's peer, unless that peer is one of the configured trusted proxies
//! (`trusted_proxies`, none by default): then it is the right-most address of `X-Forwarded-For`
//! that is not itself a trusted proxy. Addresses further left are whatever the client wrote, so
//! they are never believed.

use std::net::IpAddr;

/// A request's client, kept in the plugin context for the later hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub user: Option<i64>,
    pub addr: Option<IpAddr>,
}

impl Client {
    /// The subject of per-user limits: the user, else the address.
    pub fn key(&self) -> String {
        match (self.user, self.addr) {
            (Some(id), _) => format!("u{id}"),
            (None, Some(addr)) => format!("a{addr}"),
            (None, None) => "anonymous".to_owned(),
        }
    }

    /// The subject of per-address limits: the address, else the user.
    pub fn addr_key(&self) -> String {
        self.addr.map_or_else(|| self.key(), |a| format!("a{a}"))
    }
}

/// The client's address given the connection's `peer`, the `X-Forwarded-For` header values and
/// the trusted proxies.
pub fn address<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    Some(
        hops.into_iter()
            .rev()
            .find(|hop| !trusted.contains(hop))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        assert_eq!(
            address(Some(ip("198.51.100.4")), ["203.0.113.9"], &trusted),
            Some(ip("198.51.100.4")),
            "a client that is no proxy cannot choose its address"
        );
        assert_eq!(
            address(Some(proxy), ["1.2.3.4, 203.0.113.9, 10.0.0.3"], &trusted),
            Some(ip("203.0.113.9")),
            "the right-most hop that is not a trusted proxy"
        );
        assert_eq!(
            address(Some(proxy), ["junk", "2001:db8::7"], &trusted),
            Some(ip("2001:db8::7"))
        );
        assert_eq!(address(Some(proxy), [], &trusted), Some(proxy));
        assert_eq!(
            address(Some(proxy), ["203.0.113.9"], &[]),
            Some(proxy),
            "off by default"
        );
        assert_eq!(address(None, ["203.0.113.9"], &trusted), None);
    }
}
