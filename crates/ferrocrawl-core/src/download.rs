//! `Client::download`: stream a body to disk with bounded memory, through a `.part` file
//! renamed into place only when complete, resuming a previous `.part` with `Range`.

use std::path::PathBuf;

use reqwest::header::{HeaderMap, CONTENT_DISPOSITION, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;

use crate::client::{map_reqwest_error, with_deadline, Client};
use crate::config::Timeouts;
use crate::error::{Error, Result};
use crate::files::{filename_from_response, resolve_under, PartFile};
use crate::request::RequestSpec;

/// Where a download goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// This exact file (a path the caller chose).
    File(PathBuf),
    /// A file in this folder named after the response (Content-Disposition or URL),
    /// sanitised, or after `name` (untrusted, e.g. a title scraped from a page).
    Folder { folder: PathBuf, name: Option<String> },
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DownloadOptions {
    /// Continue an existing `.part` file with a Range request, and keep it on failure.
    pub resume: bool,
    /// Refuse bodies larger than this many bytes (decoded); `None` = no limit, since the
    /// body goes to disk, not memory.
    pub max_size: Option<u64>,
}

impl Client {
    /// Downloads `spec` to `dest` and returns the final path. Non-2xx statuses are errors
    /// (an error page is never saved as the file).
    pub async fn download(
        &self,
        spec: &RequestSpec,
        dest: &Destination,
        opts: DownloadOptions,
    ) -> Result<PathBuf> {
        let timeouts = spec.timeouts.unwrap_or(self.config().timeouts);
        with_deadline(timeouts.total, &spec.url, self.download_inner(spec, dest, opts, &timeouts))
            .await
            .map_err(Error::redacted)
    }

    async fn download_inner(
        &self,
        spec: &RequestSpec,
        dest: &Destination,
        opts: DownloadOptions,
        timeouts: &Timeouts,
    ) -> Result<PathBuf> {
        // A name known before the request lets us look for a `.part` to resume.
        let known = match dest {
            Destination::File(path) => Some(path.clone()),
            Destination::Folder { folder, name: Some(name) } => Some(resolve_under(folder, name)?),
            Destination::Folder { name: None, .. } => None,
        };
        let mut part = match &known {
            Some(target) if opts.resume => {
                // What an earlier run left must survive this attempt failing before the
                // body starts (a 503, a refused connection); an empty `.part` need not.
                let p = PartFile::open_resume(target).await?;
                let keep = !p.is_empty();
                Some(p.keep_partial(keep))
            }
            _ => None,
        };
        let mut spec = spec.clone();
        let offset = part.as_ref().map_or(0, PartFile::len);
        if offset > 0 {
            spec.headers.push((RANGE.as_str().to_owned(), format!("bytes={offset}-")));
        }
        let (mut resp, _, mut permits) = self.send(&spec).await?;
        if resp.status() == StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 {
            // Nothing past our offset, or the file changed: start over rather than guess
            // that the `.part` is complete.
            if let Some(mut p) = part.take() {
                p.set_keep_partial(false);
                p.abort().await?;
            }
            spec.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(RANGE.as_str()));
            drop((resp, permits));
            (resp, _, permits) = self.send(&spec).await?;
        }
        let url = resp.url().clone();
        let status = resp.status();
        // Not only 4xx/5xx: a 3xx (allow_redirects=false) or 1xx body is not the file either.
        if !status.is_success() {
            return Err(Error::HttpStatus {
                url: url.to_string(),
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
            });
        }
        let target = match (known, dest) {
            (Some(target), _) => target,
            (None, Destination::Folder { folder, .. }) => {
                let cd = resp
                    .headers()
                    .get(CONTENT_DISPOSITION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                resolve_under(folder, &filename_from_response(&url, cd.as_deref()))?
            }
            (None, Destination::File(path)) => path.clone(),
        };
        let mut part = match part {
            Some(p) => p,
            None => PartFile::create(&target).await?,
        };
        part.set_keep_partial(opts.resume);
        let have = part.len();
        if status == StatusCode::PARTIAL_CONTENT {
            // Append only what starts exactly where the `.part` ends.
            match content_range_start(resp.headers()) {
                Some(start) if start == have => {}
                Some(0) => part.restart().await?,
                None if have == 0 => {} // unasked-for 206 without a range: take it whole
                start => {
                    return Err(Error::Protocol {
                        url: url.to_string(),
                        reason: format!(
                            "asked for bytes from {have}, the server sent {}; the partial file is kept",
                            start.map_or_else(
                                || "no usable Content-Range".to_owned(),
                                |s| format!("bytes from {s}")
                            )
                        ),
                    });
                }
            }
        } else if !part.is_empty() {
            part.restart().await?; // the server ignored Range and sent the whole body
        }
        let mut written = part.len();
        let failed = loop {
            let chunk = match resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break None,
                Err(e) => break Some(map_reqwest_error(&e, &url, timeouts)),
            };
            written += chunk.len() as u64;
            if let Some(limit) = opts.max_size.filter(|max| written > *max) {
                part.set_keep_partial(false);
                break Some(Error::BodyTooLarge { url: url.to_string(), limit });
            }
            part.write_all(&chunk).await?;
        };
        drop(permits);
        match failed {
            None => part.commit().await,
            Some(e) => {
                // Flush before answering, so a `.part` kept for resume holds every byte
                // received when the caller sees the error (a dropped tokio file finishes its
                // last write in the background, later).
                part.abort().await?;
                Err(e)
            }
        }
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
    use crate::config::ClientConfig;
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

    const RESUME: DownloadOptions = DownloadOptions { resume: true, max_size: None };

    /// Serves [`BODY`], honouring `Range: bytes=N-` with a 206.
    fn ranged(req: &Request) -> Reply {
        match req.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok()) {
            Some(from) if from < BODY.len() => Reply::status(206)
                .header("Content-Range", &format!("bytes {from}-{}/{}", BODY.len() - 1, BODY.len()))
                .body(&BODY[from..]),
            Some(_) => Reply::status(416).header("Content-Range", &format!("bytes */{}", BODY.len())),
            None => Reply::ok(BODY),
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
        std::fs::write(dir.0.join("big.bin.part"), &BODY[..7]).unwrap();

        let c = client();
        let path =
            c.download(&RequestSpec::get(server.url("/big.bin")), &file(&target), RESUME).await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), BODY);
        assert_eq!(dir.files(), ["big.bin"]);
        assert_eq!(server.requests()[0].header("range"), Some("bytes=7-"));

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
        std::fs::write(dir.0.join("big.bin.part"), b"stale bytes").unwrap();
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
        std::fs::write(dir.0.join("big.bin.part"), [b'x'; 40]).unwrap();
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

        std::fs::write(&part, &BODY[..7]).unwrap();
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
        let opts = DownloadOptions { resume: true, max_size: Some(10) };
        let err = client()
            .download(&RequestSpec::get(server.url("/a")), &file(&dir.0.join("a")), opts)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 10, .. }), "{err}");
        assert_eq!(dir.files(), Vec::<String>::new());
    }
}
