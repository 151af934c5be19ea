//! Bytes per URL of the Redis frontier at N URLs (default 1 000 000): queued (queue + seen-set)
//! and done (seen-set only), from `INFO memory` of a server used by nothing else.
//!
//! ```text
//! redis-server --port 6390 --save '' &
//! cargo run --release -p ferrocrawl-core --example redis_bytes_per_url -- \
//!     'redis://127.0.0.1:6390/0' 1000000
//! cargo run ... -- 'redis://127.0.0.1:6390/0?seen=bloom&fp_rate=0.001' 1000000
//! ```
//! `bench/redis_frontier_memory.py` starts the servers and prints both as a table.

use std::time::{Duration, Instant};

use ferrocrawl_core::crawl::canon::fingerprint;
use ferrocrawl_core::crawl::frontier::{Frontier, Politeness, Request};
use ferrocrawl_core::crawl::store::RedisFrontier;
use url::Url;

/// Hosts the URLs are spread over (a broad crawl's queue is per host).
const HOSTS: usize = 1000;
const BATCH: usize = 5000;

async fn used_memory(url: &str) -> u64 {
    let base = url.split('?').next().unwrap_or(url);
    let client = redis::Client::open(base).expect("a redis:// URL");
    let mut conn = client.get_multiplexed_async_connection().await.expect("redis reachable");
    let info: String = redis::cmd("INFO").arg("memory").query_async(&mut conn).await.expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory in INFO")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "redis://127.0.0.1:6390/0".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let name = format!("bytes{}", std::process::id());
    let before = used_memory(&url).await;
    let polite = Politeness { per_host: usize::MAX, delay: Duration::ZERO };
    let mut f = RedisFrontier::open(&url, &name, polite).await.expect("open");
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(BATCH) {
        let reqs = chunk
            .iter()
            .map(|i| {
                let url =
                    Url::parse(&format!("http://host{}.example/section/{}/page-{i}.html", i % HOSTS, i / 97))
                        .expect("valid URL");
                (fingerprint(&url), Request::new(url, 1))
            })
            .collect();
        f.push(reqs).await.expect("push");
        f.flush().await.expect("flush");
    }
    let pushed = started.elapsed();
    let queued = used_memory(&url).await - before;
    // Distinct URLs the seen-set let through: below n only by a Bloom filter's false positives.
    let kept = f.counts().queued;
    let started = Instant::now();
    loop {
        let leases = f.pop(Instant::now(), BATCH).await.expect("pop");
        if leases.is_empty() && f.counts().queued == 0 {
            break;
        }
        let ids: Vec<u64> = leases.iter().map(|l| l.id).collect();
        f.ack(&ids).await.expect("ack");
    }
    let drained = started.elapsed();
    let done = used_memory(&url).await - before;
    #[allow(clippy::cast_precision_loss)]
    let per = |bytes: u64| bytes as f64 / n as f64;
    #[allow(clippy::cast_precision_loss)]
    let lost = (n - kept) as f64 / n as f64;
    println!(
        "{url}\t{n}\tqueued {:.1} B/URL\tdone {:.1} B/URL\tlost {lost:.5}\tpush {:.0} URL/s\tpop+ack {:.0} URL/s",
        per(queued),
        per(done),
        n as f64 / pushed.as_secs_f64(),
        n as f64 / drained.as_secs_f64()
    );
}
