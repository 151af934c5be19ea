//! Helpers for `session.download(url, path)`: turning untrusted names (from a URL, a
//! Content-Disposition header or page text) into safe file names, joining them under a folder
//! without escaping it, and writing the body atomically through a `.part` file that can be
//! resumed.

use std::ffi::OsString;
use std::io::{self, SeekFrom};
use std::path::{Component, Path, PathBuf};

use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::error::{Error, Result};

/// The longest file name we produce, in bytes (NAME_MAX on Linux and macOS; NTFS allows 255
/// UTF-16 units, which 255 UTF-8 bytes never exceed).
pub const MAX_NAME_BYTES: usize = 255;

/// The name used when an untrusted name has nothing usable left.
pub const FALLBACK_NAME: &str = "download";

/// An extension longer than this is not kept when a name is shortened (it is probably not an
/// extension but a dot in a title).
const MAX_EXTENSION_BYTES: usize = 32;

/// Turns an untrusted name into one safe path component.
///
/// Directories are stripped (both `/` and `\` count, whatever the platform), control
/// characters, NUL, Unicode bidi controls and the characters Windows forbids (`<>:"|?*`) become
/// `_`, leading and trailing dots and spaces are trimmed (so `.` and `..` vanish, no hidden files
/// and no names Windows cannot open), Windows device names (`CON`, `NUL.txt`, `COM1`...) get a
/// `_` prefix, and the result is capped at [`MAX_NAME_BYTES`] on a character boundary, keeping
/// the extension. Unicode is kept: `"第1集 开始.mp4"` stays as it is. Nothing usable left gives
/// [`FALLBACK_NAME`].
pub fn safe_filename(name: &str) -> String {
    sanitize(name).unwrap_or_else(|| FALLBACK_NAME.to_owned())
}

fn sanitize(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).find(|part| !part.trim().is_empty()).unwrap_or("");
    let mapped: String = last.chars().map(|c| if is_unsafe_char(c) { '_' } else { c }).collect();
    let trimmed = trim_dots_and_spaces(&mapped);
    if trimmed.is_empty() {
        return None;
    }
    let mut name = if is_windows_device_name(trimmed) { format!("_{trimmed}") } else { trimmed.to_owned() };
    if name.len() > MAX_NAME_BYTES {
        name = shorten(&name, MAX_NAME_BYTES);
    }
    Some(name)
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '/' | '\\')
        // Bidi embeddings, overrides and isolates: "invoice\u{202E}fdp.exe" shows as "...exe.pdf".
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn trim_dots_and_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9` (and the superscript-digit forms,
/// `CONIN$`, `CONOUT$`), with or without an extension, in any case.
fn is_windows_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end().to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let mut chars = stem.chars();
            let prefix: String = chars.by_ref().take(3).collect();
            let rest: Vec<char> = chars.collect();
            (prefix == "COM" || prefix == "LPT")
                && rest.len() == 1
                && (rest[0].is_ascii_digit() || matches!(rest[0], '¹' | '²' | '³'))
        }
    }
}

/// Cuts `name` to at most `max` bytes on a char boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    let ext = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION_BYTES => &name[dot..],
        _ => "",
    };
    let stem = &name[..name.len() - ext.len()];
    let stem = trim_dots_and_spaces(truncate_on_char_boundary(stem, max - ext.len()));
    if stem.is_empty() {
        format!("{FALLBACK_NAME}{ext}")
    } else {
        format!("{stem}{ext}")
    }
}

fn truncate_on_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Joins an untrusted *relative* name (it may contain sub-folders, `videos/a.mp4`) under
/// `folder`, refusing with [`Error::UnsafePath`] anything that could land outside it:
/// absolute paths, drive and UNC prefixes, `..` components, NUL, and — checked on disk — a
/// path whose existing part goes through a symlink that leads out of the folder. Both `/` and
/// `\` separate components on every platform. `folder` itself is trusted and need not exist.
///
/// The on-disk check is a check, not a lock: code that writes into a folder other processes can
/// change at the same moment still races them.
pub fn resolve_under(folder: &Path, name: &str) -> Result<PathBuf> {
    let refuse = |reason: &str| Error::UnsafePath { path: name.to_owned(), reason: reason.to_owned() };
    if name.contains('\0') {
        return Err(refuse("the name contains a NUL byte"));
    }
    if name.starts_with(['/', '\\']) {
        return Err(refuse("absolute paths are not allowed; pass a name relative to the folder"));
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(refuse("drive prefixes are not allowed; pass a name relative to the folder"));
    }
    let mut relative = PathBuf::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(refuse("`..` components are not allowed")),
            part => relative.push(part),
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(refuse("the name has no file name in it"));
    }
    // The platform's own parse must agree that these are plain names (on Windows, `x/C:y`
    // would otherwise become a drive-relative path).
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(refuse("only plain path components are allowed"));
    }
    let target = folder.join(&relative);
    if !target.starts_with(folder) {
        return Err(refuse("the path leaves the folder"));
    }

    let canonical_folder = canonicalize_existing(folder).map_err(io_error(folder))?;
    let parent = target.parent().unwrap_or(folder);
    let canonical_parent = canonicalize_existing(parent).map_err(io_error(parent))?;
    if !canonical_parent.starts_with(&canonical_folder) {
        return Err(refuse("a symlink inside the folder leads outside it"));
    }
    // A symlink as the last component: our own writer would replace it (rename does not follow
    // links), but anything opening the path would write through it.
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        match std::fs::canonicalize(&target) {
            Ok(real) if real.starts_with(&canonical_folder) => {}
            _ => return Err(refuse("the name is a symlink that leads outside the folder")),
        }
    }
    Ok(target)
}

/// Canonicalises the longest existing prefix of `path` (resolving symlinks) and appends the
/// rest lexically, so a path that does not exist yet can still be compared.
fn canonicalize_existing(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let components: Vec<Component<'_>> = absolute.components().collect();
    for split in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..split].iter().collect();
        match std::fs::canonicalize(&prefix) {
            Ok(mut canonical) => {
                for component in &components[split..] {
                    match component {
                        Component::ParentDir => {
                            canonical.pop();
                        }
                        Component::Normal(part) => canonical.push(part),
                        _ => {}
                    }
                }
                return Ok(canonical);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::NotFound, "no part of the path exists"))
}

/// The file name for a downloaded response: the `filename*=` of Content-Disposition (RFC 6266
/// / RFC 8187, percent-decoded in its charset) beats its `filename=`, which beats the last
/// non-empty segment of the URL path (percent-decoded); always through [`safe_filename`], and
/// [`FALLBACK_NAME`] when nothing usable is left.
pub fn filename_from_response(url: &url::Url, content_disposition: Option<&str>) -> String {
    let from_header = content_disposition.map(content_disposition_filenames).unwrap_or_default();
    let from_url = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
        .map(|segment| String::from_utf8_lossy(&percent_decode(segment)).into_owned());
    from_header
        .into_iter()
        .chain(from_url)
        .find_map(|candidate| sanitize(&candidate))
        .unwrap_or_else(|| FALLBACK_NAME.to_owned())
}

/// The raw (unsanitised) file names a Content-Disposition value offers, best first:
/// `filename*` then `filename`.
fn content_disposition_filenames(value: &str) -> Vec<String> {
    let params = parse_params(value.split_once(';').map_or("", |(_, params)| params));
    let extended = params
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("filename*"))
        .and_then(|(_, v)| decode_ext_value(v));
    let plain = params.iter().find(|(key, _)| key.eq_ignore_ascii_case("filename")).map(|(_, v)| {
        // Many servers (Chinese sites among them) percent-encode UTF-8 in plain `filename=`;
        // browsers decode it, so do we when the result is valid UTF-8.
        if v.is_ascii() && v.contains('%') {
            String::from_utf8(percent_decode(v)).unwrap_or_else(|_| v.clone())
        } else {
            v.clone()
        }
    });
    extended.into_iter().chain(plain).collect()
}

/// RFC 8187 `charset'language'percent-encoded`.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    let bytes = percent_decode(encoded);
    Some(encoding.decode_without_bom_handling(&bytes).0.into_owned())
}

/// `key=value` / `key="quoted \" value"` parameters separated by `;`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|&c| c == ';' || c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return params;
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|&c| c != '=' && c != ';')).collect();
        if chars.next_if_eq(&'=').is_none() {
            continue; // a parameter without a value
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            // Skip anything up to the next `;`.
            while chars.next_if(|&c| c != ';').is_some() {}
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|&c| c != ';')));
            value.truncate(value.trim_end().len());
        }
        params.push((key.trim().to_owned(), value));
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A download being written: the bytes go to `<target>.part` in the *same folder* as the
/// target and [`commit`](PartFile::commit) renames it over the target.
///
/// Same folder because `rename` is atomic only within one filesystem: a temp file in `/tmp`
/// (often a tmpfs) could not be renamed onto a disk folder at all (EXDEV), and a copy would let
/// readers see a half-written target. With the `.part` beside the target, readers see either
/// the old file or the whole new one, never a torn one.
///
/// The `.part` name is fixed (not random) so that a later run can find it and resume with
/// `Range: bytes=N-`; two downloads to the same target at once must therefore be avoided by the
/// caller. Dropped without `commit`, the `.part` file is removed, unless `keep_partial` was set
/// (then it stays for a later [`open_resume`](PartFile::open_resume)).
#[derive(Debug)]
pub struct PartFile {
    target: PathBuf,
    part: PathBuf,
    /// `<target>.part.meta`: the validator (strong ETag or Last-Modified) of the response the
    /// `.part` holds the start of, sent back as `If-Range` when resuming.
    meta: PathBuf,
    file: Option<tokio::fs::File>,
    len: u64,
    keep_partial: bool,
    committed: bool,
}

impl PartFile {
    /// Starts a fresh download to `target`: creates the folder if needed and empties any
    /// existing `.part` file.
    pub async fn create(target: impl Into<PathBuf>) -> Result<Self> {
        let mut part = Self::open(target.into()).await?;
        part.restart().await?;
        Ok(part)
    }

    /// Opens for resuming: keeps what an earlier attempt left in the `.part` file and appends
    /// to it. [`len`](PartFile::len) is how many bytes are there already; when it is not zero,
    /// ask for `Range: bytes={len}-`, and call [`restart`](PartFile::restart) if the server
    /// answers 200 instead of 206.
    pub async fn open_resume(target: impl Into<PathBuf>) -> Result<Self> {
        Self::open(target.into()).await
    }

    async fn open(target: PathBuf) -> Result<Self> {
        let part = part_path(&target)?;
        let meta = sidecar_path(&target, META_SUFFIX)?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(io_error(parent))?;
        }
        for path in [&part, &meta] {
            if tokio::fs::symlink_metadata(path).await.is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::UnsafePath {
                    path: path.display().to_string(),
                    reason: "the partial file is a symlink; remove it and retry".to_owned(),
                });
            }
        }
        // Positional writes, not append mode: a write still in flight from an earlier,
        // dropped writer (tokio finishes it on its blocking pool) lands at its own offset with
        // the same bytes this one writes there after `Range: bytes=N-`, instead of being
        // appended twice.
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)
            .await
            .map_err(io_error(&part))?;
        let len = file.metadata().await.map_err(io_error(&part))?.len();
        file.seek(SeekFrom::Start(len)).await.map_err(io_error(&part))?;
        Ok(PartFile { target, part, meta, file: Some(file), len, keep_partial: false, committed: false })
    }

    /// Whether an uncommitted `.part` file survives dropping this writer (for a later resume).
    /// Off by default.
    #[must_use]
    pub fn keep_partial(mut self, keep: bool) -> Self {
        self.keep_partial = keep;
        self
    }

    pub fn set_keep_partial(&mut self, keep: bool) {
        self.keep_partial = keep;
    }

    /// Bytes in the `.part` file so far (including what an earlier attempt left).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn part_path(&self) -> &Path {
        &self.part
    }

    /// The `If-Range` value saved with the `.part` (see [`set_validator`](PartFile::set_validator)),
    /// if any: without one, what the `.part` holds cannot be checked against the server's file.
    pub async fn validator(&self) -> Option<String> {
        let text = tokio::fs::read_to_string(&self.meta).await.ok()?;
        let value = text.trim();
        (!value.is_empty() && !value.contains(['\r', '\n'])).then(|| value.to_owned())
    }

    /// Saves (or, with `None`, forgets) the validator of the response being written.
    pub async fn set_validator(&mut self, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => tokio::fs::write(&self.meta, v.as_bytes()).await.map_err(io_error(&self.meta)),
            None => remove_if_present(&self.meta).await,
        }
    }

    /// Empties the `.part` file (the server ignored `Range` and sent the whole body).
    pub async fn restart(&mut self) -> Result<()> {
        let file = self.file_mut()?;
        file.flush().await.map_err(io_error(&self.part))?;
        let file = self.file_mut()?;
        file.set_len(0).await.map_err(io_error(&self.part))?;
        let file = self.file_mut()?;
        file.seek(SeekFrom::Start(0)).await.map_err(io_error(&self.part))?;
        self.len = 0;
        Ok(())
    }

    pub async fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        let file = self.file_mut()?;
        file.write_all(buf).await.map_err(io_error(&self.part))?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Flushes, fsyncs and renames the `.part` file over the target; returns the target.
    pub async fn commit(mut self) -> Result<PathBuf> {
        let mut file = self.file.take().ok_or_else(closed)?;
        file.flush().await.map_err(io_error(&self.part))?;
        file.sync_all().await.map_err(io_error(&self.part))?;
        drop(file);
        tokio::fs::rename(&self.part, &self.target).await.map_err(io_error(&self.target))?;
        self.committed = true;
        let _ = remove_if_present(&self.meta).await;
        // Make the rename itself durable. Best effort: some filesystems refuse to fsync a
        // directory, and the data is already in place.
        #[cfg(unix)]
        if let Some(parent) = self.target.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(dir) = tokio::fs::File::open(parent).await {
                let _ = dir.sync_all().await;
            }
        }
        Ok(std::mem::take(&mut self.target))
    }

    /// Gives up: closes the file and removes the `.part` file unless `keep_partial` is set.
    pub async fn abort(mut self) -> Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush().await.map_err(io_error(&self.part))?;
        }
        if !self.keep_partial {
            remove_if_present(&self.part).await?;
            remove_if_present(&self.meta).await?;
        }
        self.committed = true; // nothing left for Drop to do
        Ok(())
    }

    fn file_mut(&mut self) -> Result<&mut tokio::fs::File> {
        self.file.as_mut().ok_or_else(closed)
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed && !self.keep_partial {
            // Best effort and synchronous (Drop cannot await). On Unix an open file can be
            // unlinked; on Windows this may fail while tokio still closes the handle, leaving a
            // stale `.part` that the next `create` empties.
            let _ = std::fs::remove_file(&self.part);
            let _ = std::fs::remove_file(&self.meta);
        }
    }
}

fn closed() -> Error {
    Error::InvalidArgument {
        what: "PartFile",
        reason: "the file was already committed or aborted".to_owned(),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

async fn remove_if_present(path: &Path) -> Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(path)(e)),
        _ => Ok(()),
    }
}

const META_SUFFIX: &str = ".part.meta";

/// `<target>.part`; when that would exceed [`MAX_NAME_BYTES`], a shortened name plus a hash of
/// the full one (still deterministic, so resume finds it).
fn part_path(target: &Path) -> Result<PathBuf> {
    sidecar_path(target, ".part")
}

/// `<target><SUFFIX>`, shortened as [`part_path`] is.
fn sidecar_path(target: &Path, suffix: &str) -> Result<PathBuf> {
    let name = target.file_name().ok_or_else(|| Error::InvalidArgument {
        what: "download path",
        reason: format!("{} has no file name", target.display()),
    })?;
    let mut part_name = OsString::from(name);
    if name.as_encoded_bytes().len() + suffix.len() <= MAX_NAME_BYTES {
        part_name.push(suffix);
    } else {
        let lossy = name.to_string_lossy();
        let hash = fnv1a(name.as_encoded_bytes());
        let keep = truncate_on_char_boundary(&lossy, MAX_NAME_BYTES - suffix.len() - 9);
        part_name = OsString::from(format!("{keep}~{hash:08x}{suffix}"));
    }
    Ok(target.with_file_name(part_name))
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A unique temporary folder, removed on drop (no `tempfile` dependency needed).
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
            let path = std::env::temp_dir().join(format!(
                "ferrocrawl-files-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn is_unsafe(r: Result<PathBuf>) -> bool {
        matches!(r, Err(Error::UnsafePath { .. }))
    }

    #[test]
    fn safe_filename_strips_directories_and_dots() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("..\\..\\windows\\win.ini"), "win.ini");
        assert_eq!(safe_filename("C:\\x"), "x");
        assert_eq!(safe_filename("/abs/path/video.mp4"), "video.mp4");
        assert_eq!(safe_filename("dir/"), "dir");
        for empty in ["", ".", "..", "...", "/", "\\", " . ", "a/.."] {
            assert_eq!(safe_filename(empty), FALLBACK_NAME, "{empty:?}");
        }
        assert_eq!(safe_filename(".bashrc"), "bashrc");
        assert_eq!(safe_filename("name. . "), "name");
        assert_eq!(safe_filename("-rf"), "-rf");
    }

    #[test]
    fn safe_filename_replaces_dangerous_characters() {
        assert_eq!(safe_filename("a\0b\nc\x7f.txt"), "a_b_c_.txt");
        assert_eq!(safe_filename("what? <yes>: \"a|b\"*.mp4"), "what_ _yes__ _a_b__.mp4");
        assert_eq!(safe_filename("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
    }

    #[test]
    fn safe_filename_windows_device_names() {
        for (name, want) in [
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("Com1.tar.gz", "_Com1.tar.gz"),
            ("LPT9", "_LPT9"),
            ("aux .log", "_aux .log"),
        ] {
            assert_eq!(safe_filename(name), want);
        }
        for fine in ["CONSOLE.txt", "COM10", "nullable.rs", "icon.png"] {
            assert_eq!(safe_filename(fine), fine);
        }
    }

    #[test]
    fn safe_filename_keeps_chinese() {
        assert_eq!(safe_filename("第1集 异步爬虫实例.mp4"), "第1集 异步爬虫实例.mp4");
        assert_eq!(safe_filename("视频/梨视频：开始？.mp4"), "梨视频：开始？.mp4");
        assert_eq!(safe_filename("标题: 副标题.mp4"), "标题_ 副标题.mp4");
    }

    #[test]
    fn safe_filename_caps_length_keeping_extension() {
        let long = format!("{}.mp4", "a".repeat(300));
        let safe = safe_filename(&long);
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with("a.mp4"));

        // 3-byte characters: the cut lands on a char boundary.
        let long = format!("{}.mp4", "视".repeat(100));
        let safe = safe_filename(&long);
        assert!(safe.len() <= MAX_NAME_BYTES && safe.len() > MAX_NAME_BYTES - 3, "{}", safe.len());
        assert!(safe.ends_with("视.mp4"));

        // A "extension" that is really a long dotted title is not kept whole.
        let long = format!("a.{}", "b".repeat(300));
        assert_eq!(safe_filename(&long).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn resolve_under_accepts_relative_names() {
        let dir = TempDir::new();
        assert_eq!(resolve_under(&dir.0, "a.mp4").unwrap(), dir.0.join("a.mp4"));
        assert_eq!(
            resolve_under(&dir.0, "sub/dir/a.mp4").unwrap(),
            dir.0.join("sub").join("dir").join("a.mp4")
        );
        assert_eq!(resolve_under(&dir.0, "./b.mp4").unwrap(), dir.0.join("b.mp4"));
        assert_eq!(resolve_under(&dir.0, "视频/第1集.mp4").unwrap(), dir.0.join("视频").join("第1集.mp4"));
        // The folder need not exist yet.
        let missing = dir.0.join("not-yet");
        assert_eq!(resolve_under(&missing, "x").unwrap(), missing.join("x"));
    }

    #[test]
    fn resolve_under_refuses_traversal() {
        let dir = TempDir::new();
        for name in [
            "../../etc/passwd",
            "/abs",
            "/etc/passwd",
            "a/../../b",
            "a/../b",
            "..",
            "..\\x",
            "a\\..\\..\\x",
            "C:\\x",
            "C:x",
            "c:/x",
            "\\\\server\\share\\x",
            "\\x",
            "",
            ".",
            "./",
            "a\0b",
        ] {
            assert!(is_unsafe(resolve_under(&dir.0, name)), "{name:?} was accepted");
        }
    }

    #[cfg(unix)]
    #[test]
    fn resolve_under_refuses_symlink_escape() {
        use std::os::unix::fs::symlink;
        let root = TempDir::new();
        let folder = root.0.join("downloads");
        let outside = root.0.join("outside");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"x").unwrap();
        symlink(&outside, folder.join("link")).unwrap();
        symlink(outside.join("secret"), folder.join("file-link")).unwrap();
        symlink(root.0.join("nowhere"), folder.join("dangling")).unwrap();
        std::fs::create_dir_all(folder.join("inside")).unwrap();
        symlink(folder.join("inside"), folder.join("ok-link")).unwrap();

        assert!(is_unsafe(resolve_under(&folder, "link/x")));
        assert!(is_unsafe(resolve_under(&folder, "link/deeper/x")));
        assert!(is_unsafe(resolve_under(&folder, "file-link")));
        assert!(is_unsafe(resolve_under(&folder, "dangling")));
        assert!(resolve_under(&folder, "ok-link/x").is_ok());
        // The folder itself reached through a symlink is fine.
        symlink(&folder, root.0.join("alias")).unwrap();
        assert!(resolve_under(&root.0.join("alias"), "x").is_ok());
    }

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn filename_from_content_disposition() {
        let u = url("https://example.com/v/12345");
        let cases = [
            ("attachment; filename=\"report.pdf\"", "report.pdf"),
            ("attachment; filename=report.pdf", "report.pdf"),
            ("attachment;filename=\"a \\\"quoted\\\" name.txt\"", "a _quoted_ name.txt"),
            ("attachment; filename*=UTF-8''%E7%AC%AC1%E9%9B%86.mp4", "第1集.mp4"),
            ("attachment; filename=\"fallback.mp4\"; filename*=UTF-8''%E8%A7%86%E9%A2%91.mp4", "视频.mp4"),
            ("attachment; filename*=utf-8'zh'%E8%A7%86%E9%A2%91.mp4; filename=\"fallback.mp4\"", "视频.mp4"),
            ("attachment; filename*=iso-8859-1'en'caf%E9.txt", "café.txt"),
            ("attachment; filename=\"%E8%A7%86%E9%A2%91.mp4\"", "视频.mp4"),
            ("attachment; filename=\"100%.txt\"", "100%.txt"),
            ("attachment; filename=\"视频 原名.mp4\"", "视频 原名.mp4"),
            ("attachment; filename=\"../../etc/passwd\"", "passwd"),
            ("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fcron.d", "cron.d"),
            ("ATTACHMENT; FILENAME=\"upper.txt\"", "upper.txt"),
            ("inline; size=3; filename=\"s.txt\"; creation-date=\"x;y\"", "s.txt"),
        ];
        for (cd, want) in cases {
            assert_eq!(filename_from_response(&u, Some(cd)), want, "{cd}");
        }
        // Unusable header names fall back to the URL.
        assert_eq!(filename_from_response(&u, Some("attachment; filename=\"..\"")), "12345");
        assert_eq!(filename_from_response(&u, Some("attachment")), "12345");
        assert_eq!(filename_from_response(&u, Some("attachment; filename*=garbage")), "12345");
    }

    #[test]
    fn filename_from_url() {
        assert_eq!(filename_from_response(&url("https://h/a/b/video.mp4?x=1#f"), None), "video.mp4");
        assert_eq!(filename_from_response(&url("https://h/a/dir/"), None), "dir");
        assert_eq!(filename_from_response(&url("https://h/%E8%A7%86%E9%A2%91.mp4"), None), "视频.mp4");
        assert_eq!(filename_from_response(&url("https://h/视频.mp4"), None), "视频.mp4");
        assert_eq!(filename_from_response(&url("https://h/a/..%2F..%2Fetc%2Fpasswd"), None), "passwd");
        assert_eq!(filename_from_response(&url("https://h/"), None), FALLBACK_NAME);
        assert_eq!(filename_from_response(&url("https://h"), None), FALLBACK_NAME);
        assert_eq!(filename_from_response(&url("data:text/plain,hi"), None), FALLBACK_NAME);
    }

    #[test]
    fn percent_decode_edges() {
        assert_eq!(percent_decode("a%20b"), b"a b");
        assert_eq!(percent_decode("100%"), b"100%");
        assert_eq!(percent_decode("%4"), b"%4");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
    }

    #[tokio::test]
    async fn part_file_commit() {
        let dir = TempDir::new();
        let target = dir.0.join("sub").join("视频.mp4");
        let mut part = PartFile::create(&target).await.unwrap();
        assert_eq!(part.part_path(), dir.0.join("sub").join("视频.mp4.part"));
        assert!(part.part_path().exists());
        assert!(!target.exists(), "nothing appears at the target before commit");
        part.write_all(b"hello ").await.unwrap();
        part.write_all(b"world").await.unwrap();
        assert_eq!(part.len(), 11);
        let part_path = part.part_path().to_owned();
        assert_eq!(part.commit().await.unwrap(), target);
        assert_eq!(std::fs::read(&target).unwrap(), b"hello world");
        assert!(!part_path.exists());

        // Committing over an existing file replaces it.
        let mut part = PartFile::create(&target).await.unwrap();
        part.write_all(b"new").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[tokio::test]
    async fn part_file_abort_and_drop_remove_the_part() {
        let dir = TempDir::new();
        let target = dir.0.join("a.bin");
        let mut part = PartFile::create(&target).await.unwrap();
        part.write_all(b"partial").await.unwrap();
        let part_path = part.part_path().to_owned();
        drop(part);
        assert!(!part_path.exists());
        assert!(!target.exists());

        let mut part = PartFile::create(&target).await.unwrap();
        part.write_all(b"partial").await.unwrap();
        part.abort().await.unwrap();
        assert!(!part_path.exists());
        assert!(!target.exists());
    }

    #[tokio::test]
    async fn part_file_keep_partial_and_resume() {
        let dir = TempDir::new();
        let target = dir.0.join("big.bin");
        let mut part = PartFile::create(&target).await.unwrap().keep_partial(true);
        part.write_all(b"0123").await.unwrap();
        let part_path = part.part_path().to_owned();
        part.abort().await.unwrap();
        assert_eq!(std::fs::read(&part_path).unwrap(), b"0123");
        let mut part = PartFile::open_resume(&target).await.unwrap();
        part.set_keep_partial(true);
        drop(part);
        assert!(part_path.exists(), "dropped with keep_partial, the part stays");

        let mut part = PartFile::open_resume(&target).await.unwrap();
        assert_eq!(part.len(), 4, "the caller sends Range: bytes=4-");
        part.write_all(b"4567").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"01234567");

        // The server ignored Range: restart from zero.
        std::fs::write(&part_path, b"stale").unwrap();
        let mut part = PartFile::open_resume(&target).await.unwrap();
        assert_eq!(part.len(), 5);
        part.restart().await.unwrap();
        assert!(part.is_empty());
        part.write_all(b"fresh").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"fresh");

        // Resuming with nothing there starts at zero; create empties a stale part.
        let other = dir.0.join("other.bin");
        assert_eq!(PartFile::open_resume(&other).await.unwrap().len(), 0);
        std::fs::write(dir.0.join("other.bin.part"), b"stale").unwrap();
        assert_eq!(PartFile::create(&other).await.unwrap().len(), 0);
    }

    #[tokio::test]
    async fn part_file_long_names() {
        let dir = TempDir::new();
        let name = safe_filename(&format!("{}.mp4", "视".repeat(100)));
        let target = dir.0.join(&name);
        let mut part = PartFile::create(&target).await.unwrap();
        let part_name = part.part_path().file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            part_name.len() <= MAX_NAME_BYTES
                && Path::new(&part_name).extension().is_some_and(|e| e == "part"),
            "{part_name}"
        );
        part.write_all(b"x").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn part_file_refuses_symlinked_part() {
        let dir = TempDir::new();
        std::fs::write(dir.0.join("elsewhere"), b"keep").unwrap();
        std::os::unix::fs::symlink(dir.0.join("elsewhere"), dir.0.join("t.bin.part")).unwrap();
        let err = PartFile::create(dir.0.join("t.bin")).await.unwrap_err();
        assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
        assert_eq!(std::fs::read(dir.0.join("elsewhere")).unwrap(), b"keep");
    }
}
