//! The scheduling core every local store shares: seen-set, per-host FIFO queues, a min-heap of
//! hosts by ready time (the Heritrix / StormCrawler shape), leases and politeness. Popping
//! touches only the hosts at the top of the heap, never a scan of hosts or URLs.
//!
//! Memory per queued URL is what a broad crawl pays most, so a queued request is a 64-byte
//! `Slot` in one slab (the URL kept as text, parsed back into a `Url` when popped; an `Url`
//! alone is 88 bytes) and each host's queue is a linked list through the slab, so a host with
//! one URL costs no queue allocation of its own.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use crate::crawl::canon::write_host_key;
use crate::crawl::frontier::{Fingerprint, FrontierCounts, Lease, Politeness, Request};

/// End of a linked list in the slab.
const NIL: u32 = u32::MAX;

/// A queued request, or a free slab entry (empty text, `next` = next free).
struct Slot {
    /// The URL, followed by the redirect chain's first URL when there is one: one allocation
    /// for both.
    text: Box<str>,
    /// Shared by the links of one page (consecutive pushes with the same referer).
    referer: Option<Arc<str>>,
    /// The store's handle on the request (SQLite: its row), returned by `ack` and `requeue`.
    key: u64,
    url_len: u32,
    depth: u32,
    redirects: u32,
    attempt: u32,
    next: u32,
}

impl Slot {
    fn vacant(next: u32) -> Slot {
        Slot {
            text: Box::default(),
            referer: None,
            key: 0,
            url_len: 0,
            depth: 0,
            redirects: 0,
            attempt: 0,
            next,
        }
    }

    fn new(key: u64, req: Request, referer: Option<Arc<str>>) -> Slot {
        let mut text = String::from(req.url);
        let url_len = text.len() as u32;
        if let Some(first) = req.first_url {
            text.push_str(&first);
        }
        Slot {
            text: text.into_boxed_str(),
            referer,
            key,
            url_len,
            depth: req.depth,
            redirects: req.redirects,
            attempt: req.attempt,
            next: NIL,
        }
    }

    fn into_request(self) -> Request {
        let (url, first) = self.text.split_at(self.url_len as usize);
        Request {
            // Only `Url` serialisations are queued (pushed ones, and rows checked on load), and
            // parsing a serialisation gives the same `Url` back.
            url: Url::parse(url).expect("a queued URL is a Url's serialisation"),
            depth: self.depth,
            referer: self.referer.map(|r| String::from(&*r)),
            first_url: (!first.is_empty()).then(|| first.to_owned()),
            redirects: self.redirects,
            attempt: self.attempt,
        }
    }
}

struct Host {
    /// Shared with the `host_ids` key.
    name: Arc<str>,
    /// FIFO through the slab.
    head: u32,
    tail: u32,
    len: u32,
    in_flight: u32,
    /// Requeued requests of this host still waiting in `delayed`: they keep the host known.
    pending: u32,
    last_start: Option<Instant>,
    /// robots Crawl-delay (the crawl's delay still applies when larger).
    delay: Option<Duration>,
    backoff_until: Option<Instant>,
    /// The ticket of this host's live entry in the ready heap; 0 = not in the heap.
    ticket: u64,
}

impl Host {
    fn new(name: Arc<str>) -> Host {
        Host {
            name,
            head: NIL,
            tail: NIL,
            len: 0,
            in_flight: 0,
            pending: 0,
            last_start: None,
            delay: None,
            backoff_until: None,
            ticket: 0,
        }
    }

    /// When the next start may happen. `None` = at once. `Option`'s order puts `None` first,
    /// so `max` combines the constraints.
    fn ready_at(&self, crawl_delay: Duration) -> Option<Instant> {
        let delay = self.delay.map_or(crawl_delay, |d| d.max(crawl_delay));
        let after_start = self.last_start.map(|t| t.checked_add(delay).unwrap_or(t));
        after_start.max(self.backoff_until)
    }

    fn is_idle(&self) -> bool {
        self.len == 0 && self.in_flight == 0 && self.pending == 0
    }
}

/// A heap entry: a host (index in `hosts`), or a requeued slot, due at `at` (`None` = at
/// once). `ticket` is unique and increasing, so equal times pop in insertion order (round
/// robin across hosts) and an entry whose host has moved on (or whose index now holds
/// another host) is recognised as stale.
struct Due {
    at: Option<Instant>,
    ticket: u64,
    host: u32,
    /// The requeued slot (delayed heap only).
    slot: u32,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.ticket == other.ticket
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.ticket).cmp(&(other.at, other.ticket))
    }
}

struct LeaseState {
    key: u64,
    /// A host with leases out is never forgotten, so the index stays its own.
    host: u32,
    finished: bool,
}

pub(crate) struct Scheduler {
    per_host: u32,
    delay: Duration,
    seen: HashSet<Fingerprint>,
    slots: Vec<Slot>,
    free: u32,
    /// Hosts in a slab too: a broad crawl has about as many hosts as URLs, and a map of
    /// whole `Host`s would pay its empty buckets at `Host` size.
    hosts: Vec<Option<Host>>,
    free_hosts: Vec<u32>,
    host_ids: HashMap<Arc<str>, u32>,
    /// Crawl-delays set for hosts, kept when an idle host is forgotten so that its next
    /// requests are spaced from the first (only hosts whose robots.txt asks for a delay).
    host_delays: HashMap<Arc<str>, Duration>,
    /// Hosts with queued work and a free in-flight slot, by ready time (lazily corrected:
    /// an entry may be earlier than the host's real ready time, never later).
    ready: BinaryHeap<Reverse<Due>>,
    /// Requeued slots, by the time they may run again.
    delayed: BinaryHeap<Reverse<Due>>,
    /// Idle hosts kept only for politeness, by the time they can be forgotten.
    idle: BinaryHeap<Reverse<Due>>,
    leases: HashMap<u64, LeaseState>,
    next_lease: u64,
    next_ticket: u64,
    queued: usize,
    in_flight: usize,
    unacked: usize,
    done: u64,
    /// The latest `now` given to `pop` (or creation time): what `next_ready` answers for "at once".
    clock: Instant,
    last_referer: Option<Arc<str>>,
    host_buf: String,
}

impl Scheduler {
    pub(crate) fn new(p: Politeness) -> Scheduler {
        Scheduler {
            per_host: u32::try_from(p.per_host.max(1)).unwrap_or(u32::MAX),
            delay: p.delay,
            seen: HashSet::new(),
            slots: Vec::new(),
            free: NIL,
            hosts: Vec::new(),
            free_hosts: Vec::new(),
            host_ids: HashMap::new(),
            host_delays: HashMap::new(),
            ready: BinaryHeap::new(),
            delayed: BinaryHeap::new(),
            idle: BinaryHeap::new(),
            leases: HashMap::new(),
            next_lease: 1,
            next_ticket: 1,
            queued: 0,
            in_flight: 0,
            unacked: 0,
            done: 0,
            clock: Instant::now(),
            last_referer: None,
            host_buf: String::new(),
        }
    }

    /// Queues the requests never seen; `on_new` sees each new one before it is queued and
    /// returns its key (the SQLite store persists it and answers its row). Returns how many
    /// were new.
    pub(crate) fn push(
        &mut self,
        reqs: Vec<(Fingerprint, Request)>,
        mut on_new: impl FnMut(Fingerprint, &Request) -> u64,
    ) -> usize {
        let mut new = 0;
        for (fp, req) in reqs {
            if self.seen.insert(fp) {
                let key = on_new(fp, &req);
                self.enqueue(key, req);
                new += 1;
            }
        }
        new
    }

    /// Marks `fp` seen without queueing it (a done row loaded from disk).
    pub(crate) fn mark_seen(&mut self, fp: Fingerprint) -> bool {
        self.seen.insert(fp)
    }

    /// Queues a request whose fingerprint is already marked seen.
    pub(crate) fn enqueue(&mut self, key: u64, mut req: Request) {
        let referer = req.referer.take().map(|r| match &self.last_referer {
            Some(last) if **last == *r => last.clone(),
            _ => {
                let shared: Arc<str> = Arc::from(r);
                self.last_referer = Some(shared.clone());
                shared
            }
        });
        let mut name = std::mem::take(&mut self.host_buf);
        write_host_key(&req.url, &mut name);
        let host = self.host_id(&name);
        self.host_buf = name;
        let idx = self.alloc(Slot::new(key, req, referer));
        self.queued += 1;
        self.link_back(host, idx);
    }

    pub(crate) fn set_done(&mut self, done: u64) {
        self.done = done;
    }

    pub(crate) fn pop(&mut self, now: Instant, max: usize) -> Vec<Lease> {
        self.clock = self.clock.max(now);
        self.promote_delayed(now);
        self.forget_idle(now);
        let mut out = Vec::new();
        while out.len() < max {
            match self.ready.peek() {
                Some(Reverse(top)) if top.at.is_none_or(|t| t <= now) => {}
                _ => break,
            }
            let Some(Reverse(due)) = self.ready.pop() else { break };
            let Some(Some(host)) = self.hosts.get_mut(due.host as usize) else { continue };
            if host.ticket != due.ticket {
                continue;
            }
            host.ticket = 0;
            if host.len == 0 || host.in_flight >= self.per_host {
                continue; // cannot happen: scheduled hosts have work and a free slot
            }
            let at = host.ready_at(self.delay);
            if at.is_some_and(|t| t > now) {
                // Backed off or its delay grew since it was scheduled.
                let ticket = next(&mut self.next_ticket);
                host.ticket = ticket;
                self.ready.push(Reverse(Due { at, ticket, host: due.host, slot: NIL }));
                continue;
            }
            let idx = host.head;
            host.head = self.slots[idx as usize].next;
            if host.head == NIL {
                host.tail = NIL;
            }
            host.len -= 1;
            host.in_flight += 1;
            host.last_start = Some(now);
            if host.len > 0 && host.in_flight < self.per_host {
                let ticket = next(&mut self.next_ticket);
                host.ticket = ticket;
                self.ready.push(Reverse(Due {
                    at: host.ready_at(self.delay),
                    ticket,
                    host: due.host,
                    slot: NIL,
                }));
            }
            let slot = self.take(idx);
            let id = next(&mut self.next_lease);
            self.leases.insert(id, LeaseState { key: slot.key, host: due.host, finished: false });
            self.in_flight += 1;
            out.push(Lease { id, req: slot.into_request() });
        }
        out
    }

    pub(crate) fn next_ready(&self) -> Option<Instant> {
        let host = self.ready.peek().map(|Reverse(d)| d.at.unwrap_or(self.clock));
        let delayed = self.delayed.peek().map(|Reverse(d)| d.at.unwrap_or(self.clock));
        match (host, delayed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn finish(&mut self, lease: &Lease) {
        let Some(state) = self.leases.get_mut(&lease.id) else { return };
        if state.finished {
            return;
        }
        state.finished = true;
        let host = state.host;
        self.in_flight -= 1;
        self.unacked += 1;
        self.release(host);
    }

    /// Returns the request's key when the lease was known.
    pub(crate) fn requeue(&mut self, lease: Lease, at: Instant) -> Option<u64> {
        let state = self.leases.remove(&lease.id)?;
        // Counted before the release so the host is not forgotten meanwhile.
        self.host_mut(state.host).pending += 1;
        if state.finished {
            self.unacked -= 1;
        } else {
            self.in_flight -= 1;
            self.release(state.host);
        }
        let referer = lease.req.referer.clone().map(Arc::from);
        let slot = self.alloc(Slot::new(state.key, lease.req, referer));
        self.queued += 1;
        let ticket = next(&mut self.next_ticket);
        self.delayed.push(Reverse(Due { at: Some(at), ticket, host: state.host, slot }));
        Some(state.key)
    }

    /// Retires the leases; returns the keys of the known ones.
    pub(crate) fn ack(&mut self, lease_ids: &[u64]) -> Vec<u64> {
        let mut keys = Vec::with_capacity(lease_ids.len());
        for id in lease_ids {
            let Some(state) = self.leases.remove(id) else { continue };
            if state.finished {
                self.unacked -= 1;
            } else {
                self.in_flight -= 1;
                self.release(state.host);
            }
            self.done += 1;
            keys.push(state.key);
        }
        keys
    }

    pub(crate) fn set_host_delay(&mut self, host: &str, delay: Duration) {
        if self.host_delays.get(host) != Some(&delay) {
            self.host_delays.insert(Arc::from(host), delay);
        }
        let Some(&id) = self.host_ids.get(host) else { return };
        let crawl_delay = self.delay;
        let h = self.host_mut(id);
        let before = h.ready_at(crawl_delay);
        h.delay = Some(delay);
        if h.ticket != 0 && h.ready_at(crawl_delay) < before {
            // The heap entry is now late: replace it (the old one becomes stale).
            h.ticket = 0;
            self.schedule(id);
        }
    }

    pub(crate) fn back_off(&mut self, host: &str, until: Instant) {
        let id = self.host_id(host);
        let h = self.host_mut(id);
        h.backoff_until = h.backoff_until.max(Some(until));
        if h.is_idle() {
            self.push_idle(id, Some(until));
        }
        // A scheduled host keeps its (now early) heap entry: pop corrects it.
    }

    pub(crate) fn counts(&self) -> FrontierCounts {
        FrontierCounts {
            queued: self.queued,
            in_flight: self.in_flight,
            unacked: self.unacked,
            seen: self.seen.len(),
            done: self.done,
        }
    }

    /// The index of host `name`, known from now on.
    fn host_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.host_ids.get(name) {
            return id;
        }
        let name: Arc<str> = Arc::from(name);
        let mut host = Host::new(name.clone());
        host.delay = self.host_delays.get(&name).copied();
        let host = Some(host);
        let id = if let Some(id) = self.free_hosts.pop() {
            self.hosts[id as usize] = host;
            id
        } else {
            self.hosts.push(host);
            u32::try_from(self.hosts.len() - 1).expect("fewer than 2^32 hosts")
        };
        self.host_ids.insert(name, id);
        id
    }

    fn host_mut(&mut self, id: u32) -> &mut Host {
        self.hosts[id as usize].as_mut().expect("a host with work is known")
    }

    /// Appends slot `idx` to `host`'s queue and schedules the host.
    fn link_back(&mut self, host: u32, idx: u32) {
        self.slots[idx as usize].next = NIL;
        let h = self.hosts[host as usize].as_mut().expect("a host with work is known");
        if h.tail == NIL {
            h.head = idx;
        } else {
            self.slots[h.tail as usize].next = idx;
        }
        h.tail = idx;
        h.len += 1;
        self.schedule(host);
    }

    /// Puts `host` in the ready heap if it has work, a free slot and no live entry.
    fn schedule(&mut self, host: u32) {
        let (per_host, delay) = (self.per_host, self.delay);
        let h = self.host_mut(host);
        if h.ticket != 0 || h.len == 0 || h.in_flight >= per_host {
            return;
        }
        let ticket = next(&mut self.next_ticket);
        let h = self.host_mut(host);
        h.ticket = ticket;
        let at = h.ready_at(delay);
        self.ready.push(Reverse(Due { at, ticket, host, slot: NIL }));
    }

    /// A lease of `host` ended: its slot is free.
    fn release(&mut self, host: u32) {
        let delay = self.delay;
        let h = self.host_mut(host);
        h.in_flight -= 1;
        if h.is_idle() {
            let at = h.ready_at(delay);
            self.push_idle(host, at);
        } else {
            self.schedule(host);
        }
    }

    fn push_idle(&mut self, host: u32, at: Option<Instant>) {
        let ticket = next(&mut self.next_ticket);
        self.idle.push(Reverse(Due { at, ticket, host, slot: NIL }));
    }

    /// Requeued slots due by `now` join their host's queue.
    fn promote_delayed(&mut self, now: Instant) {
        while self.delayed.peek().is_some_and(|Reverse(d)| d.at.is_none_or(|t| t <= now)) {
            let Some(Reverse(due)) = self.delayed.pop() else { break };
            self.host_mut(due.host).pending -= 1;
            self.link_back(due.host, due.slot);
        }
    }

    /// Drops hosts with nothing queued or in flight whose politeness no longer matters, so
    /// a broad crawl's host table holds only active hosts.
    fn forget_idle(&mut self, now: Instant) {
        while self.idle.peek().is_some_and(|Reverse(d)| d.at.is_none_or(|t| t <= now)) {
            let Some(Reverse(due)) = self.idle.pop() else { break };
            // The index may hold another host by now: the test below is right for any host.
            let Some(Some(h)) = self.hosts.get(due.host as usize) else { continue };
            if !h.is_idle() {
                continue; // busy again: it comes back here when it drains
            }
            let at = h.ready_at(self.delay);
            if at.is_some_and(|t| t > now) {
                self.push_idle(due.host, at);
            } else if let Some(h) = self.hosts[due.host as usize].take() {
                self.host_ids.remove(&h.name);
                self.free_hosts.push(due.host);
            }
        }
        if self.host_ids.is_empty() && !self.hosts.is_empty() {
            // Every host forgotten: give the table's memory back.
            self.hosts = Vec::new();
            self.free_hosts = Vec::new();
            self.host_ids = HashMap::new();
        }
    }

    fn alloc(&mut self, slot: Slot) -> u32 {
        if self.free == NIL {
            self.slots.push(slot);
            u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 queued requests")
        } else {
            let idx = self.free;
            self.free = std::mem::replace(&mut self.slots[idx as usize], slot).next;
            idx
        }
    }

    fn take(&mut self, idx: u32) -> Slot {
        let slot = std::mem::replace(&mut self.slots[idx as usize], Slot::vacant(self.free));
        self.free = idx;
        self.queued -= 1;
        if self.queued == 0 {
            // Every slot is free: give the slab's memory back.
            self.slots = Vec::new();
            self.free = NIL;
        }
        slot
    }
}

fn next(counter: &mut u64) -> u64 {
    let n = *counter;
    *counter += 1;
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn req(url: &str) -> Request {
        Request::new(Url::parse(url).unwrap(), 0)
    }

    fn fp(url: &str) -> Fingerprint {
        crate::crawl::canon::fingerprint(&Url::parse(url).unwrap())
    }

    fn push(s: &mut Scheduler, urls: &[&str]) -> usize {
        s.push(urls.iter().map(|u| (fp(u), req(u))).collect(), |fp, _| fp)
    }

    fn urls(leases: &[Lease]) -> Vec<&str> {
        leases.iter().map(|l| l.req.url.as_str()).collect()
    }

    fn sched(per_host: usize, delay: Duration) -> Scheduler {
        Scheduler::new(Politeness { per_host, delay })
    }

    #[test]
    fn duplicates_are_queued_once() {
        let mut s = sched(8, Duration::ZERO);
        assert_eq!(push(&mut s, &["http://a.test/1", "http://a.test/2", "http://a.test/1"]), 2);
        assert_eq!(push(&mut s, &["http://a.test/2", "http://a.test/3"]), 1);
        let t0 = Instant::now();
        let leases = s.pop(t0, 100);
        assert_eq!(urls(&leases), ["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
        s.ack(&leases.iter().map(|l| l.id).collect::<Vec<_>>());
        // Done URLs stay seen.
        assert_eq!(push(&mut s, &["http://a.test/1"]), 0);
        assert_eq!(s.counts().seen, 3);
    }

    #[test]
    fn fifo_within_a_host() {
        let mut s = sched(1, Duration::ZERO);
        push(&mut s, &["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
        let t0 = Instant::now();
        let mut order = Vec::new();
        for _ in 0..3 {
            let leases = s.pop(t0, 10);
            assert_eq!(leases.len(), 1, "per_host=1");
            order.push(leases[0].req.url.to_string());
            s.finish(&leases[0]);
        }
        assert_eq!(order, ["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
    }

    #[test]
    fn hosts_take_turns() {
        let mut s = sched(8, Duration::ZERO);
        push(
            &mut s,
            &["http://a.test/1", "http://a.test/2", "http://a.test/3", "http://b.test/1", "http://b.test/2"],
        );
        let leases = s.pop(Instant::now(), 10);
        assert_eq!(
            urls(&leases),
            ["http://a.test/1", "http://b.test/1", "http://a.test/2", "http://b.test/2", "http://a.test/3"]
        );
    }

    #[test]
    fn hosts_pop_in_ready_time_order() {
        let mut s = sched(8, 10 * SEC);
        let t0 = Instant::now();
        push(&mut s, &["http://a.test/1", "http://a.test/2", "http://b.test/1", "http://b.test/2"]);
        assert_eq!(urls(&s.pop(t0, 1)), ["http://a.test/1"]);
        assert_eq!(urls(&s.pop(t0 + 3 * SEC, 10)), ["http://b.test/1"]);
        assert_eq!(s.next_ready(), Some(t0 + 10 * SEC));
        assert!(s.pop(t0 + 9 * SEC, 10).is_empty());
        // Both ready at t0+13: a (ready since t0+10) comes first.
        assert_eq!(urls(&s.pop(t0 + 13 * SEC, 10)), ["http://a.test/2", "http://b.test/2"]);
        assert_eq!(s.next_ready(), None);
    }

    #[test]
    fn per_host_is_never_exceeded() {
        let per_host = 3;
        let mut s = sched(per_host, Duration::ZERO);
        let all: Vec<String> = (0..200).map(|i| format!("http://h{}.test/{i}", i % 4)).collect();
        push(&mut s, &all.iter().map(String::as_str).collect::<Vec<_>>());
        let t0 = Instant::now();
        let mut in_flight: Vec<Lease> = Vec::new();
        let mut fetched = 0;
        for round in 0..1000 {
            in_flight.extend(s.pop(t0, 5));
            for host in 0..4 {
                let n = in_flight
                    .iter()
                    .filter(|l| l.req.url.host_str() == Some(&format!("h{host}.test")))
                    .count();
                assert!(n <= per_host, "{n} in flight on h{host}");
            }
            assert_eq!(s.counts().in_flight, in_flight.len());
            // Finish a varying subset so slots free up unevenly.
            let mut i = 0;
            while i < in_flight.len() {
                if (i + round) % 3 == 0 {
                    let l = in_flight.swap_remove(i);
                    s.finish(&l);
                    fetched += 1;
                } else {
                    i += 1;
                }
            }
            if in_flight.is_empty() && s.counts().queued == 0 {
                break;
            }
        }
        assert_eq!(fetched, 200);
    }

    #[test]
    fn per_host_full_hosts_do_not_report_ready() {
        let mut s = sched(1, Duration::ZERO);
        push(&mut s, &["http://a.test/1", "http://a.test/2"]);
        let t0 = Instant::now();
        let lease = s.pop(t0, 10).remove(0);
        assert_eq!(s.next_ready(), None, "blocked only by per_host: finish wakes the engine");
        s.finish(&lease);
        assert!(s.next_ready().is_some());
        assert_eq!(urls(&s.pop(t0, 10)), ["http://a.test/2"]);
    }

    /// Drives the scheduler like the engine: jump to next_ready, pop, finish at once.
    fn starts_by_host(s: &mut Scheduler, t0: Instant) -> HashMap<String, Vec<Instant>> {
        let mut starts: HashMap<String, Vec<Instant>> = HashMap::new();
        let mut now = t0;
        while let Some(at) = s.next_ready() {
            now = now.max(at);
            for lease in s.pop(now, 100) {
                starts.entry(lease.req.url.host_str().unwrap().to_owned()).or_default().push(now);
                s.finish(&lease);
            }
        }
        starts
    }

    #[test]
    fn delay_spaces_starts_on_a_host() {
        let delay = 2 * SEC;
        let mut s = sched(8, delay);
        let t0 = Instant::now();
        let all: Vec<String> = (0..30).map(|i| format!("http://h{}.test/{i}", i % 3)).collect();
        push(&mut s, &all.iter().map(String::as_str).collect::<Vec<_>>());
        // robots Crawl-delay on h1 (larger) and h2 (smaller: the crawl's delay wins).
        let first = s.pop(t0, 3);
        s.set_host_delay("h1.test:80", 5 * SEC);
        s.set_host_delay("h2.test:80", SEC / 2);
        for l in &first {
            s.finish(l);
        }
        let mut starts = starts_by_host(&mut s, t0);
        for (i, l) in first.iter().enumerate() {
            starts.get_mut(&format!("h{i}.test")).unwrap().insert(0, t0);
            assert_eq!(l.req.url.host_str(), Some(&*format!("h{i}.test")));
        }
        for (host, times) in &starts {
            assert_eq!(times.len(), 10, "{host}");
            let want = if host == "h1.test" { 5 * SEC } else { delay };
            for w in times.windows(2) {
                assert!(w[1] - w[0] >= want, "{host}: starts {:?} apart", w[1] - w[0]);
            }
        }
    }

    #[test]
    fn back_off_holds_a_host() {
        let mut s = sched(8, Duration::ZERO);
        push(&mut s, &["http://a.test/1", "http://a.test/2", "http://b.test/1", "http://b.test/2"]);
        let t0 = Instant::now();
        s.back_off("a.test:80", t0 + 30 * SEC);
        assert_eq!(urls(&s.pop(t0, 10)), ["http://b.test/1", "http://b.test/2"]);
        assert!(s.pop(t0 + 29 * SEC, 10).is_empty());
        assert_eq!(s.next_ready(), Some(t0 + 30 * SEC));
        assert_eq!(urls(&s.pop(t0 + 30 * SEC, 10)), ["http://a.test/1", "http://a.test/2"]);
    }

    #[test]
    fn back_off_outlives_an_idle_host() {
        let mut s = sched(8, Duration::ZERO);
        push(&mut s, &["http://a.test/1"]);
        let t0 = Instant::now();
        let lease = s.pop(t0, 10).remove(0);
        s.back_off("a.test:80", t0 + 30 * SEC); // a 429
        s.finish(&lease);
        assert!(s.pop(t0 + SEC, 10).is_empty()); // the idle host is kept: it is backed off
        push(&mut s, &["http://a.test/2"]);
        assert!(s.pop(t0 + 2 * SEC, 10).is_empty());
        assert_eq!(urls(&s.pop(t0 + 30 * SEC, 10)), ["http://a.test/2"]);
    }

    #[test]
    fn requeue_runs_again_later_and_is_not_deduplicated() {
        let mut s = sched(8, Duration::ZERO);
        push(&mut s, &["http://a.test/1", "http://a.test/2"]);
        let t0 = Instant::now();
        let mut leases = s.pop(t0, 1);
        let mut lease = leases.remove(0);
        lease.req.attempt += 1;
        s.requeue(lease, t0 + 5 * SEC);
        assert_eq!(s.counts(), FrontierCounts { queued: 2, in_flight: 0, unacked: 0, seen: 2, done: 0 });
        assert_eq!(urls(&s.pop(t0 + SEC, 10)), ["http://a.test/2"]);
        assert_eq!(s.next_ready(), Some(t0 + 5 * SEC));
        let again = s.pop(t0 + 5 * SEC, 10);
        assert_eq!(urls(&again), ["http://a.test/1"]);
        assert_eq!(again[0].req.attempt, 1);
        assert_eq!(push(&mut s, &["http://a.test/1"]), 0, "still seen for new pushes");
    }

    #[test]
    fn a_requeued_request_keeps_its_host_known() {
        let mut s = sched(8, Duration::ZERO);
        push(&mut s, &["http://a.test/1"]);
        let t0 = Instant::now();
        let lease = s.pop(t0, 10).remove(0);
        s.requeue(lease, t0 + 5 * SEC);
        // Other hosts come and go (their table slots are reused) while it waits.
        for i in 0..3 {
            push(&mut s, &[&format!("http://b{i}.test/")]);
            let ids: Vec<u64> = s.pop(t0 + SEC, 10).iter().map(|l| l.id).collect();
            s.ack(&ids);
            s.pop(t0 + SEC, 10);
        }
        assert_eq!(s.host_ids.len(), 1);
        assert_eq!(urls(&s.pop(t0 + 5 * SEC, 10)), ["http://a.test/1"]);
    }

    #[test]
    fn counts_follow_a_lease() {
        let mut s = sched(8, Duration::ZERO);
        push(&mut s, &["http://a.test/1", "http://b.test/1", "http://c.test/1"]);
        assert_eq!(s.counts(), FrontierCounts { queued: 3, in_flight: 0, unacked: 0, seen: 3, done: 0 });
        let leases = s.pop(Instant::now(), 10);
        assert_eq!(s.counts(), FrontierCounts { queued: 0, in_flight: 3, unacked: 0, seen: 3, done: 0 });
        s.finish(&leases[0]);
        s.finish(&leases[0]); // twice: counted once
        assert_eq!(s.counts(), FrontierCounts { queued: 0, in_flight: 2, unacked: 1, seen: 3, done: 0 });
        assert_eq!(s.ack(&[leases[0].id, leases[1].id, 999]).len(), 2);
        assert_eq!(s.counts(), FrontierCounts { queued: 0, in_flight: 1, unacked: 0, seen: 3, done: 2 });
        s.ack(&[leases[0].id]); // acked twice: ignored
        assert_eq!(s.counts().done, 2);
    }

    #[test]
    fn request_fields_survive_the_queue() {
        let mut s = sched(8, Duration::ZERO);
        let r = Request {
            url: Url::parse("http://a.test/b?x=1").unwrap(),
            depth: 3,
            referer: Some("http://a.test/".into()),
            first_url: Some("http://a.test/old".into()),
            redirects: 2,
            attempt: 1,
        };
        let plain = req("http://a.test/c");
        s.push(vec![(1, r.clone()), (2, plain.clone())], |fp, _| fp);
        let leases = s.pop(Instant::now(), 10);
        assert_eq!(leases[0].req, r);
        assert_eq!(leases[1].req, plain);
    }

    #[test]
    fn idle_hosts_are_forgotten_once_their_delay_passed() {
        let mut s = sched(8, 10 * SEC);
        let t0 = Instant::now();
        push(&mut s, &["http://a.test/1"]);
        let lease = s.pop(t0, 10).remove(0);
        s.finish(&lease);
        s.pop(t0 + 5 * SEC, 10);
        assert_eq!(s.host_ids.len(), 1, "its last start still matters");
        push(&mut s, &["http://a.test/2"]);
        assert!(s.pop(t0 + 6 * SEC, 10).is_empty(), "delay still holds for a queue refilled");
        let lease = s.pop(t0 + 10 * SEC, 10).remove(0);
        s.ack(&[lease.id]);
        s.pop(t0 + 20 * SEC, 10);
        assert!(s.host_ids.is_empty() && s.hosts.is_empty());
        assert!(s.slots.is_empty(), "the slab is released when the queue drains");
        // Many one-URL hosts, no delay: none is kept after its request.
        let mut s = sched(8, Duration::ZERO);
        let all: Vec<String> = (0..1000).map(|i| format!("http://h{i}.test/")).collect();
        push(&mut s, &all.iter().map(String::as_str).collect::<Vec<_>>());
        for l in s.pop(t0, 2000) {
            s.finish(&l);
        }
        s.pop(t0, 1);
        assert!(s.host_ids.is_empty() && s.hosts.is_empty());
    }

    #[test]
    fn a_forgotten_host_keeps_its_crawl_delay() {
        let mut s = sched(8, Duration::ZERO);
        let t0 = Instant::now();
        push(&mut s, &["http://a.test/1"]);
        let lease = s.pop(t0, 10).remove(0);
        s.set_host_delay("a.test:80", 5 * SEC);
        s.ack(&[lease.id]);
        s.pop(t0 + 6 * SEC, 10);
        assert!(s.host_ids.is_empty(), "idle past its delay: forgotten");
        // New links to it arrive together: the first start is free, the next waits its delay.
        push(&mut s, &["http://a.test/2", "http://a.test/3"]);
        assert_eq!(s.pop(t0 + 7 * SEC, 10).len(), 1);
        assert!(s.pop(t0 + 8 * SEC, 10).is_empty());
        assert_eq!(s.pop(t0 + 12 * SEC, 10).len(), 1);
    }
}
