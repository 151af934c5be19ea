//! The Redis sink: a hash (a field per item URL, the item as JSON: a page once however often
//! it is written), a list (RPUSH of the JSON) or a stream (XADD of the fields). One command
//! (a stream: one pipeline) per batch, on the connection the shared frontier uses, with its
//! retries: while Redis restarts the batch waits and is sent again.
//!
//! A list or stream batch whose reply was lost may be written twice: those two types are
//! at-least-once after a crash, a hash is exactly once.

use redis::RedisResult;

use super::backend::Fault;
use super::item::{Cell, Item};
use super::spec::RedisType;
use crate::crawl::store::redis::conn::Conn;
use crate::crawl::store::redis::RedisOptions;

pub struct RedisSink {
    conn: Conn,
    display: String,
    key: String,
    kind: RedisType,
}

impl RedisSink {
    pub async fn open(url: &str, key: &str, kind: RedisType) -> crate::Result<RedisSink> {
        let opts = RedisOptions::parse(url)?;
        let conn = Conn::connect(&opts).await?;
        Ok(RedisSink { conn, display: opts.display, key: key.to_owned(), kind })
    }

    pub fn needs_url(&self) -> bool {
        self.kind == RedisType::Hash
    }

    pub async fn write(&mut self, batch: &[Item]) -> Result<(), Fault> {
        let mut pipe = redis::pipe();
        match self.kind {
            RedisType::Hash => {
                let cmd = pipe.cmd("HSET").arg(&self.key);
                for item in batch {
                    cmd.arg(item.url().unwrap_or_default()).arg(item.to_json());
                }
            }
            RedisType::List => {
                let cmd = pipe.cmd("RPUSH").arg(&self.key);
                for item in batch {
                    cmd.arg(item.to_json());
                }
            }
            RedisType::Stream => {
                for item in batch {
                    let cmd = pipe.cmd("XADD").arg(&self.key).arg("*");
                    for (name, value) in &item.fields {
                        cmd.arg(name).arg(Cell::of(Some(value)).text());
                    }
                }
            }
        }
        // Conn::retry waits out a restarting server (for minutes); what it returns is final.
        self.conn
            .retry(&self.display, |conn| {
                let pipe = pipe.clone();
                async move { query(conn, &pipe).await }
            })
            .await
            .map_err(|e| Fault::Permanent(e.to_string()))
    }
}

async fn query(conn: Conn, pipe: &redis::Pipeline) -> RedisResult<()> {
    match conn {
        Conn::Single(mut c) => pipe.query_async::<redis::Value>(&mut c).await.map(drop),
        Conn::Cluster(mut c) => pipe.query_async::<redis::Value>(&mut c).await.map(drop),
    }
}
