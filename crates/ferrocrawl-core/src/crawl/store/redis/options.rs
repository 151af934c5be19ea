//! The `frontier=` URL: where the shared crawl lives and how its store is tuned.
//!
//! ```text
//! redis://[user:password@]host:port[/db][?lease=30&partitions=1&seen=exact&expected=1000000]
//! redis+cluster://host:port,host:port,...[?...]        (Redis Cluster; partitions default 16)
//! ```
//! `seen=bloom&fp_rate=0.001` keeps the seen-set as a Bloom filter on a plain Redis bitmap
//! (Debian's redis-server has no RedisBloom module). The first worker of a crawl fixes
//! `partitions`, `seen`, `expected` and `fp_rate` in Redis; later workers use those.

use std::time::Duration;

use crate::error::redact;
use crate::{Error, Result};

/// Partitions of a crawl on Redis Cluster when the URL does not say: enough to spread over
/// a few masters (each partition is one hash slot).
const CLUSTER_PARTITIONS: u32 = 16;
/// Most partitions (a worker polls each one).
const MAX_PARTITIONS: u32 = 1024;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeenKind {
    /// Exact 64-bit fingerprints in bucketed Redis sets.
    Exact,
    /// A Bloom filter with this false-positive rate at `expected` URLs.
    Bloom { fp_rate: f64 },
}

#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The URL as given, password redacted: for messages.
    pub display: String,
    /// One `redis://` URL per node (one unless a cluster).
    pub nodes: Vec<String>,
    pub cluster: bool,
    /// `None`: 1 on a single server, 16 on a cluster (or what the crawl already uses).
    pub partitions: Option<u32>,
    pub seen: SeenKind,
    /// URLs the seen-set is sized for.
    pub expected: u64,
    /// A lease not renewed for this long goes back to the queue.
    pub lease: Duration,
}

impl RedisOptions {
    pub fn parse(url: &str) -> Result<RedisOptions> {
        let display = redact(url).into_owned();
        let bad = |reason: String| Error::InvalidUrl { url: display.clone(), reason };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("not a URL".into()))?;
        let cluster = match scheme.to_ascii_lowercase().as_str() {
            "redis" => false,
            "redis+cluster" => true,
            "rediss" | "rediss+cluster" => return Err(bad("TLS to Redis is not supported yet".into())),
            other => return Err(bad(format!("scheme {other:?} is not redis or redis+cluster"))),
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((user, hosts)) => (Some(user), hosts),
            None => (None, rest),
        };
        let (hosts, db) = rest.split_once('/').unwrap_or((rest, ""));
        if cluster && !db.is_empty() && db != "0" {
            return Err(bad("Redis Cluster has database 0 only".into()));
        }
        if !db.is_empty() && db.parse::<u32>().is_err() {
            return Err(bad(format!("database {db:?} is not a number")));
        }
        let hosts: Vec<&str> = hosts.split(',').filter(|h| !h.is_empty()).collect();
        if hosts.is_empty() || (!cluster && hosts.len() > 1) {
            return Err(bad("give one host:port (several only with redis+cluster://)".into()));
        }
        let auth = userinfo.map_or(String::new(), |u| format!("{u}@"));
        let db = if db.is_empty() { String::new() } else { format!("/{db}") };
        let nodes = hosts.iter().map(|h| format!("redis://{auth}{h}{db}")).collect();

        let mut opts = RedisOptions {
            display: display.clone(),
            nodes,
            cluster,
            partitions: None,
            seen: SeenKind::Exact,
            expected: 1_000_000,
            lease: Duration::from_secs(30),
        };
        let mut fp_rate = None;
        let mut bloom = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let number = || value.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0);
            let invalid = || bad(format!("{key}={value:?} is not a valid value"));
            match key {
                "lease" => opts.lease = Duration::from_secs_f64(number().ok_or_else(invalid)?),
                "partitions" => {
                    let n = value.parse::<u32>().ok().filter(|n| (1..=MAX_PARTITIONS).contains(n));
                    opts.partitions = Some(n.ok_or_else(invalid)?);
                }
                "expected" => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let n = number().map(|v| v as u64).filter(|v| *v >= 1);
                    opts.expected = n.ok_or_else(invalid)?;
                }
                "seen" => match value {
                    "exact" => bloom = false,
                    "bloom" => bloom = true,
                    _ => return Err(invalid()),
                },
                "fp_rate" => fp_rate = Some(number().filter(|v| *v < 0.5).ok_or_else(invalid)?),
                _ => return Err(bad(format!("unknown option {key:?}"))),
            }
        }
        if bloom {
            opts.seen = SeenKind::Bloom { fp_rate: fp_rate.unwrap_or(0.001) };
        } else if fp_rate.is_some() {
            return Err(bad("fp_rate= goes with seen=bloom".into()));
        }
        Ok(opts)
    }

    /// Partitions for a new crawl.
    pub fn default_partitions(&self) -> u32 {
        self.partitions.unwrap_or(if self.cluster { CLUSTER_PARTITIONS } else { 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_server_with_options() {
        let o =
            RedisOptions::parse("redis://:pw@127.0.0.1:6380/2?lease=2.5&seen=bloom&fp_rate=0.01").unwrap();
        assert_eq!(o.nodes, ["redis://:pw@127.0.0.1:6380/2"]);
        assert!(!o.cluster);
        assert_eq!(o.lease, Duration::from_millis(2500));
        assert_eq!(o.seen, SeenKind::Bloom { fp_rate: 0.01 });
        assert_eq!(o.default_partitions(), 1);
        assert!(!o.display.contains("pw"));
    }

    #[test]
    fn cluster_nodes() {
        let o = RedisOptions::parse("redis+cluster://127.0.0.1:7000,127.0.0.1:7001?partitions=6").unwrap();
        assert_eq!(o.nodes, ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]);
        assert_eq!(o.default_partitions(), 6);
    }

    #[test]
    fn mistakes_are_named() {
        for (url, needle) in [
            ("http://127.0.0.1:6379", "scheme"),
            ("redis://a:1,b:2", "one host"),
            ("redis://127.0.0.1:6379/x", "database"),
            ("redis://127.0.0.1:6379?lease=0", "lease"),
            ("redis://127.0.0.1:6379?colour=red", "unknown option"),
            ("redis://127.0.0.1:6379?fp_rate=0.1", "seen=bloom"),
            ("redis://127.0.0.1:6379?partitions=0", "partitions"),
        ] {
            let e = RedisOptions::parse(url).unwrap_err().to_string();
            assert!(e.contains(needle), "{url}: {e}");
        }
    }
}
