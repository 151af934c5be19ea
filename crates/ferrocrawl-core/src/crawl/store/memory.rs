//! The in-memory frontier: the shared scheduler and nothing else (state is lost with the
//! process; `state=` selects the SQLite store instead).

use std::time::{Duration, Instant};

use super::scheduler::Scheduler;
use crate::crawl::frontier::{Fingerprint, Frontier, FrontierCounts, Lease, Politeness, Request};
use crate::Result;

pub struct MemoryFrontier {
    sched: Scheduler,
}

impl MemoryFrontier {
    pub fn new(p: Politeness) -> Self {
        MemoryFrontier { sched: Scheduler::new(p) }
    }
}

impl Frontier for MemoryFrontier {
    async fn push(&mut self, reqs: Vec<(Fingerprint, Request)>) -> Result<usize> {
        Ok(self.sched.push(reqs, |fp, _| fp))
    }

    async fn pop(&mut self, now: Instant, max: usize) -> Result<Vec<Lease>> {
        Ok(self.sched.pop(now, max))
    }

    fn next_ready(&self) -> Option<Instant> {
        self.sched.next_ready()
    }

    async fn finish(&mut self, lease: &Lease) -> Result<()> {
        self.sched.finish(lease);
        Ok(())
    }

    async fn requeue(&mut self, lease: Lease, at: Instant) -> Result<()> {
        self.sched.requeue(lease, at);
        Ok(())
    }

    async fn ack(&mut self, lease_ids: &[u64]) -> Result<()> {
        self.sched.ack(lease_ids);
        Ok(())
    }

    fn set_host_delay(&mut self, host: &str, delay: Duration) {
        self.sched.set_host_delay(host, delay);
    }

    fn back_off(&mut self, host: &str, until: Instant) {
        self.sched.back_off(host, until);
    }

    fn counts(&self) -> FrontierCounts {
        self.sched.counts()
    }

    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[tokio::test]
    async fn the_trait_drives_a_crawl() {
        let mut f = MemoryFrontier::new(Politeness { per_host: 2, delay: Duration::ZERO });
        let req = |u: &str| Request {
            url: Url::parse(u).unwrap(),
            depth: 0,
            referer: None,
            first_url: None,
            redirects: 0,
            attempt: 0,
        };
        assert_eq!(
            f.push(vec![(1, req("http://a.test/")), (2, req("http://a.test/x")), (1, req("http://a.test/"))])
                .await
                .unwrap(),
            2
        );
        let t0 = Instant::now();
        let leases = f.pop(t0, 10).await.unwrap();
        assert_eq!(leases.len(), 2);
        f.finish(&leases[0]).await.unwrap();
        f.requeue(leases[1].clone(), t0).await.unwrap();
        f.ack(&[leases[0].id]).await.unwrap();
        f.flush().await.unwrap();
        assert_eq!(f.counts(), FrontierCounts { queued: 1, in_flight: 0, unacked: 0, seen: 2, done: 1 });
        let again = f.pop(t0, 10).await.unwrap();
        assert_eq!(again[0].req.url.as_str(), "http://a.test/x");
        f.ack(&[again[0].id]).await.unwrap();
        assert_eq!(f.counts().done, 2);
        assert_eq!(f.next_ready(), None);
    }
}
