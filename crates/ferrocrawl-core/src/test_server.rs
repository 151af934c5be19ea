//! A tiny HTTP/1.1 server for the core's unit tests: a `TcpListener` on 127.0.0.1:0 that reads
//! one request per connection and answers with exact bytes built from a [`Reply`] the test's
//! handler returns. It records every request and how many were in flight at once, so tests
//! can check what the client really sent. Loopback only; dropping the server stops it.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Largest request head or body the server reads; anything bigger closes the connection.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to answer. `Content-Length` (of the whole body) and `Connection: close` are added
/// unless the handler set them.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Wait before answering (the request still counts as in flight).
    delay: Duration,
    /// Send this many body bytes, then wait, then the rest.
    pause: Option<(usize, Duration)>,
    /// Send this many body bytes, then wait until the test opens the gate (`notify_one`).
    gate: Option<(usize, Arc<tokio::sync::Notify>)>,
    /// Send only this many body bytes, then close (a broken transfer).
    truncate: Option<usize>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            pause: None,
            gate: None,
            truncate: None,
        }
    }

    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply::status(200).body(body)
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Reply::status(status).header("Location", location)
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// For deadline tests (a stall between bytes); a test that must observe the half-way
    /// state uses [`Reply::pause_until`] instead of racing this timer.
    #[must_use]
    #[allow(dead_code)] // no test stalls a body today
    pub fn pause_after(mut self, bytes: usize, pause: Duration) -> Self {
        self.pause = Some((bytes, pause));
        self
    }

    /// Sends `bytes` of the body, then waits for `gate` (no race with a timer: the test
    /// looks at the half-way state, then lets the rest go).
    #[must_use]
    pub fn pause_until(mut self, bytes: usize, gate: Arc<tokio::sync::Notify>) -> Self {
        self.gate = Some((bytes, gate));
        self
    }

    #[must_use]
    pub fn truncate(mut self, bytes: usize) -> Self {
        self.truncate = Some(bytes);
        self
    }

    fn head_bytes(&self) -> Vec<u8> {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Whatever");
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        let has = |name: &str| self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if !has("content-length") {
            let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        }
        if !has("connection") {
            head.push_str("Connection: close\r\n");
        }
        for (k, v) in &self.headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Request>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Listens on 127.0.0.1 on a free port and answers every request with `handler`.
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn(accept_loop(listener, handler, state.clone()));
        TestServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, handler: Arc<Handler>, state: Arc<State>) {
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(serve(stream, handler.clone(), state.clone()));
        while connections.try_join_next().is_some() {}
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else { return };
    state.requests.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = handler(&request);
    tokio::time::sleep(reply.delay).await;
    // No longer in flight before the first byte leaves, so a client that waits for this
    // answer can never overlap it with its next request.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);

    let body = match reply.truncate {
        Some(n) => &reply.body[..n.min(reply.body.len())],
        None => &reply.body[..],
    };
    let split = reply.pause.map(|(n, _)| n).or(reply.gate.as_ref().map(|(n, _)| *n));
    let (first, rest) = match split {
        Some(n) => body.split_at(n.min(body.len())),
        None => (body, &[][..]),
    };
    let _ = stream.write_all(&reply.head_bytes()).await;
    let _ = stream.write_all(first).await;
    if let Some((_, pause)) = reply.pause {
        let _ = stream.flush().await;
        tokio::time::sleep(pause).await;
    }
    if let Some((_, gate)) = &reply.gate {
        let _ = stream.flush().await;
        gate.notified().await;
    }
    let _ = stream.write_all(rest).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, path) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST_BYTES {
        return None;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Request { method, path, headers, body })
}

/// A free port with nothing listening on it (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A unique temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ferrocrawl-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Every file under the folder, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap_or(&path).display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
