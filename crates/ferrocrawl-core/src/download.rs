//! `Client::download`: stream a body to disk with bounded memory, through a `.part` file
//! renamed into place only when complete, resuming a previous `.part` with `Range` and
//! `If-Range` (so a file changed on the server since is fetched anew, never spliced).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    HeaderMap, ACCEPT_ENCODING, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_RANGE,
    LAST_MODIFIED, RANGE,
};
use reqwest::StatusCode;

use crate::client::{map_reqwest_error, with_deadline, Client};
use crate::error::{Error, Result, TimeoutKind};
use crate::files::{filename_from_response, resolve_under, PartFile};
use crate::request::RequestSpec;
use crate::response::ResponseHead;
use crate::retry::retry_after;

/// Largest file a download writes unless told otherwise (`max_size=`): large enough for any
/// video or dataset a crawl meets, small enough that a hostile endless body stops.
pub const DEFAULT_MAX_DOWNLOAD_SIZE: u64 = 10 << 30;

/// The longest wait for the next bytes of a download (headers, then each chunk) when the
/// session sets no `sock_read`. A download has no `total` deadline unless one is passed to
/// `download()` itself: a 2 GB file on a slow link is fine as long as bytes keep coming.
pub const DEFAULT_DOWNLOAD_IDLE: Duration = Duration::from_secs(60);

/// Where a download goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// This exact file (a path the caller chose).
    File(PathBuf),
    /// A file in this folder named after the response (Content-Disposition or URL),
    /// sanitised, or after `name` (untrusted, e.g. a title scraped from a page).
    Folder { folder: PathBuf, name: Option<String> },
}

#[derive(Debug, Clone, Copy)]
pub struct DownloadOptions {
    /// Continue an existing `.part` file with a Range request, and keep it on failure.
    pub resume: bool,
    /// Refuse files larger than this many bytes.
    pub max_size: u64,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions { resume: false, max_size: DEFAULT_MAX_DOWNLOAD_SIZE }
    }
}

/// Why an attempt failed, and whether another may do better.
struct Failed {
    error: Error,
    retry: Retry,
}

enum Retry {
    No,
    /// After the policy's backoff (a broken transfer, a timeout).
    Backoff,
    /// After the server's `Retry-After` (a 429/503).
    After(Duration),
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        let retry = if error.is_transient() { Retry::Backoff } else { Retry::No };
        Failed { error, retry }
    }
}

fn fatal(error: Error) -> Failed {
    Failed { error, retry: Retry::No }
}

impl Client {
    /// Downloads `spec` to `dest` and returns the final path. Non-2xx statuses are errors
    /// (an error page is never saved as the file). A broken transfer, a timeout or a 429/503
    /// is retried up to the session's `retries` times, resuming from what arrived.
    ///
    /// Deadlines: `spec.timeouts.total` if the caller gave one for this download (the
    /// session's `total` is for pages, not files); otherwise only the wait for the next bytes
    /// is bounded, by `read` (`sock_read`) or [`DEFAULT_DOWNLOAD_IDLE`].
    pub async fn download(
        &self,
        spec: &RequestSpec,
        dest: &Destination,
        opts: DownloadOptions,
    ) -> Result<PathBuf> {
        let total = spec.timeouts.and_then(|t| t.total);
        let idle = spec.timeouts.unwrap_or(self.config().timeouts).read.unwrap_or(DEFAULT_DOWNLOAD_IDLE);
        with_deadline(total, &spec.url, self.download_inner(spec, dest, opts, idle))
            .await
            .map_err(Error::redacted)
    }

    async fn download_inner(
        &self,
        spec: &RequestSpec,
        dest: &Destination,
        opts: DownloadOptions,
        idle: Duration,
    ) -> Result<PathBuf> {
        // A name known before the request lets us look for a `.part` to resume.
        let known = match dest {
            Destination::File(path) => Some(path.clone()),
            Destination::Folder { folder, name: Some(name) } => Some(resolve_under(folder, name)?),
            Destination::Folder { name: None, .. } => None,
        };
        // Between attempts of this call the `.part` stays in `part` (the next attempt resumes
        // it); `opts.resume` decides whether it outlives the call.
        let mut part = match &known {
            Some(target) if opts.resume => Some(PartFile::open_resume(target).await?.keep_partial(true)),
            _ => None,
        };
        let policy = &self.config().retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failed = match self.download_attempt(spec, dest, known.as_ref(), &mut part, opts, idle).await
            {
                Ok(path) => return Ok(path),
                Err(failed) => failed,
            };
            let wait = match failed.retry {
                Retry::Backoff if attempt <= policy.retries => policy.backoff_after(attempt),
                Retry::After(wait) if attempt <= policy.retries => wait,
                _ => {
                    if let Some(mut p) = part.take() {
                        // A refused (too large) file is never kept for a later resume.
                        let too_large = matches!(failed.error, Error::BodyTooLarge { .. });
                        p.set_keep_partial(opts.resume && !too_large && !p.is_empty());
                        // Flush before answering, so a `.part` kept for resume holds every
                        // byte received when the caller sees the error.
                        p.abort().await?;
                    }
                    return Err(failed.error);
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn download_attempt(
        &self,
        spec: &RequestSpec,
        dest: &Destination,
        known: Option<&PathBuf>,
        part: &mut Option<PartFile>,
        opts: DownloadOptions,
        idle: Duration,
    ) -> std::result::Result<PathBuf, Failed> {
        let mut spec = spec.clone();
        // The file as the server has it: no compression to undo, and a Range counts bytes of
        // that file, not of a compressed stream.
        spec.headers.retain(|(k, _)| {
            ![ACCEPT_ENCODING, RANGE, IF_RANGE].iter().any(|h| k.eq_ignore_ascii_case(h.as_str()))
        });
        spec.headers.push((ACCEPT_ENCODING.as_str().to_owned(), "identity".to_owned()));
        let offset = part.as_ref().map_or(0, PartFile::len);
        let validator = match part.as_ref() {
            Some(p) if offset > 0 => p.validator().await,
            _ => None,
        };
        // Without a validator the server cannot tell us the file changed: start over rather
        // than splice two versions (as browsers do).
        let ranged = offset > 0 && validator.is_some();
        if let (true, Some(v)) = (ranged, &validator) {
            spec.headers.push((RANGE.as_str().to_owned(), format!("bytes={offset}-")));
            spec.headers.push((IF_RANGE.as_str().to_owned(), v.clone()));
        }
        let timeouts = spec.timeouts.unwrap_or(self.config().timeouts);
        let (mut resp, _, mut permits) = self.send_within(&spec, idle).await?;
        if resp.status() == StatusCode::RANGE_NOT_SATISFIABLE && ranged {
            // Nothing past our offset, or the file changed: start over rather than guess
            // that the `.part` is complete.
            if let Some(p) = part.as_mut() {
                p.restart().await?;
            }
            spec.headers
                .retain(|(k, _)| ![RANGE, IF_RANGE].iter().any(|h| k.eq_ignore_ascii_case(h.as_str())));
            drop((resp, permits));
            (resp, _, permits) = self.send_within(&spec, idle).await?;
        }
        let url = resp.url().clone();
        let status = resp.status();
        // Not only 4xx/5xx: a 3xx (allow_redirects=false) or 1xx body is not the file either.
        if !status.is_success() {
            let error = Error::HttpStatus {
                url: url.to_string(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
            };
            let policy = &self.config().retry;
            let retry = if !policy.statuses.contains(&status.as_u16()) {
                Retry::No
            } else if let Some(wait) = retry_after(resp.headers(), SystemTime::now()) {
                Retry::After(wait.min(policy.max_wait))
            } else {
                Retry::Backoff
            };
            return Err(Failed { error, retry });
        }
        let target = match (known, dest) {
            (Some(target), _) => target.clone(),
            (None, _) if part.is_some() => part.as_ref().map(|p| p.target().to_owned()).unwrap_or_default(),
            (None, Destination::Folder { folder, .. }) => {
                let cd = resp
                    .headers()
                    .get(CONTENT_DISPOSITION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                resolve_under(folder, &filename_from_response(&url, cd.as_deref()))?
            }
            (None, Destination::File(path)) => path.clone(),
        };
        if part.is_none() {
            *part = Some(PartFile::create(&target).await?.keep_partial(opts.resume));
        }
        let p = part.as_mut().expect("set above");
        let have = p.len();
        let too_large =
            || fatal(Error::BodyTooLarge { url: url.to_string(), option: "max_size", limit: opts.max_size });
        if status == StatusCode::PARTIAL_CONTENT {
            // Append only what starts exactly where the `.part` ends.
            match content_range_start(resp.headers()) {
                Some(start) if start == have => {}
                Some(0) => p.restart().await?,
                None if have == 0 => {} // unasked-for 206 without a range: take it whole
                start => {
                    return Err(fatal(Error::Protocol {
                        url: url.to_string(),
                        reason: format!(
                            "asked for bytes from {have}, the server sent {}; the partial file is kept",
                            start.map_or_else(
                                || "no usable Content-Range".to_owned(),
                                |s| format!("bytes from {s}")
                            )
                        ),
                    }));
                }
            }
        } else if !p.is_empty() {
            p.restart().await?; // the server sent the whole (maybe changed) file
        }
        if status != StatusCode::PARTIAL_CONTENT || p.is_empty() {
            p.set_validator(validator_of(resp.headers()).as_deref()).await?;
        }
        // Refused before a byte is written when the server says how big it is.
        let declared = resp.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| p.len().saturating_add(n) > opts.max_size) {
            return Err(too_large());
        }
        let mut written = p.len();
        loop {
            let chunk = match tokio::time::timeout(idle, resp.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => break,
                Ok(Err(e)) => return Err(map_reqwest_error(&e, &url, &timeouts).into()),
                Err(_) => {
                    return Err(
                        Error::Timeout { url: url.to_string(), kind: TimeoutKind::Read, after: idle }.into()
                    )
                }
            };
            written += chunk.len() as u64;
            if written > opts.max_size {
                return Err(too_large());
            }
            p.write_all(&chunk).await?;
        }
        drop(permits);
        Ok(part.take().expect("set above").commit().await?)
    }

    /// `send`, with the wait for the response head bounded by the download's idle deadline.
    async fn send_within(
        &self,
        spec: &RequestSpec,
        idle: Duration,
    ) -> Result<(reqwest::Response, Vec<ResponseHead>, crate::client::Permits)> {
        tokio::time::timeout(idle, self.send(spec)).await.unwrap_or_else(|_| {
            Err(Error::Timeout { url: spec.url.clone(), kind: TimeoutKind::Read, after: idle })
        })
    }
}

/// What `If-Range` may carry (RFC 9110 §13.1.5): a strong ETag, else the Last-Modified date.
fn validator_of(headers: &HeaderMap) -> Option<String> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    match text(ETAG) {
        Some(etag) if etag.starts_with('"') => Some(etag.to_owned()),
        _ => text(LAST_MODIFIED).filter(|d| httpdate::parse_http_date(d).is_ok()).map(str::to_owned),
    }
}

/// The first byte of a single-range `Content-Range: bytes <start>-<end>/<size or *>`.
fn content_range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let (unit, range) = value.split_once(' ')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let (start, rest) = range.trim_start().split_once('-')?;
    let (end, _size) = rest.split_once('/')?;
    let (start, end) = (start.parse::<u64>().ok()?, end.parse::<u64>().ok()?);
    (start <= end).then_some(start)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::config::{ClientConfig, RetryPolicy};
    use crate::test_server::{Reply, Request, TempDir, TestServer};

    const BODY: &[u8] = b"0123456789abcdefghij";

    fn client() -> Client {
        let mut config = ClientConfig::default();
        config.timeouts.total = Some(Duration::from_secs(5));
        Client::new(config).unwrap()
    }

    fn file(path: &Path) -> Destination {
        Destination::File(path.to_owned())
    }

    const RESUME: DownloadOptions = DownloadOptions { resume: true, max_size: DEFAULT_MAX_DOWNLOAD_SIZE };
    const ETAG_V1: &str = "\"v1\"";

    /// A `.part` left by an earlier run, with the validator of the response it came from.
    fn leave_part(dir: &TempDir, name: &str, bytes: &[u8], validator: Option<&str>) {
        std::fs::write(dir.0.join(format!("{name}.part")), bytes).unwrap();
        if let Some(v) = validator {
            std::fs::write(dir.0.join(format!("{name}.part.meta")), v).unwrap();
        }
    }

    fn client_with(config: impl FnOnce(&mut ClientConfig)) -> Client {
        let mut c = ClientConfig::default();
        c.timeouts.total = Some(Duration::from_secs(5));
        config(&mut c);
        Client::new(c).unwrap()
    }

    /// Serves [`BODY`] with ETag v1, honouring `Range: bytes=N-` with a 206 unless an
    /// `If-Range` names another version (then the whole file, 200), as RFC 9110 §13.1.5 says.
    fn ranged(req: &Request) -> Reply {
        let range =
            req.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok());
        let current = req.header("if-range").is_none_or(|v| v == ETAG_V1);
        match range {
            Some(from) if from < BODY.len() && current => Reply::status(206)
                .header("Content-Range", &format!("bytes {from}-{}/{}", BODY.len() - 1, BODY.len()))
                .header("ETag", ETAG_V1)
                .body(&BODY[from..]),
            Some(_) if current => {
                Reply::status(416).header("Content-Range", &format!("bytes */{}", BODY.len()))
            }
            _ => Reply::ok(BODY).header("ETag", ETAG_V1),
        }
    }

    #[test]
    fn content_range_parsing() {
        let start = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_RANGE, v.parse().unwrap());
            content_range_start(&h)
        };
        assert_eq!(start("bytes 7-19/20"), Some(7));
        assert_eq!(start("bytes 0-0/*"), Some(0));
        assert_eq!(start("Bytes  3-4/5"), Some(3));
        for bad in ["bytes */20", "bytes 9-3/20", "items 1-2/3", "bytes 1-2", "bytes x-2/3", "garbage"] {
            assert_eq!(start(bad), None, "{bad}");
        }
        assert_eq!(content_range_start(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn writes_through_a_part_file_renamed_at_the_end() {
        // The server stops half-way until the test has looked: no timing to lose on a busy box.
        let gate = std::sync::Arc::new(tokio::sync::Notify::new());
        let server_gate = gate.clone();
        let server = TestServer::start(move |_| Reply::ok(BODY).pause_until(5, server_gate.clone())).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("video.mp4");
        std::fs::write(&target, b"old").unwrap();

        let c = client();
        let spec = RequestSpec::get(server.url("/video.mp4"));
        let dest = file(&target);
        let download = c.download(&spec, &dest, DownloadOptions::default());
        let part = dir.0.join("video.mp4.part");
        let watch = async {
            // Half-way: the new bytes reach the `.part` while the old file stays intact.
            let started = std::time::Instant::now();
            while std::fs::read(&part).unwrap_or_default() != b"01234" {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the first bytes never reached {part:?}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(std::fs::read(&target).unwrap(), b"old");
            gate.notify_one();
        };
        let (path, ()) = tokio::join!(download, watch);
        assert_eq!(path.unwrap(), target);
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(dir.files(), ["video.mp4"]);
    }

    #[tokio::test]
    async fn a_broken_transfer_leaves_the_target_alone() {
        let server = TestServer::start(|_| Reply::ok(BODY).truncate(5)).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("a.bin");
        std::fs::write(&target, b"old").unwrap();
        let c = client();
        let spec = RequestSpec::get(server.url("/a.bin"));
        let err = c.download(&spec, &file(&target), DownloadOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(dir.files(), ["a.bin"]);

        // With resume, what arrived stays for the next attempt.
        let err = c.download(&spec, &file(&target), RESUME).await.unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        assert_eq!(std::fs::read(dir.0.join("a.bin.part")).unwrap(), b"01234");
    }

    #[tokio::test]
    async fn resume_asks_for_the_rest_with_range() {
        let server = TestServer::start(ranged).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("big.bin");
        leave_part(&dir, "big.bin", &BODY[..7], Some(ETAG_V1));

        let c = client();
        let path =
            c.download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), BODY);
        assert_eq!(dir.files(), ["big.bin"], "the .part and its .meta are gone");
        assert_eq!(server.requests()[0].header("range"), Some("bytes=7-"));
        assert_eq!(server.requests()[0].header("if-range"), Some(ETAG_V1));

        // Nothing to resume: a plain request.
        std::fs::remove_file(&target).unwrap();
        c.download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(server.requests()[1].header("range"), None);
    }

    #[tokio::test]
    async fn a_200_to_a_range_request_restarts_the_file() {
        let server = TestServer::start(|_| Reply::ok(BODY)).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("big.bin");
        leave_part(&dir, "big.bin", b"stale bytes", Some(ETAG_V1));
        let c = client();
        c.download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(server.requests()[0].header("range"), Some("bytes=11-"));
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(dir.files(), ["big.bin"]);
    }

    #[tokio::test]
    async fn a_416_to_a_range_request_starts_over() {
        let server = TestServer::start(ranged).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("big.bin");
        leave_part(&dir, "big.bin", &[b'x'; 40], Some(ETAG_V1));
        let c = client();
        c.download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME).await.unwrap();
        let ranges: Vec<Option<String>> =
            server.requests().iter().map(|r| r.header("range").map(str::to_owned)).collect();
        assert_eq!(ranges, [Some("bytes=40-".to_owned()), None]);
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(dir.files(), ["big.bin"]);
    }

    #[tokio::test]
    async fn a_206_from_the_wrong_offset_is_not_appended() {
        // The server ignores the offset asked for and sends a range of its own choosing.
        let server = TestServer::start(|req| match req.path.as_str() {
            "/from-zero" => Reply::status(206).header("Content-Range", "bytes 0-19/20").body(BODY),
            _ => Reply::status(206).header("Content-Range", "bytes 3-19/20").body(&BODY[3..]),
        })
        .await;
        let dir = TempDir::new("download");
        let target = dir.0.join("big.bin");
        let part = dir.0.join("big.bin.part");
        let c = client();

        leave_part(&dir, "big.bin", &BODY[..7], Some(ETAG_V1));
        let err = c
            .download(&RequestSpec::get(server.url("/elsewhere")), &file(&target), RESUME)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
        assert!(!target.exists());
        assert_eq!(std::fs::read(&part).unwrap(), &BODY[..7], "the part is kept for a later resume");

        // A 206 of the whole body from byte 0 replaces the part.
        c.download(&RequestSpec::get(server.url("/from-zero")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(dir.files(), ["big.bin"]);
    }

    #[tokio::test]
    async fn an_error_status_writes_nothing() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/moved" => Reply::redirect(302, "/elsewhere").body("redirect page"),
            _ => Reply::status(404).body("not found page"),
        })
        .await;
        let dir = TempDir::new("download");
        let c = client();
        let folder = Destination::Folder { folder: dir.0.clone(), name: None };
        for dest in [file(&dir.0.join("a.bin")), folder] {
            for opts in [DownloadOptions::default(), RESUME] {
                let err = c.download(&RequestSpec::get(server.url("/a.bin")), &dest, opts).await.unwrap_err();
                assert!(matches!(err, Error::HttpStatus { status: 404, .. }), "{err}");
                assert_eq!(dir.files(), Vec::<String>::new());
            }
        }
        // Not following a redirect is not a success either: the redirect page is not the file.
        let mut spec = RequestSpec::get(server.url("/moved"));
        spec.allow_redirects = false;
        let err =
            c.download(&spec, &file(&dir.0.join("a.bin")), DownloadOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::HttpStatus { status: 302, .. }), "{err}");
        assert_eq!(dir.files(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn an_error_status_keeps_what_resume_had() {
        let server = TestServer::start(|_| Reply::status(503)).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("big.bin");
        std::fs::write(dir.0.join("big.bin.part"), &BODY[..7]).unwrap();
        let err = client()
            .download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::HttpStatus { status: 503, .. }), "{err}");
        assert_eq!(std::fs::read(dir.0.join("big.bin.part")).unwrap(), &BODY[..7]);
    }

    #[tokio::test]
    async fn server_chosen_names_stay_inside_the_folder() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/evil" => Reply::ok("x").header("Content-Disposition", "attachment; filename=\"../../evil\""),
            "/abs" => {
                Reply::ok("y").header("Content-Disposition", "attachment; filename=\"/etc/cron.d/job\"")
            }
            _ => Reply::ok("z"),
        })
        .await;
        let root = TempDir::new("download");
        let folder = root.0.join("a").join("b");
        let dest = Destination::Folder { folder: folder.clone(), name: None };
        let c = client();
        let opts = DownloadOptions::default();
        let path = c.download(&RequestSpec::get(server.url("/evil")), &dest, opts).await.unwrap();
        assert_eq!(path, folder.join("evil"));
        let path = c.download(&RequestSpec::get(server.url("/abs")), &dest, opts).await.unwrap();
        assert_eq!(path, folder.join("job"));
        let path = c.download(&RequestSpec::get(server.url("/x/..%2F..%2Fup")), &dest, opts).await.unwrap();
        assert_eq!(path, folder.join("up"));
        assert_eq!(root.files(), ["a/b/evil", "a/b/job", "a/b/up"]);

        // A name the caller scraped from a page is checked too.
        let dest = Destination::Folder { folder: folder.clone(), name: Some("../../evil".into()) };
        let err = c.download(&RequestSpec::get(server.url("/z")), &dest, opts).await.unwrap_err();
        assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
        assert_eq!(server.requests().len(), 3, "refused before any request");
    }

    #[tokio::test]
    async fn max_size_refuses_and_removes_the_part() {
        let server = TestServer::start(|_| Reply::ok(BODY)).await;
        let dir = TempDir::new("download");
        let opts = DownloadOptions { resume: true, max_size: 10 };
        let err = client()
            .download(&RequestSpec::get(server.url("/a")), &file(&dir.0.join("a")), opts)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 10, .. }), "{err}");
        assert_eq!(dir.files(), Vec::<String>::new());
    }

    /// Serves [`BODY`] as version `etag`, cut after `cut` bytes on the first request only.
    fn flaky(etag: &'static str, cut: usize) -> impl Fn(&Request) -> Reply + Send + Sync {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        move |req| {
            let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let from: usize = req
                .header("range")
                .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok())
                .filter(|_| req.header("if-range") == Some(etag))
                .unwrap_or(0);
            let reply = if from > 0 {
                Reply::status(206)
                    .header("Content-Range", &format!("bytes {from}-{}/{}", BODY.len() - 1, BODY.len()))
                    .body(&BODY[from..])
            } else {
                Reply::ok(BODY)
            };
            let reply = reply.header("ETag", etag);
            if first {
                reply.truncate(cut)
            } else {
                reply
            }
        }
    }

    #[tokio::test]
    async fn if_range_keeps_a_changed_file_from_being_spliced() {
        // The server's file is now v2; the `.part` holds the start of v1. A server honours a
        // bare Range (206), so only If-Range makes it send the whole new file.
        let server = TestServer::start(|req| {
            let v2: &[u8] = b"ABCDEFGHIJKLMNOPQRST";
            match (req.header("range"), req.header("if-range")) {
                (Some(_), None | Some("\"v2\"")) => Reply::status(206)
                    .header("Content-Range", "bytes 7-19/20")
                    .header("ETag", "\"v2\"")
                    .body(&v2[7..]),
                _ => Reply::ok(v2).header("ETag", "\"v2\""),
            }
        })
        .await;
        let dir = TempDir::new("download");
        let target = dir.0.join("f.bin");
        leave_part(&dir, "f.bin", &BODY[..7], Some(ETAG_V1));
        client().download(&RequestSpec::get(server.url("/f.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"ABCDEFGHIJKLMNOPQRST");
        let req = &server.requests()[0];
        assert_eq!((req.header("range"), req.header("if-range")), (Some("bytes=7-"), Some(ETAG_V1)));
        assert_eq!(dir.files(), ["f.bin"]);

        // A `.part` without a saved validator cannot be checked: it is not resumed either.
        std::fs::remove_file(&target).unwrap();
        leave_part(&dir, "f.bin", &BODY[..7], None);
        client().download(&RequestSpec::get(server.url("/f.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"ABCDEFGHIJKLMNOPQRST");
        assert_eq!(server.requests()[1].header("range"), None);
    }

    #[tokio::test]
    async fn a_broken_transfer_saves_its_validator_for_the_next_run() {
        let server = TestServer::start(flaky("\"e1\"", 6)).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("f.bin");
        let spec = RequestSpec::get(server.url("/f.bin"));
        let err = client().download(&spec, &file(&target), RESUME).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert_eq!(std::fs::read(dir.0.join("f.bin.part.meta")).unwrap(), b"\"e1\"");
        client().download(&spec, &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        let req = &server.requests()[1];
        assert_eq!((req.header("range"), req.header("if-range")), (Some("bytes=6-"), Some("\"e1\"")));
        assert_eq!(dir.files(), ["f.bin"]);
    }

    #[tokio::test]
    async fn retries_resume_a_broken_transfer_in_one_call() {
        let server = TestServer::start(flaky("\"e1\"", 6)).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("f.bin");
        let retry = RetryPolicy { retries: 2, backoff: Duration::from_millis(1), ..RetryPolicy::default() };
        let c = client_with(|c| c.retry = retry);
        // Without resume too: within one call the `.part` is ours to continue.
        c.download(&RequestSpec::get(server.url("/f.bin")), &file(&target), DownloadOptions::default())
            .await
            .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        let seen = server.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].header("range"), Some("bytes=6-"));
        assert_eq!(dir.files(), ["f.bin"]);
    }

    #[tokio::test]
    async fn retries_wait_out_a_503() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let server = TestServer::start(move |_| {
            if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                Reply::status(503).header("Retry-After", "0")
            } else {
                Reply::ok(BODY)
            }
        })
        .await;
        let dir = TempDir::new("download");
        let target = dir.0.join("f.bin");
        let retry = RetryPolicy { retries: 1, backoff: Duration::from_millis(1), ..RetryPolicy::default() };
        let c = client_with(|c| c.retry = retry);
        c.download(&RequestSpec::get(server.url("/f.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_file_is_saved_as_sent_not_decompressed() {
        // A .gz served with Content-Encoding: gzip (a common misconfiguration) is saved as the
        // gzip bytes, and the request asks for no encoding.
        let gz: &[u8] =
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbH\xcd\xc9\xc9\x07\x00\x86\xa6\x106\x05\x00\x00\x00";
        let server = TestServer::start(move |_| Reply::ok(gz).header("Content-Encoding", "gzip")).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("hello.gz");
        let mut spec = RequestSpec::get(server.url("/hello.gz"));
        spec.headers.push(("Accept-Encoding".into(), "gzip".into()));
        client().download(&spec, &file(&target), DownloadOptions::default()).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), gz);
        assert_eq!(server.requests()[0].header("accept-encoding"), Some("identity"));
    }

    #[tokio::test]
    async fn the_session_total_does_not_cut_a_download_but_a_stall_does() {
        let server = TestServer::start(|_| Reply::ok(BODY).pause_after(5, Duration::from_millis(600))).await;
        let dir = TempDir::new("download");
        let target = dir.0.join("f.bin");
        let spec = RequestSpec::get(server.url("/f.bin"));
        // A page deadline of 200 ms: a download that keeps receiving bytes is not cut by it.
        let c = client_with(|c| c.timeouts.total = Some(Duration::from_millis(200)));
        c.download(&spec, &file(&target), DownloadOptions::default()).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), BODY);
        // A total passed for the download itself applies.
        let timed = spec.clone().with_total_timeout(Duration::from_millis(200));
        let err = c.download(&timed, &file(&target), DownloadOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { kind: TimeoutKind::Total, .. }), "{err}");
        // `sock_read` bounds the wait between bytes.
        let c = client_with(|c| c.timeouts.read = Some(Duration::from_millis(150)));
        let err = c.download(&spec, &file(&target), DownloadOptions::default()).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { kind: TimeoutKind::Read, .. }), "{err}");
    }

    #[tokio::test]
    async fn max_size_has_a_default_and_a_declared_size_is_refused_up_front() {
        assert_eq!(DownloadOptions::default().max_size, 10 << 30);
        let server = TestServer::start(|_| Reply::ok(BODY).header("Content-Length", "21474836480")).await;
        let dir = TempDir::new("download");
        let started = std::time::Instant::now();
        let err = client()
            .download(&RequestSpec::get(server.url("/huge")), &file(&dir.0.join("huge")), RESUME)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: DEFAULT_MAX_DOWNLOAD_SIZE, .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(dir.files(), Vec::<String>::new());
    }
}
