//! `Client::download`: stream a body to disk with bounded memory, through a `.part` file
//! renamed into place only when complete, resuming a previous `.part` with `Range`.

use std::path::PathBuf;

use reqwest::header::{CONTENT_DISPOSITION, RANGE};
use reqwest::StatusCode;

use crate::client::{check_status, map_reqwest_error, with_deadline, Client};
use crate::config::Timeouts;
use crate::error::{Error, Result};
use crate::files::{filename_from_response, resolve_under, PartFile};
use crate::request::RequestSpec;
use crate::response::ResponseHead;

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
        with_deadline(timeouts.total, &spec.url, self.download_inner(spec, dest, opts, &timeouts)).await
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
            Some(target) if opts.resume => Some(PartFile::open_resume(target).await?),
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
        check_status(&ResponseHead {
            status: resp.status(),
            version: resp.version(),
            url: url.clone(),
            headers: resp.headers().clone(),
        })?;
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
        if resp.status() != StatusCode::PARTIAL_CONTENT && !part.is_empty() {
            part.restart().await?; // the server ignored Range and sent the whole body
        }
        let mut written = part.len();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest_error(&e, &url, timeouts))? {
            written += chunk.len() as u64;
            if let Some(limit) = opts.max_size.filter(|max| written > *max) {
                part.set_keep_partial(false);
                return Err(Error::BodyTooLarge { url: url.to_string(), limit });
            }
            part.write_all(&chunk).await?;
        }
        drop(permits);
        part.commit().await
    }
}
