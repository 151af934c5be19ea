//! The SQLite store (`state=PATH`): the shared scheduler in memory, every change written
//! through to one table by a writer thread that owns the connection, so the engine never
//! waits on disk except in `ack` and `flush`, which wait until everything sent before them is
//! committed.
//!
//! ```sql
//! urls(seq INTEGER PRIMARY KEY, fp, url, depth, referer, first_url, redirects, attempt, state)
//! ```
//! `seq` is push order: inserts append to the table, `done` marks land near each other
//! (a crawl finishes roughly in push order) and a reopened crawl keeps its FIFO order. A
//! table keyed by the fingerprint would turn every insert and every ack into a write to a
//! random page. No index on `fp`: the seen-set lives in memory and is loaded on open.
//!
//! On open every row not done is queued again (a dead process's in-flight and unacked leases
//! come back: at-least-once) and done rows only join the seen-set. WAL with
//! synchronous=NORMAL: a commit survives the process being killed (an OS crash may lose the
//! last ones), without an fsync per commit.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use tokio::sync::oneshot;
use url::Url;

use super::scheduler::Scheduler;
use crate::crawl::frontier::{Fingerprint, Frontier, FrontierCounts, Lease, Politeness, Request};
use crate::{Error, Result};

/// `PRAGMA user_version` of the layout below; a file from a newer layout is refused.
const SCHEMA_VERSION: i64 = 1;
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS urls (
    seq INTEGER PRIMARY KEY,
    fp INTEGER NOT NULL,
    url TEXT NOT NULL,
    depth INTEGER NOT NULL,
    referer TEXT,
    first_url TEXT,
    redirects INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    state INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value INTEGER NOT NULL)";
/// `urls.state`: queued (or leased; the same after a restart) and done (acked).
const QUEUED: i64 = 0;
const DONE: i64 = 1;
/// Most operations one transaction takes: bounds how long a commit holds the
/// replies of `ack`/`flush` waiting behind it.
const MAX_BATCH_OPS: usize = 1024;

struct Row {
    seq: i64,
    fp: Fingerprint,
    url: String,
    depth: u32,
    referer: Option<String>,
    first_url: Option<String>,
    redirects: u32,
    attempt: u32,
}

enum Op {
    Insert(Vec<Row>),
    Attempt {
        seq: i64,
        attempt: u32,
    },
    /// Acked seqs, and the file sinks' lengths that go with them (one transaction).
    Done(Vec<u64>, Vec<(String, u64)>),
    /// Answered once everything sent before it is committed.
    Sync(oneshot::Sender<Result<(), String>>),
}

pub struct SqliteFrontier {
    sched: Scheduler,
    path: PathBuf,
    next_seq: i64,
    /// File sink lengths recorded by the last run (`marks` table).
    marks: HashMap<String, u64>,
    ops: Option<mpsc::Sender<Op>>,
    writer: Option<JoinHandle<()>>,
    /// Set only by tests simulating a crash: the writer drops what it has not committed.
    #[cfg_attr(not(test), allow(dead_code))]
    abandon: Arc<AtomicBool>,
}

impl SqliteFrontier {
    /// Opens (or creates) the state file and loads it: one streaming SELECT.
    pub fn open(path: &Path, p: Politeness) -> Result<Self> {
        let err = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => store_error(
                path,
                "in use by another crawl (one process per state file; Redis shares a crawl)".into(),
            ),
            _ => store_error(path, e.to_string()),
        };
        let conn = Connection::open(path).map_err(err)?;
        // One process per state file: two crawls sharing it would lease the same URLs. The
        // lock is taken by the first write below and held until the store is dropped (and
        // the WAL index lives in memory, no -shm file).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE").map_err(err)?;
        conn.busy_timeout(Duration::ZERO).map_err(err)?; // a held lock will not go away soon
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(store_error(path, format!("cannot use WAL journaling (got {mode:?})")));
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(store_error(
                path,
                format!("written by a newer ferrocrawl (layout {version}); use a new state file"),
            ));
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(err)?;

        let mut sched = Scheduler::new(p);
        let next_seq = load(&conn, &mut sched).map_err(err)? + 1;
        let marks = load_marks(&conn).map_err(err)?;

        let (tx, rx) = mpsc::channel();
        let abandon = Arc::new(AtomicBool::new(false));
        let flag = abandon.clone();
        let writer = std::thread::Builder::new()
            .name("ferrocrawl-state".into())
            .spawn(move || write_loop(conn, &rx, &flag))
            .map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        Ok(SqliteFrontier {
            sched,
            path: path.to_owned(),
            next_seq,
            marks,
            ops: Some(tx),
            writer: Some(writer),
            abandon,
        })
    }

    fn send(&self, op: Op) -> Result<()> {
        self.ops
            .as_ref()
            .and_then(|ops| ops.send(op).ok())
            .ok_or_else(|| store_error(&self.path, "the state writer thread stopped".into()))
    }

    /// Waits until everything sent so far is committed.
    async fn committed(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.send(Op::Sync(tx))?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(store_error(&self.path, reason)),
            Err(_) => Err(store_error(&self.path, "the state writer thread stopped".into())),
        }
    }

    /// Test-only kill -9: the writer stops without committing what it still holds.
    #[cfg(test)]
    fn crash(self) {
        self.abandon.store(true, Ordering::SeqCst);
    }
}

impl Drop for SqliteFrontier {
    fn drop(&mut self) {
        // Closing the channel lets the writer commit what it was sent and end.
        self.ops.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Frontier for SqliteFrontier {
    async fn push(&mut self, reqs: Vec<(Fingerprint, Request)>) -> Result<usize> {
        let mut rows = Vec::new();
        let next_seq = &mut self.next_seq;
        let new = self.sched.push(reqs, |fp, req| {
            let seq = *next_seq;
            *next_seq += 1;
            rows.push(Row {
                seq,
                fp,
                url: req.url.as_str().to_owned(),
                depth: req.depth,
                referer: req.referer.clone(),
                first_url: req.first_url.clone(),
                redirects: req.redirects,
                attempt: req.attempt,
            });
            seq as u64
        });
        if !rows.is_empty() {
            self.send(Op::Insert(rows))?;
        }
        Ok(new)
    }

    async fn pop(&mut self, now: Instant, max: usize) -> Result<Vec<Lease>> {
        // A lease is not written: after a crash every row not done is queued again anyway.
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
        let attempt = lease.req.attempt;
        if let Some(seq) = self.sched.requeue(lease, at) {
            // Keeps the retry count across a restart, so retries stay bounded.
            self.send(Op::Attempt { seq: seq as i64, attempt })?;
        }
        Ok(())
    }

    async fn ack(&mut self, lease_ids: &[u64]) -> Result<()> {
        self.ack_marked(lease_ids, &[]).await
    }

    async fn ack_marked(&mut self, lease_ids: &[u64], marks: &[(String, u64)]) -> Result<()> {
        let seqs = self.sched.ack(lease_ids);
        if !seqs.is_empty() || !marks.is_empty() {
            for (key, value) in marks {
                self.marks.insert(key.clone(), *value);
            }
            self.send(Op::Done(seqs, marks.to_vec()))?;
        }
        self.committed().await
    }

    fn mark(&self, key: &str) -> Option<u64> {
        self.marks.get(key).copied()
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
        self.committed().await
    }
}

fn store_error(path: &Path, reason: String) -> Error {
    Error::Io { path: path.display().to_string(), source: io::Error::other(reason) }
}

fn load_marks(conn: &Connection) -> rusqlite::Result<HashMap<String, u64>> {
    let mut stmt = conn.prepare("SELECT key, value FROM marks")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
    rows.collect()
}

/// Fills the scheduler from the table in push order; returns the largest `seq` (0 if none).
fn load(conn: &Connection, sched: &mut Scheduler) -> rusqlite::Result<i64> {
    let mut stmt =
        conn.prepare("SELECT seq, fp, state, url, depth, referer, first_url, redirects, attempt FROM urls")?;
    let mut rows = stmt.query([])?;
    let (mut max_seq, mut done) = (0, 0);
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        max_seq = max_seq.max(seq);
        if !sched.mark_seen(row.get::<_, i64>(1)? as u64) {
            continue;
        }
        if row.get::<_, i64>(2)? == DONE {
            done += 1;
            continue;
        }
        // Only `Url` serialisations are written; a row edited by hand into something else
        // stays seen and is skipped rather than failing the whole crawl.
        let Ok(url) = Url::parse(row.get_ref(3)?.as_str()?) else { continue };
        let req = Request {
            url,
            depth: row.get(4)?,
            referer: row.get(5)?,
            first_url: row.get(6)?,
            redirects: row.get(7)?,
            attempt: row.get(8)?,
        };
        sched.enqueue(seq as u64, req);
    }
    sched.set_done(done);
    Ok(max_seq)
}

fn write_loop(mut conn: Connection, ops: &mpsc::Receiver<Op>, abandon: &AtomicBool) {
    // Once a write fails, every later ack/flush fails too: what it held is not on disk.
    let mut failed: Option<String> = None;
    while let Ok(op) = ops.recv() {
        let mut batch = vec![op];
        while batch.len() < MAX_BATCH_OPS {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if abandon.load(Ordering::SeqCst) {
            return;
        }
        let (syncs, writes): (Vec<_>, Vec<_>) = batch.into_iter().partition(|op| matches!(op, Op::Sync(_)));
        if failed.is_none() && !writes.is_empty() {
            if let Err(e) = apply(&mut conn, writes) {
                failed = Some(format!("cannot write the crawl state: {e}"));
            }
        }
        for op in syncs {
            if let Op::Sync(reply) = op {
                let _ = reply.send(failed.clone().map_or(Ok(()), Err));
            }
        }
    }
}

/// One transaction for the whole batch.
fn apply(conn: &mut Connection, writes: Vec<Op>) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO urls (seq, fp, url, depth, referer, first_url, redirects, attempt, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut set_attempt = tx.prepare_cached("UPDATE urls SET attempt = ?2 WHERE seq = ?1")?;
        let mut set_done = tx.prepare_cached("UPDATE urls SET state = ?2 WHERE seq = ?1")?;
        let mut set_mark = tx.prepare_cached("INSERT OR REPLACE INTO marks (key, value) VALUES (?1, ?2)")?;
        for op in writes {
            match op {
                Op::Insert(rows) => {
                    for r in rows {
                        insert.execute(params![
                            r.seq,
                            r.fp as i64,
                            r.url,
                            r.depth,
                            r.referer,
                            r.first_url,
                            r.redirects,
                            r.attempt,
                            QUEUED
                        ])?;
                    }
                }
                Op::Attempt { seq, attempt } => {
                    set_attempt.execute(params![seq, attempt])?;
                }
                Op::Done(seqs, marks) => {
                    for seq in seqs {
                        set_done.execute(params![seq as i64, DONE])?;
                    }
                    for (key, value) in marks {
                        set_mark.execute(params![key, value as i64])?;
                    }
                }
                Op::Sync(_) => {}
            }
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A state file in the temp dir, removed (with its WAL) at the end.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new() -> TempDb {
            static N: AtomicUsize = AtomicUsize::new(0);
            let name =
                format!("ferrocrawl-frontier-{}-{}.db", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
            let path = std::env::temp_dir().join(name);
            let db = TempDb(path);
            db.remove();
            db
        }

        fn remove(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }

        fn open(&self) -> SqliteFrontier {
            SqliteFrontier::open(&self.0, Politeness { per_host: 8, delay: Duration::ZERO }).unwrap()
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove();
        }
    }

    fn req(url: &str) -> Request {
        Request::new(Url::parse(url).unwrap(), 0)
    }

    fn fp(url: &str) -> Fingerprint {
        crate::crawl::canon::fingerprint(&Url::parse(url).unwrap())
    }

    async fn push(f: &mut SqliteFrontier, urls: &[&str]) -> usize {
        f.push(urls.iter().map(|u| (fp(u), req(u))).collect()).await.unwrap()
    }

    async fn pop_all(f: &mut SqliteFrontier) -> Vec<Lease> {
        f.pop(Instant::now(), 1000).await.unwrap()
    }

    fn urls(leases: &[Lease]) -> Vec<&str> {
        leases.iter().map(|l| l.req.url.as_str()).collect()
    }

    #[tokio::test]
    async fn leases_not_acked_come_back_after_a_crash() {
        let db = TempDb::new();
        let mut f = db.open();
        push(&mut f, &["http://a.test/1", "http://a.test/2", "http://b.test/1"]).await;
        f.flush().await.unwrap();
        let leases = pop_all(&mut f).await;
        assert_eq!(leases.len(), 3);
        f.finish(&leases[0]).await.unwrap(); // finished, never acked
        f.crash();
        let mut f = db.open();
        assert_eq!(f.counts(), FrontierCounts { queued: 3, in_flight: 0, unacked: 0, seen: 3, done: 0 });
        assert_eq!(urls(&pop_all(&mut f).await), ["http://a.test/1", "http://b.test/1", "http://a.test/2"]);
    }

    #[tokio::test]
    async fn marks_are_committed_with_their_acks() {
        let db = TempDb::new();
        let mut f = db.open();
        push(&mut f, &["http://a.test/1", "http://a.test/2"]).await;
        let leases = pop_all(&mut f).await;
        f.ack_marked(&[], &[("sink:/x.jsonl".into(), 10)]).await.unwrap();
        f.ack_marked(&[leases[0].id], &[("sink:/x.jsonl".into(), 25)]).await.unwrap();
        assert_eq!(f.mark("sink:/x.jsonl"), Some(25));
        f.crash();
        let f = db.open();
        assert_eq!(f.mark("sink:/x.jsonl"), Some(25));
        assert_eq!(f.mark("sink:/other.csv"), None);
        assert_eq!(f.counts().done, 1);
    }

    #[tokio::test]
    async fn acked_pages_never_come_back() {
        let db = TempDb::new();
        let mut f = db.open();
        push(&mut f, &["http://a.test/1", "http://a.test/2"]).await;
        let leases = pop_all(&mut f).await;
        f.ack(&[leases[0].id]).await.unwrap();
        f.crash();
        let mut f = db.open();
        assert_eq!(f.counts(), FrontierCounts { queued: 1, in_flight: 0, unacked: 0, seen: 2, done: 1 });
        assert_eq!(push(&mut f, &["http://a.test/1", "http://a.test/2"]).await, 0, "both still seen");
        assert_eq!(urls(&pop_all(&mut f).await), ["http://a.test/2"]);
    }

    #[tokio::test]
    async fn a_finished_crawl_reopens_empty() {
        let db = TempDb::new();
        let mut f = db.open();
        let all: Vec<String> = (0..50).map(|i| format!("http://h{}.test/{i}", i % 5)).collect();
        push(&mut f, &all.iter().map(String::as_str).collect::<Vec<_>>()).await;
        while f.counts().queued > 0 {
            let ids: Vec<u64> = pop_all(&mut f).await.iter().map(|l| l.id).collect();
            f.ack(&ids).await.unwrap();
        }
        drop(f);
        let mut f = db.open();
        assert_eq!(f.counts(), FrontierCounts { queued: 0, in_flight: 0, unacked: 0, seen: 50, done: 50 });
        assert_eq!(f.next_ready(), None);
        assert!(pop_all(&mut f).await.is_empty());
        assert_eq!(push(&mut f, &["http://h0.test/0"]).await, 0, "start URLs pushed again are seen");
    }

    #[tokio::test]
    async fn pushes_before_an_ack_are_durable_when_it_returns() {
        let db = TempDb::new();
        let mut f = db.open();
        push(&mut f, &["http://a.test/"]).await;
        let page = pop_all(&mut f).await.remove(0);
        // The page's links, then the page's ack: no flush in between.
        let links: Vec<String> = (0..500).map(|i| format!("http://a.test/{i}")).collect();
        push(&mut f, &links.iter().map(String::as_str).collect::<Vec<_>>()).await;
        f.ack(&[page.id]).await.unwrap();
        f.crash(); // drops whatever the writer had not committed
        let f = db.open();
        assert_eq!(f.counts(), FrontierCounts { queued: 500, in_flight: 0, unacked: 0, seen: 501, done: 1 });
    }

    #[tokio::test]
    async fn request_fields_and_retries_survive_a_restart() {
        let db = TempDb::new();
        let mut f = db.open();
        let r = Request {
            url: Url::parse("http://a.test/b?x=1").unwrap(),
            depth: 3,
            referer: Some("http://a.test/".into()),
            first_url: Some("http://a.test/old".into()),
            redirects: 2,
            attempt: 0,
        };
        f.push(vec![(7, r.clone())]).await.unwrap();
        let mut lease = pop_all(&mut f).await.remove(0);
        lease.req.attempt = 2;
        f.requeue(lease, Instant::now()).await.unwrap();
        f.flush().await.unwrap();
        f.crash();
        let mut f = db.open();
        let again = pop_all(&mut f).await.remove(0);
        assert_eq!(again.req, Request { attempt: 2, ..r });
    }

    #[tokio::test]
    async fn a_clean_drop_keeps_unflushed_pushes() {
        let db = TempDb::new();
        let mut f = db.open();
        push(&mut f, &["http://a.test/1"]).await;
        drop(f);
        assert_eq!(db.open().counts().queued, 1);
    }

    #[test]
    fn one_process_per_state_file() {
        let db = TempDb::new();
        let f = db.open();
        let err =
            SqliteFrontier::open(&db.0, Politeness { per_host: 1, delay: Duration::ZERO }).err().unwrap();
        assert!(err.to_string().contains("in use by another crawl"), "{err}");
        drop(f);
        drop(db.open());
    }

    #[test]
    fn a_newer_layout_is_refused() {
        let db = TempDb::new();
        drop(db.open());
        Connection::open(&db.0).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err =
            SqliteFrontier::open(&db.0, Politeness { per_host: 1, delay: Duration::ZERO }).err().unwrap();
        assert!(err.to_string().contains("newer ferrocrawl"), "{err}");
    }
}
