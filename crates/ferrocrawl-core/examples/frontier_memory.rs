//! Memory and speed of the frontier stores with many URLs queued (issue 7's 1 000 000-URL
//! figure). Each run is its own process so RSS deltas are not blurred by freed memory:
//!
//! ```text
//! cargo run --release -p ferrocrawl-core --example frontier_memory -- memory [N] [--referer] [--hosts=H]
//! cargo run --release -p ferrocrawl-core --example frontier_memory -- sqlite PATH [N] [--referer] [--hosts=H]
//! cargo run --release -p ferrocrawl-core --example frontier_memory -- reopen PATH
//! ```
//! URLs are `http://host{i % H}.test/path/{i}?q={i}` (H = 1000 by default), pushed 10 at a
//! time (the links of one page); `--referer` gives each batch its page as referer. `sqlite` leaves the file for
//! `reopen`, which then pops and acks everything to time the scheduler.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::{Duration, Instant};

use ferrocrawl_core::crawl::frontier::{Frontier, MemoryFrontier, Politeness, Request, SqliteFrontier};
use url::Url;

const LINKS_PER_PAGE: usize = 10;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU seconds of this process (user + system): wall time is noisy on a shared box.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse().ok()).collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn politeness() -> Politeness {
    Politeness { per_host: 8, delay: Duration::ZERO }
}

fn fingerprint(url: &Url) -> u64 {
    let mut h = DefaultHasher::new();
    url.as_str().hash(&mut h);
    h.finish()
}

async fn fill(f: &mut impl Frontier, n: usize, hosts: usize, referer: bool) {
    let mut batch = Vec::with_capacity(LINKS_PER_PAGE);
    for i in 0..n {
        let url = Url::parse(&format!("http://host{}.test/path/{i}?q={i}", i % hosts)).unwrap();
        let page = i / LINKS_PER_PAGE;
        let req = Request {
            depth: 1,
            referer: referer.then(|| format!("http://host{}.test/path/{page}?q={page}", page % hosts)),
            first_url: None,
            redirects: 0,
            attempt: 0,
            url,
        };
        batch.push((fingerprint(&req.url), req));
        if batch.len() == LINKS_PER_PAGE {
            f.push(std::mem::take(&mut batch)).await.unwrap();
        }
    }
    f.push(batch).await.unwrap();
}

/// Pops and acks everything, `max` at a time, acking every 64 like a consumer's batches.
async fn drain(f: &mut impl Frontier) -> usize {
    let now = Instant::now();
    let mut n = 0;
    let mut ids = Vec::new();
    loop {
        let leases = f.pop(now, 64).await.unwrap();
        if leases.is_empty() {
            break;
        }
        for l in &leases {
            f.finish(l).await.unwrap();
            ids.push(l.id);
        }
        n += leases.len();
        f.ack(&std::mem::take(&mut ids)).await.unwrap();
    }
    n
}

fn report(what: &str, n: usize, before: u64, t: Duration, cpu_before: f64) {
    let after = rss_kib();
    let delta = after.saturating_sub(before) * 1024;
    println!(
        "{what}: {n} URLs in {:.2} s (CPU {:.2} s, {:.0} k/s); RSS {} MiB -> {} MiB, delta {:.1} MiB = {:.0} bytes/URL",
        t.as_secs_f64(),
        cpu_s() - cpu_before,
        n as f64 / t.as_secs_f64() / 1000.0,
        before / 1024,
        after / 1024,
        delta as f64 / 1_048_576.0,
        delta as f64 / n as f64
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let referer = args.iter().any(|a| a == "--referer");
    let hosts = args
        .iter()
        .find_map(|a| a.strip_prefix("--hosts="))
        .map_or(1000, |h| h.parse::<usize>().expect("--hosts=N").max(1));
    let args: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    let count = |i: usize| args.get(i).map_or(1_000_000, |s| s.parse().expect("N is a number"));
    match args.first().copied() {
        Some("memory") => {
            let n = count(1);
            let (before, cpu) = (rss_kib(), cpu_s());
            let mut f = MemoryFrontier::new(politeness());
            let t = Instant::now();
            fill(&mut f, n, hosts, referer).await;
            report("memory push", f.counts().queued, before, t.elapsed(), cpu);
            let (t, cpu) = (Instant::now(), cpu_s());
            let popped = drain(&mut f).await;
            let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - cpu);
            println!("memory pop+finish+ack: {popped} in {wall:.2} s (CPU {cpu:.2} s)");
        }
        Some("sqlite") => {
            let path = Path::new(args.get(1).expect("PATH"));
            let n = count(2);
            let (before, cpu) = (rss_kib(), cpu_s());
            let mut f = SqliteFrontier::open(path, politeness()).unwrap();
            let t = Instant::now();
            fill(&mut f, n, hosts, referer).await;
            let pushed = t.elapsed();
            f.flush().await.unwrap();
            println!("sqlite flush after push: {:.2} s", t.elapsed().saturating_sub(pushed).as_secs_f64());
            report("sqlite push (durable)", f.counts().queued, before, t.elapsed(), cpu);
        }
        Some("reopen") => {
            let path = Path::new(args.get(1).expect("PATH"));
            let (before, cpu) = (rss_kib(), cpu_s());
            let t = Instant::now();
            let mut f = SqliteFrontier::open(path, politeness()).unwrap();
            report("sqlite reopen", f.counts().queued, before, t.elapsed(), cpu);
            let (t, cpu) = (Instant::now(), cpu_s());
            let popped = drain(&mut f).await;
            let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - cpu);
            println!("sqlite pop+finish+ack (each ack waits for its commit): {popped} in {wall:.2} s (CPU {cpu:.2} s)");
        }
        _ => eprintln!(
            "usage: frontier_memory memory [N] | sqlite PATH [N] | reopen PATH  [--referer] [--hosts=H]"
        ),
    }
}
