//! `block_private_networks`: requests reach only public IP addresses, so a URL from a page
//! (or a redirect, or a DNS answer) cannot steer the crawler at loopback, the LAN or a cloud
//! metadata service (SSRF).
//!
//! Every hop is checked twice: a host written as an address is checked before the request
//! goes out ([`NetGuard::check_url`]), and a host name is checked on what DNS answered
//! ([`GuardedResolver`]), at connect time, so a name that resolves to a private address
//! (DNS rebinding) is refused as well.
//!
//! The address table is written out here because `IpAddr::is_global` is still unstable in
//! std, and the crates that offer one either lag the IANA registries or pull in a resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

/// Which addresses requests may connect to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetGuard {
    /// Networks allowed although not public (an internal service the crawl must reach).
    pub allow: Vec<IpNet>,
}

/// A refused address, carried through reqwest's error chain from the resolver so the
/// client can tell it from a DNS failure by type.
#[derive(Debug)]
pub struct Blocked {
    pub addr: IpAddr,
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a public address (block_private_networks=True)", self.addr)
    }
}

impl std::error::Error for Blocked {}

impl NetGuard {
    pub fn allows(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        is_public(addr) || self.allow.iter().any(|net| net.contains(&addr))
    }

    /// A URL whose host is an address is refused here; a name is left to the resolver.
    pub fn check_url(&self, url: &Url) -> Result<(), Blocked> {
        let addr = match url.host() {
            Some(Host::Ipv4(a)) => IpAddr::V4(a),
            Some(Host::Ipv6(a)) => IpAddr::V6(a),
            Some(Host::Domain(_)) | None => return Ok(()),
        };
        if self.allows(addr) {
            Ok(())
        } else {
            Err(Blocked { addr })
        }
    }

    /// The answers this guard allows; an error naming one refused address when none is left
    /// (a name with one public and one private address connects to the public one only).
    pub fn filter(&self, addrs: impl Iterator<Item = SocketAddr>) -> Result<Vec<SocketAddr>, Blocked> {
        let mut refused = None;
        let kept: Vec<SocketAddr> = addrs
            .filter(|a| {
                let ok = self.allows(a.ip());
                if !ok {
                    refused.get_or_insert(a.ip());
                }
                ok
            })
            .collect();
        match (kept.is_empty(), refused) {
            (true, Some(addr)) => Err(Blocked { addr }),
            _ => Ok(kept),
        }
    }
}

/// A network as `10.0.0.0/8` or `fd00::/8`, or one address.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP network (e.g. \"10.0.0.0/8\") or address"))
}

/// The system resolver (getaddrinfo on a blocking thread, as reqwest's default), with the
/// answers passed through the guard.
#[derive(Debug)]
pub struct GuardedResolver(pub Arc<NetGuard>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept = guard.filter(addrs)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An IPv6 address that carries an IPv4 one (mapped `::ffff:a.b.c.d`, NAT64, 6to4) is judged
/// by the IPv4 address it reaches.
fn canonical(addr: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = addr else { return addr };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let embedded = |hi: u16, lo: u16| IpAddr::V4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match s {
        // NAT64 (RFC 6052) | 6to4 (RFC 3056)
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] | [0x2002, hi, lo, ..] => embedded(hi, lo),
        _ => addr,
    }
}

/// Not in any special-purpose block of the IANA registries that a crawler must not reach:
/// loopback, private, shared (CGNAT), link-local (cloud metadata at 169.254.169.254),
/// unspecified, broadcast, multicast, documentation, benchmarking and reserved ranges.
pub fn is_public(addr: IpAddr) -> bool {
    match canonical(addr) {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    !(o0 == 0                                     // "this network" (0.0.0.0/8)
        || a.is_private()                         // 10/8, 172.16/12, 192.168/16
        || a.is_loopback()                        // 127/8
        || a.is_link_local()                      // 169.254/16
        || (o0 == 100 && (o1 & 0xc0) == 64)       // shared address space, 100.64/10
        || (o0 == 192 && o1 == 0 && o2 == 0)      // IETF protocol assignments, 192.0.0/24
        || a.is_documentation()                   // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (o0 == 198 && (o1 & 0xfe) == 18)       // benchmarking, 198.18/15
        || a.is_multicast()                       // 224/4
        || o0 >= 240) // reserved 240/4 and broadcast
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()                                    // ff00::/8
        || (s[0] & 0xfe00) == 0xfc00                           // unique local, fc00::/7
        || (s[0] & 0xffc0) == 0xfe80                           // link-local, fe80::/10
        || (s[0] & 0xffc0) == 0xfec0                           // site-local (deprecated), fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8)                  // documentation, 2001:db8::/32
        || (s[0] == 0x2001 && s[1] == 0)                       // Teredo, 2001::/32: tunnels anywhere
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])            // discard-only, 100::/64
        || (s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated), ::/96
        || (s[0] & 0xe000) != 0x2000) // outside global unicast 2000::/3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_and_special_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
        ] {
            assert!(!is_public(ip(a)), "{a} counted as public");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(a)), "{a} counted as private");
        }
    }

    #[test]
    fn urls_with_address_hosts_are_checked_and_names_left_to_the_resolver() {
        let guard = NetGuard::default();
        let check = |u: &str| guard.check_url(&Url::parse(u).unwrap()).is_ok();
        assert!(!check("http://127.0.0.1:8080/"));
        // the URL parser normalises the spellings browsers accept to the address they mean
        assert!(!check("http://0x7f.1/"));
        assert!(!check("http://2130706433/"));
        assert!(!check("http://[::ffff:7f00:1]/"));
        assert!(!check("http://[fe80::1]/"));
        assert!(check("http://8.8.8.8/"));
        assert!(check("http://localhost/"), "names are the resolver's job");
    }

    #[test]
    fn allowed_networks_pass_and_nothing_else_does() {
        let guard = NetGuard { allow: vec!["127.0.0.1/32".parse().unwrap(), "10.1.0.0/16".parse().unwrap()] };
        assert!(guard.allows(ip("127.0.0.1")));
        assert!(guard.allows(ip("::ffff:127.0.0.1")));
        assert!(guard.allows(ip("10.1.200.3")));
        assert!(!guard.allows(ip("127.0.0.2")));
        assert!(!guard.allows(ip("10.2.0.1")));
    }

    #[test]
    fn dns_answers_keep_the_public_ones_and_refuse_when_none_is_left() {
        let guard = NetGuard::default();
        let sock = |s: &str| SocketAddr::new(ip(s), 80);
        let kept = guard.filter([sock("10.0.0.1"), sock("8.8.8.8")].into_iter()).unwrap();
        assert_eq!(kept, vec![sock("8.8.8.8")]);
        let err = guard.filter([sock("127.0.0.1"), sock("::1")].into_iter()).unwrap_err();
        assert_eq!(err.addr, ip("127.0.0.1"));
        assert!(err.to_string().contains("block_private_networks"));
    }

    #[tokio::test]
    async fn the_resolver_refuses_localhost() {
        use reqwest::dns::Resolve;
        let resolver = GuardedResolver(Arc::new(NetGuard::default()));
        let Err(err) = resolver.resolve("localhost".parse().unwrap()).await else {
            panic!("localhost resolved through the guard");
        };
        assert!(err.is::<Blocked>(), "{err}");
    }
}
