//! One multiplexed connection to a Redis server or cluster, and the retry rule of every call:
//! while Redis is unreachable (restarting, failing over, loading its data) a call waits and
//! tries again with backoff, so the crawl pauses instead of failing; other errors are final.
//!
//! redis-rs does the reconnecting (`ConnectionManager`, and the cluster client for a cluster).
//! A call whose reply was lost may already have run: every script of the store is safe to run
//! twice (pushes are deduplicated, acks and finishes of a gone lease do nothing, and the
//! leases of a lost pop expire and come back).

use std::future::Future;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{ErrorKind, RedisError, RedisResult, RetryMethod};

use super::options::RedisOptions;
use crate::error::redact;
use crate::{Error, Result};

/// How long a call keeps trying while Redis is unreachable before the crawl fails.
const RECONNECT_FOR: Duration = Duration::from_secs(300);
const FIRST_WAIT: Duration = Duration::from_millis(50);
const MAX_WAIT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A script on a partition of a huge crawl can take a while; a dead server is found by the
/// connection breaking, not by this.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    /// Connects and checks the server answers; an unreachable server is a `Connect` error
    /// naming the (redacted) URL.
    pub async fn connect(opts: &RedisOptions) -> Result<Conn> {
        let fail = |e: &RedisError| Error::Connect { url: opts.display.clone(), reason: reason(e) };
        let conn = if opts.cluster {
            let client = ClusterClient::builder(opts.nodes.clone())
                .connection_timeout(CONNECT_TIMEOUT)
                .response_timeout(RESPONSE_TIMEOUT)
                .retries(4)
                .build()
                .map_err(|e| fail(&e))?;
            Conn::Cluster(client.get_async_connection().await.map_err(|e| fail(&e))?)
        } else {
            let client = redis::Client::open(opts.nodes[0].as_str()).map_err(|e| fail(&e))?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                .set_number_of_retries(1)
                .set_max_delay(MAX_WAIT);
            Conn::Single(ConnectionManager::new_with_config(client, config).await.map_err(|e| fail(&e))?)
        };
        let ping = redis::cmd("PING");
        let pong: RedisResult<String> = match conn.clone() {
            Conn::Single(mut c) => ping.query_async(&mut c).await,
            Conn::Cluster(mut c) => ping.query_async(&mut c).await,
        };
        pong.map_err(|e| fail(&e))?;
        Ok(conn)
    }

    /// EVALSHA (loading the script once per server, again after a restart).
    pub async fn eval<T: redis::FromRedisValue>(
        &mut self,
        script: &redis::Script,
        keys: &[&str],
        args: &[Vec<u8>],
    ) -> RedisResult<T> {
        let mut call = script.prepare_invoke();
        for key in keys {
            call.key(*key);
        }
        for arg in args {
            call.arg(arg.as_slice());
        }
        match self {
            Conn::Single(c) => call.invoke_async(c).await,
            Conn::Cluster(c) => call.invoke_async(c).await,
        }
    }

    /// Runs `op` until it succeeds, fails for good, or Redis stayed unreachable too long.
    pub async fn retry<T, F, Fut>(&self, display: &str, mut op: F) -> Result<T>
    where
        F: FnMut(Conn) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let started = Instant::now();
        let mut wait = FIRST_WAIT;
        loop {
            match op(self.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && started.elapsed() < RECONNECT_FOR => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_WAIT);
                }
                Err(e) if is_transient(&e) => {
                    let reason = format!("unreachable for {}s: {}", RECONNECT_FOR.as_secs(), reason(&e));
                    return Err(Error::Connect { url: display.to_owned(), reason });
                }
                Err(e) => return Err(Error::Protocol { url: display.to_owned(), reason: reason(&e) }),
            }
        }
    }
}

/// Whether waiting may help: the server is down, restarting, loading, or the cluster is
/// moving slots. Wrong credentials and script errors are final.
fn is_transient(e: &RedisError) -> bool {
    !matches!(e.kind(), ErrorKind::AuthenticationFailed | ErrorKind::InvalidClientConfig)
        && !matches!(e.retry_method(), RetryMethod::NoRetry)
}

fn reason(e: &RedisError) -> String {
    format!("Redis: {}", redact(&e.to_string()))
}
