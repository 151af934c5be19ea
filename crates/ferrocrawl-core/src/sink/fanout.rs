//! A crawl's sinks (`sink=` takes a list): every item goes to each, and a page counts as
//! written once every sink has written its item. Sinks receive items in the same order, so
//! one sequence number names an item in all of them.

use std::sync::Arc;

use tokio::sync::Notify;

use super::item::Item;
use super::writer::Sink;
use crate::Result;

#[derive(Default)]
pub struct Sinks {
    list: Vec<Sink>,
    /// Woken by every sink after each batch (and when one fails).
    notify: Arc<Notify>,
    submitted: u64,
}

impl Sinks {
    /// The notifier to open each sink with.
    pub fn notifier(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    pub fn push(&mut self, sink: Sink) {
        self.list.push(sink);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Items sent so far (the sequence number of the last one).
    pub fn submitted(&self) -> u64 {
        self.submitted
    }

    /// Items every sink has written.
    pub fn written(&self) -> u64 {
        self.list.iter().map(Sink::written).min().unwrap_or(self.submitted)
    }

    /// Sends the item to every sink (waiting while one's queue is full).
    pub async fn send(&mut self, item: Item) -> Result<()> {
        if let Some((last, rest)) = self.list.split_last_mut() {
            for sink in rest {
                sink.send(item.clone()).await?;
            }
            last.send(item).await?;
        }
        self.submitted += 1;
        Ok(())
    }

    /// Returns after some sink wrote a batch or failed (at once if one did since last asked).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    /// The first sink that failed, as its error.
    pub fn failure(&self) -> Option<crate::Error> {
        self.list.iter().find_map(Sink::failure)
    }

    /// The crawl state's marks for items up to `seq`: ("sink:" + file path, length).
    pub fn marks_upto(&self, seq: u64) -> Vec<(String, u64)> {
        self.list.iter().filter_map(|s| Some((mark_key(&s.file()?.0), s.mark_upto(seq)?))).collect()
    }

    /// Waits until every sink has written everything sent.
    pub async fn flush(&mut self) -> Result<()> {
        for sink in &mut self.list {
            sink.flush().await?;
        }
        Ok(())
    }

    pub async fn close(&mut self) -> Result<()> {
        let mut first = Ok(());
        for sink in &mut self.list {
            let closed = sink.close().await;
            if first.is_ok() {
                first = closed;
            }
        }
        first
    }
}

/// The key under which a crawl state keeps a file sink's length.
pub fn mark_key(path: &std::path::Path) -> String {
    format!("sink:{}", path.display())
}
