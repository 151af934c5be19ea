//! The targets behind one interface: open, learn or create the columns, write a batch. The
//! writer task (`writer.rs`) owns one and does the batching and retrying.

use std::path::PathBuf;

use super::file::FileSink;
use super::item::Item;
use super::mysql::MysqlSink;
use super::redis::RedisSink;
use super::schema::Column;
use super::spec::{SinkSpec, Target};
use super::sqlite::SqliteSink;

/// Why a write failed: worth another try, or final.
#[derive(Debug, Clone)]
pub enum Fault {
    Transient(String),
    Permanent(String),
}

impl Fault {
    pub fn permanent(e: impl std::fmt::Display) -> Fault {
        Fault::Permanent(e.to_string())
    }

    pub fn reason(&self) -> &str {
        match self {
            Fault::Transient(r) | Fault::Permanent(r) => r,
        }
    }
}

/// A batch cut into the rows of multi-row statements: each chunk is the largest power of two
/// that fits what is left, 256 rows and `max_params` placeholders. Each distinct row count is
/// a statement to prepare (MySQL also describes it, parameter by parameter); a handful of
/// sizes keeps them all cached.
pub fn statement_chunks<T>(batch: &[T], columns: usize, max_params: usize) -> impl Iterator<Item = &[T]> {
    let most = 256.min((max_params / columns.max(1)).max(1));
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = 1 << rest.len().min(most).ilog2();
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

/// An SQL identifier in double quotes (SQLite, standard SQL).
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub enum Backend {
    File(FileSink),
    Sqlite(SqliteSink),
    Redis(RedisSink),
    Mysql(MysqlSink),
}

impl Backend {
    /// Connects or opens; a file is first cut to `truncate_to` (a resumed crawl's mark).
    pub async fn open(spec: &SinkSpec, truncate_to: Option<u64>) -> Result<Backend, Fault> {
        Ok(match &spec.target {
            Target::File { path, format } => Backend::File(
                blocking(|| FileSink::open(path, *format, truncate_to)).map_err(Fault::permanent)?,
            ),
            Target::Sqlite { path, table } => Backend::Sqlite(blocking(|| SqliteSink::open(path, table))?),
            Target::Redis { url, key, kind } => {
                Backend::Redis(RedisSink::open(url, key, *kind).await.map_err(Fault::permanent)?)
            }
            Target::Mysql { url, table } => Backend::Mysql(MysqlSink::open(url, table).await?),
        })
    }

    /// The fields items may have: `None` for any (JSON lines, Redis) or not known yet (a
    /// table or CSV file still to be created).
    pub fn columns(&self) -> Option<&[String]> {
        match self {
            Backend::File(f) => f.columns(),
            Backend::Sqlite(s) => s.columns(),
            Backend::Mysql(m) => m.columns(),
            Backend::Redis(_) => None,
        }
    }

    /// Whether `create` must run before the first write.
    pub fn needs_columns(&self) -> bool {
        match self {
            Backend::File(f) => f.needs_columns(),
            Backend::Sqlite(s) => s.columns().is_none(),
            Backend::Mysql(m) => m.columns().is_none(),
            Backend::Redis(_) => false,
        }
    }

    /// Whether every item needs a `url` (the key of a table or hash).
    pub fn needs_url(&self) -> bool {
        match self {
            Backend::Sqlite(_) | Backend::Mysql(_) => true,
            Backend::Redis(r) => r.needs_url(),
            Backend::File(_) => false,
        }
    }

    /// The longest `url` a key column holds (ASCII only), where there is a limit.
    pub fn max_url(&self) -> Option<usize> {
        matches!(self, Backend::Mysql(_)).then_some(super::mysql::MAX_URL)
    }

    pub async fn create(&mut self, columns: &[Column]) -> Result<(), Fault> {
        match self {
            Backend::File(f) => blocking(|| f.create(columns)),
            Backend::Sqlite(s) => blocking(|| s.create(columns)),
            Backend::Mysql(m) => m.create(columns).await,
            Backend::Redis(_) => Ok(()),
        }
    }

    /// Writes a batch; a file returns its length after each item, the others nothing.
    pub async fn write(&mut self, batch: &[Item]) -> Result<Vec<u64>, Fault> {
        match self {
            Backend::File(f) => blocking(|| f.write(batch)),
            Backend::Sqlite(s) => blocking(|| s.write(batch)).map(|()| Vec::new()),
            Backend::Redis(r) => r.write(batch).await.map(|()| Vec::new()),
            Backend::Mysql(m) => m.write(batch).await.map(|()| Vec::new()),
        }
    }

    /// A file's path and length: what a crawl state keeps to cut it back on resume.
    pub fn file(&self) -> Option<(PathBuf, u64)> {
        match self {
            Backend::File(f) => Some((f.path().to_owned(), f.offset())),
            _ => None,
        }
    }

    pub async fn close(self) {
        if let Backend::Mysql(m) = self {
            m.close().await;
        }
    }
}

/// Disk work on a runtime thread that may block (the runtime moves its other tasks away),
/// without moving the data to another thread. Outside a multi-thread runtime it just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::statement_chunks;

    #[test]
    fn statements_take_powers_of_two_within_the_parameter_limit() {
        let sizes = |n: usize, columns, max| -> Vec<usize> {
            statement_chunks(&vec![0; n], columns, max).map(<[i32]>::len).collect()
        };
        assert_eq!(sizes(500, 5, 65_535), [256, 128, 64, 32, 16, 4]);
        assert_eq!(sizes(44, 5, 65_535), [32, 8, 4]);
        assert_eq!(sizes(1, 5, 65_535), [1]);
        assert_eq!(sizes(300, 200, 32_766)[0], 128); // 32 766 / 200 = 163
        assert!(sizes(0, 5, 65_535).is_empty());
    }
}
