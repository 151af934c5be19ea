//! One sink: a bounded queue of items and the task that writes them in batches.
//!
//! A batch closes at `batch_items` items, `batch_bytes` bytes or `linger` after its first
//! item, whichever comes first (or at once on `flush`). A transient fault (connection lost,
//! deadlock, server restarting) is retried with doubling waits for up to `retry_for`; after
//! that, or on a permanent fault, the sink has failed: `send` and `flush` return the error,
//! and nothing queued after it is written. `queue` items at most are queued or being
//! written (a semaphore of item permits, given back once written), so a slow target slows
//! whoever sends (the crawl) and memory stays flat. Items travel in chunks: `send_many`
//! wakes the writer once per chunk, not once per item.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backend::{Backend, Fault};
use super::item::Item;
use super::schema::{columns_of, missing, Column};
use super::spec::SinkSpec;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct SinkOptions {
    pub batch_items: usize,
    pub batch_bytes: usize,
    /// Longest wait for a batch to fill after its first item.
    pub linger: Duration,
    /// Items queued or being written before `send` waits.
    pub queue: usize,
    /// How long transient faults are retried before the sink fails.
    pub retry_for: Duration,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            batch_items: 500,
            batch_bytes: 1 << 20,
            linger: Duration::from_millis(50),
            queue: 2000,
            retry_for: Duration::from_secs(300),
        }
    }
}

const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items written, in the order they were sent.
    pub written: u64,
    pub failed: bool,
}

enum Msg {
    Items(Vec<Item>),
    Flush,
}

struct Shared {
    display: String,
    failure: Mutex<Option<String>>,
    /// The fields an item may have, once known; `None`: any.
    columns: Mutex<Option<Vec<String>>>,
    needs_url: bool,
    /// The key column's limit: ASCII, at most this long.
    max_url: Option<usize>,
    /// (sequence number, file length after it) of written items not yet taken as marks.
    marks: Mutex<VecDeque<(u64, u64)>>,
    /// One permit per item that may be queued or in a batch being written; closed when the
    /// sink fails, so that waiting senders learn of it.
    room: Semaphore,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn error(&self, reason: impl Into<String>) -> Error {
        Error::Sink { sink: self.display.clone(), reason: reason.into() }
    }

    fn check(&self, item: &Item) -> Result<()> {
        if let Some(reason) = locked(&self.failure).clone() {
            return Err(self.error(reason));
        }
        if self.needs_url && item.url().is_none() {
            return Err(self.error("an item needs a `url` string: it is the key of each row"));
        }
        if let (Some(max), Some(url)) = (self.max_url, item.url()) {
            if url.len() > max || !url.is_ascii() {
                return Err(self.error(format!(
                    "the url {url:?} cannot be a key: ASCII, at most {max} characters (crawled URLs are)"
                )));
            }
        }
        if let Some(columns) = &*locked(&self.columns) {
            if let Some(field) = missing(columns, item) {
                return Err(self.error(format!(
                    "the item field {field:?} has no column (columns: {}); add the column or drop the field",
                    columns.join(", ")
                )));
            }
        }
        Ok(())
    }
}

pub struct Sink {
    shared: Arc<Shared>,
    /// The semaphore's size: most items one message carries.
    queue: usize,
    tx: Option<mpsc::UnboundedSender<Msg>>,
    progress: watch::Receiver<Progress>,
    submitted: u64,
    /// A file sink's absolute path and its length when opened.
    file: Option<(PathBuf, u64)>,
    task: Option<JoinHandle<()>>,
}

impl Sink {
    /// Opens the target: connects, reads its columns, and creates the table (or CSV header)
    /// from `plan` when it is missing. A field of `plan` that an existing table lacks is an
    /// error here, before anything is written. `notify` is woken after each batch.
    pub async fn open(
        spec: SinkSpec,
        plan: Option<Vec<Column>>,
        opts: SinkOptions,
        truncate_to: Option<u64>,
        notify: Option<Arc<Notify>>,
    ) -> Result<Sink> {
        let err = |f: Fault| Error::Sink { sink: spec.display.clone(), reason: f.reason().to_owned() };
        let mut backend = Backend::open(&spec, truncate_to).await.map_err(err)?;
        if let Some(plan) = &plan {
            if backend.needs_columns() {
                backend.create(plan).await.map_err(err)?;
            } else if let Some(columns) = backend.columns() {
                if let Some(c) = plan.iter().find(|c| !columns.contains(&c.name)) {
                    return Err(err(Fault::Permanent(format!(
                        "the item field {:?} has no column (columns: {}); add the column or drop the field",
                        c.name,
                        columns.join(", ")
                    ))));
                }
            }
        }
        let file = backend.file().map(|(path, len)| (std::path::absolute(&path).unwrap_or(path), len));
        let shared = Arc::new(Shared {
            display: spec.display.clone(),
            failure: Mutex::new(None),
            columns: Mutex::new(backend.columns().map(<[String]>::to_vec)),
            needs_url: backend.needs_url(),
            max_url: backend.max_url(),
            marks: Mutex::new(VecDeque::new()),
            room: Semaphore::new(opts.queue.max(1)),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let (progress_tx, progress) = watch::channel(Progress::default());
        let writer = Writer {
            recheck: backend.needs_columns(),
            backend,
            rx,
            shared: shared.clone(),
            progress: progress_tx,
            opts,
            notify,
            written: 0,
            carry: VecDeque::new(),
        };
        let task = tokio::spawn(writer.run());
        Ok(Sink {
            shared,
            queue: opts.queue.max(1),
            tx: Some(tx),
            progress,
            submitted: 0,
            file,
            task: Some(task),
        })
    }

    /// The sink's URL, password removed.
    pub fn display(&self) -> &str {
        &self.shared.display
    }

    /// Whether `send` would take the item: the sink has not failed, the item has a `url`
    /// where one is the key, and no field the table lacks.
    pub fn check(&self, item: &Item) -> Result<()> {
        self.shared.check(item)
    }

    /// Queues an item (waiting while the queue is full); returns its sequence number, 1 up.
    pub async fn send(&mut self, item: Item) -> Result<u64> {
        self.send_many(vec![item]).await
    }

    /// Queues items in order, every one checked first (none is queued if one is refused);
    /// returns the sequence number of the last.
    pub async fn send_many(&mut self, mut items: Vec<Item>) -> Result<u64> {
        items.iter().try_for_each(|i| self.check(i))?;
        while !items.is_empty() {
            // at most the whole semaphore at once, so that a long list is granted in parts
            let rest = items.split_off(items.len().min(self.queue));
            let chunk = std::mem::replace(&mut items, rest);
            let n = chunk.len();
            let permits = self.shared.room.acquire_many(n as u32).await;
            let sent = match (&self.tx, permits) {
                (Some(tx), Ok(permits)) => {
                    permits.forget(); // the writer gives them back once the items are written
                    tx.send(Msg::Items(chunk)).is_ok()
                }
                _ => false,
            };
            if !sent {
                return Err(self.failure().unwrap_or_else(|| self.shared.error("closed")));
            }
            self.submitted += n as u64;
        }
        Ok(self.submitted)
    }

    pub fn submitted(&self) -> u64 {
        self.submitted
    }

    pub fn written(&self) -> u64 {
        self.progress.borrow().written
    }

    pub fn failure(&self) -> Option<Error> {
        locked(&self.shared.failure).clone().map(|r| self.shared.error(r))
    }

    /// Waits until every item sent so far is written (or the sink failed).
    pub async fn flush(&mut self) -> Result<()> {
        if self.written() < self.submitted {
            if let Some(tx) = &self.tx {
                let _ = tx.send(Msg::Flush);
            }
        }
        let target = self.submitted;
        let _ = self.progress.wait_for(|p| p.failed || p.written >= target).await;
        match self.failure() {
            Some(e) => Err(e),
            None if self.written() >= target => Ok(()),
            None => Err(self.shared.error("the writer stopped")),
        }
    }

    /// Flushes, then stops the writer and closes the connections.
    pub async fn close(&mut self) -> Result<()> {
        let flushed = self.flush().await;
        self.tx = None;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        flushed
    }

    /// A file sink: its absolute path and length when opened.
    pub fn file(&self) -> Option<&(PathBuf, u64)> {
        self.file.as_ref()
    }

    /// A file sink: the file's length after item `seq` (if it is written), forgetting the
    /// lengths of the items before it.
    pub fn mark_upto(&self, seq: u64) -> Option<u64> {
        let mut marks = locked(&self.shared.marks);
        let mut last = None;
        while marks.front().is_some_and(|(s, _)| *s <= seq) {
            last = marks.pop_front().map(|(_, len)| len);
        }
        last
    }
}

struct Writer {
    backend: Backend,
    rx: mpsc::UnboundedReceiver<Msg>,
    shared: Arc<Shared>,
    progress: watch::Sender<Progress>,
    opts: SinkOptions,
    notify: Option<Arc<Notify>>,
    written: u64,
    /// Items received past the last batch's limits: the next batch starts with them.
    carry: VecDeque<Item>,
    /// The columns were unknown when the sink opened, so items were sent unchecked.
    recheck: bool,
}

impl Writer {
    async fn run(mut self) {
        let mut batch = Vec::new();
        let mut open = true;
        while open {
            open = self.collect(&mut batch).await;
            if batch.is_empty() {
                continue;
            }
            if let Err(reason) = self.write(&batch).await {
                *locked(&self.shared.failure) = Some(reason);
                self.shared.room.close();
                self.progress.send_modify(|p| p.failed = true);
                self.wake();
                break;
            }
            self.shared.room.add_permits(batch.len());
            batch.clear();
        }
        self.rx.close();
        self.backend.close().await;
    }

    /// Fills `batch` until a limit or a flush; false once every sender is gone.
    async fn collect(&mut self, batch: &mut Vec<Item>) -> bool {
        let mut bytes = 0;
        // carried items have waited already: their batch goes out without a linger
        let mut deadline = (!self.carry.is_empty()).then(Instant::now);
        // a batch holding every permit cannot grow: no sender can add to it
        let max_items = self.opts.batch_items.min(self.opts.queue.max(1));
        loop {
            while batch.len() < max_items && bytes < self.opts.batch_bytes {
                let Some(item) = self.carry.pop_front() else { break };
                bytes += item.approx_bytes();
                batch.push(item);
            }
            if batch.len() >= max_items || bytes >= self.opts.batch_bytes {
                return true;
            }
            let msg = match deadline {
                None => self.rx.recv().await,
                Some(at) => tokio::select! {
                    msg = self.rx.recv() => msg,
                    () = tokio::time::sleep_until(at) => return true,
                },
            };
            match msg {
                None => return false,
                Some(Msg::Flush) => return true,
                Some(Msg::Items(items)) => {
                    self.carry.extend(items);
                    deadline.get_or_insert_with(|| Instant::now() + self.opts.linger);
                }
            }
        }
    }

    async fn write(&mut self, batch: &[Item]) -> Result<(), String> {
        if self.backend.needs_columns() {
            let columns = columns_of(batch);
            self.retrying(Step::Create(&columns)).await?;
            *locked(&self.shared.columns) = self.backend.columns().map(<[String]>::to_vec);
        }
        // Items queued before the table was made from the first ones may not fit it (items
        // sent once the columns were known were checked by `send`).
        if self.recheck {
            for item in batch {
                self.shared.check(item).map_err(|e| match e {
                    Error::Sink { reason, .. } => reason,
                    e => e.to_string(),
                })?;
            }
        }
        let ends = self.retrying(Step::Write(batch)).await?;
        let first = self.written + 1;
        self.written += batch.len() as u64;
        if !ends.is_empty() {
            locked(&self.shared.marks).extend((first..).zip(ends));
        }
        let written = self.written;
        self.progress.send_modify(|p| p.written = written);
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        if let Some(n) = &self.notify {
            n.notify_one();
        }
    }

    /// Runs `step` until it succeeds, fails for good, or transient faults lasted too long.
    async fn retrying(&mut self, step: Step<'_>) -> Result<Vec<u64>, String> {
        let started = Instant::now();
        let mut wait = FIRST_RETRY;
        loop {
            let done = match step {
                Step::Create(columns) => self.backend.create(columns).await.map(|()| Vec::new()),
                Step::Write(batch) => self.backend.write(batch).await,
            };
            match done {
                Ok(ends) => return Ok(ends),
                Err(Fault::Transient(_)) if started.elapsed() < self.opts.retry_for => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_RETRY);
                }
                Err(Fault::Transient(reason)) => {
                    return Err(format!("gave up after {}s: {reason}", self.opts.retry_for.as_secs()))
                }
                Err(Fault::Permanent(reason)) => return Err(reason),
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Create(&'a [Column]),
    Write(&'a [Item]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::schema::Column;
    use serde_json::Value;

    fn item(i: usize) -> Item {
        Item {
            fields: vec![("url".into(), Value::from(format!("http://a/{i}"))), ("n".into(), Value::from(i))],
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fc-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn batches_in_order_with_marks() {
        let dir = temp("jsonl");
        let spec = SinkSpec::parse(dir.join("items.jsonl").to_str().unwrap()).unwrap();
        let opts = SinkOptions {
            batch_items: 7,
            linger: Duration::from_secs(60),
            queue: 3,
            ..SinkOptions::default()
        };
        let mut sink = Sink::open(spec, None, opts, None, None).await.unwrap();
        for i in 0..20 {
            assert_eq!(sink.send(item(i)).await.unwrap(), i as u64 + 1);
        }
        // a full batch is written at once; the rest waits for the linger or a flush
        let mut progress = sink.progress.clone();
        progress.wait_for(|p| p.written >= 14).await.unwrap();
        sink.flush().await.unwrap();
        assert_eq!(sink.written(), 20);
        let text = std::fs::read_to_string(dir.join("items.jsonl")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20);
        assert_eq!(lines[3], r#"{"url":"http://a/3","n":3}"#);
        let end_of_5 = lines[..5].iter().map(|l| l.len() as u64 + 1).sum::<u64>();
        assert_eq!(sink.mark_upto(5), Some(end_of_5));
        assert_eq!(sink.mark_upto(5), None, "taken");
        assert_eq!(sink.mark_upto(20), Some(text.len() as u64));
        sink.close().await.unwrap();
        assert!(sink.send(item(0)).await.unwrap_err().to_string().contains("closed"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn table_made_from_first_items_then_refuses_new_fields() {
        let dir = temp("sqlite");
        let url = format!("sqlite:///{}?table=t", dir.join("x.db").display());
        let mut sink = Sink::open(SinkSpec::parse(&url).unwrap(), None, SinkOptions::default(), None, None)
            .await
            .unwrap();
        sink.send(item(1)).await.unwrap();
        sink.flush().await.unwrap();
        let mut extra = item(2);
        extra.fields.push(("colour".into(), Value::from("red")));
        let e = sink.send(extra).await.unwrap_err().to_string();
        assert!(e.contains("\"colour\" has no column"), "{e}");
        let no_url = Item { fields: vec![("n".into(), Value::from(1))] };
        assert!(sink.check(&no_url).unwrap_err().to_string().contains("url"));
        sink.close().await.unwrap();
        // reopened with a plan naming a field the table lacks: refused before any write
        let plan = vec![Column::text("url"), Column::text("n"), Column::text("price")];
        let e = Sink::open(SinkSpec::parse(&url).unwrap(), Some(plan), SinkOptions::default(), None, None)
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("\"price\" has no column") && e.contains("sink sqlite:///"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_failed_write_fails_the_sink() {
        let dir = temp("fail");
        let url = format!("sqlite:///{}?table=t", dir.join("x.db").display());
        let plan = vec![Column::text("url"), Column::text("n")];
        let mut sink =
            Sink::open(SinkSpec::parse(&url).unwrap(), Some(plan), SinkOptions::default(), None, None)
                .await
                .unwrap();
        // the table goes away under the sink: a permanent error, reported, nothing hangs
        rusqlite::Connection::open(dir.join("x.db")).unwrap().execute_batch("DROP TABLE t").unwrap();
        sink.send(item(1)).await.unwrap();
        let e = sink.flush().await.unwrap_err().to_string();
        assert!(e.contains("no such table"), "{e}");
        assert!(sink.send(item(2)).await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
