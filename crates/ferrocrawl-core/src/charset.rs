//! Decoding a response body to text the way a browser does (the WHATWG encoding sniffing
//! algorithm, simplified): a BOM wins, then the `charset=` of the Content-Type header, then a
//! `<meta charset>` in the first 1024 bytes of an HTML body, then chardetng's guess, then UTF-8.
//!
//! Labels are resolved with the WHATWG table (`encoding_rs::Encoding::for_label`), so
//! `gb2312`/`gbk` decode as GBK and `iso-8859-1`/`latin1` as windows-1252, exactly as browsers
//! (and the sites written for them) expect.

use std::borrow::Cow;
use std::fmt;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252, X_USER_DEFINED};

use crate::error::{Error, Result};

/// How many bytes the `<meta>` prescan looks at (the WHATWG prescan limit).
pub const META_SCAN_LIMIT: usize = 1024;

/// How many bytes are fed to the statistical detector.
pub const SNIFF_LIMIT: usize = 64 * 1024;

/// Where the encoding used for a body came from (`resp.charset` reports the encoding; this
/// says why it was chosen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharsetSource {
    /// A byte order mark at the start of the body.
    Bom,
    /// The `charset=` parameter of the Content-Type header.
    Header,
    /// A `<meta charset>` or `<meta http-equiv="Content-Type">` near the top of an HTML body.
    Meta,
    /// chardetng's statistical guess.
    Sniffed,
    /// Nothing to go on (or the body is plain ASCII): UTF-8.
    Default,
    /// The caller named the encoding (`resp.text(encoding=...)`).
    Explicit,
}

impl CharsetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Bom => "bom",
            CharsetSource::Header => "header",
            CharsetSource::Meta => "meta",
            CharsetSource::Sniffed => "sniffed",
            CharsetSource::Default => "default",
            CharsetSource::Explicit => "explicit",
        }
    }
}

/// What to do with bytes that are not valid in the encoding, like Python's `errors=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorMode {
    /// Fail, naming the offset of the first bad byte.
    Strict,
    /// Replace each bad sequence with U+FFFD.
    #[default]
    Replace,
    /// Drop bad sequences.
    Ignore,
}

impl ErrorMode {
    /// Parses Python's spelling: `"strict"`, `"replace"` or `"ignore"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "strict" => Ok(ErrorMode::Strict),
            "replace" => Ok(ErrorMode::Replace),
            "ignore" => Ok(ErrorMode::Ignore),
            other => Err(Error::InvalidArgument {
                what: "errors",
                reason: format!("{other:?} is not supported: use \"strict\", \"replace\" or \"ignore\""),
            }),
        }
    }
}

/// A decoded body.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    /// Borrowed from the body when it was valid UTF-8 (or ASCII in an ASCII-compatible
    /// encoding) and carried no BOM: no copy.
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
    /// Whether some bytes were replaced (or dropped, with [`ErrorMode::Ignore`]).
    pub had_errors: bool,
}

impl Decoded<'_> {
    /// The encoding's name as Python code sees it (`"utf-8"`, `"gbk"`, `"windows-1252"`).
    pub fn charset(&self) -> String {
        encoding_name(self.encoding)
    }
}

/// A byte sequence that is not valid in the encoding (strict decoding). `start..end` are byte
/// offsets into the body, enough for the binding to raise a real `UnicodeDecodeError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub encoding: &'static Encoding,
    pub start: usize,
    pub end: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode bytes {}..{} as {}: invalid sequence (pass errors=\"replace\" or \"ignore\", or another encoding)",
            self.start,
            self.end,
            encoding_name(self.encoding)
        )
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::InvalidArgument { what: "body", reason: e.to_string() }
    }
}

/// The name to report to Python: the WHATWG name lower-cased, like aiohttp's
/// `resp.charset` (`"utf-8"`, `"gbk"`, `"gb18030"`, `"windows-1252"`, `"utf-16le"`).
pub fn encoding_name(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_lowercase()
}

/// Resolves a label (`"gb2312"`, `"latin1"`, `"UTF8"`...) with the WHATWG table.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| Error::InvalidArgument {
        what: "encoding",
        reason: format!("unknown encoding {label:?}: use a WHATWG label such as \"utf-8\", \"gbk\", \"gb18030\" or \"windows-1252\""),
    })
}

/// The `charset` parameter of a Content-Type value, unquoted; `None` when absent or empty.
pub fn content_type_charset(ct: &str) -> Option<&str> {
    let mut rest = ct.split_once(';')?.1;
    loop {
        let (key, after_eq) = rest.split_once('=')?;
        // A parameter without `=` ("text/html; foo; charset=x") ends at its `;`.
        let key = key.rsplit(';').next().unwrap_or(key).trim();
        let after_eq = after_eq.trim_start();
        let (value, next) = if let Some(quoted) = after_eq.strip_prefix('"') {
            let (value, after_quote) = quoted.split_once('"').unwrap_or((quoted, ""));
            (value, after_quote.split_once(';').map_or("", |(_, r)| r))
        } else {
            after_eq.split_once(';').unwrap_or((after_eq, ""))
        };
        if key.eq_ignore_ascii_case("charset") {
            let value = value.trim();
            return (!value.is_empty()).then_some(value);
        }
        rest = next;
    }
}

/// Whether a `<meta>` prescan makes sense: HTML-ish or unknown content types.
fn is_html_or_unknown(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.is_empty() || essence.contains("html")
}

/// Picks the encoding for `body`, browser style. See the module docs for the order.
pub fn detect(body: &[u8], content_type: Option<&str>) -> (&'static Encoding, CharsetSource) {
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return (encoding, CharsetSource::Bom);
    }
    if let Some(encoding) =
        content_type.and_then(content_type_charset).and_then(|label| Encoding::for_label(label.as_bytes()))
    {
        return (encoding, CharsetSource::Header);
    }
    if is_html_or_unknown(content_type) {
        if let Some(encoding) = prescan_meta(&body[..body.len().min(META_SCAN_LIMIT)]) {
            return (encoding, CharsetSource::Meta);
        }
    }
    let window = &body[..body.len().min(SNIFF_LIMIT)];
    if window.is_ascii() && window.len() == body.len() {
        // Nothing to sniff: chardetng would answer windows-1252, which decodes ASCII the same
        // but would report a surprising charset for JSON and plain ASCII pages.
        return (UTF_8, CharsetSource::Default);
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    // `last` only when the window is the whole body: a prefix may end mid-character.
    if !detector.feed(window, window.len() == body.len()) {
        return (UTF_8, CharsetSource::Default);
    }
    (detector.guess(None, Utf8Detection::Allow), CharsetSource::Sniffed)
}

/// Decodes `body` with the encoding [`detect`] picks, replacing invalid sequences with U+FFFD.
pub fn decode<'a>(body: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let (encoding, source) = detect(body, content_type);
    let (text, had_errors) = if source == CharsetSource::Bom {
        encoding.decode_with_bom_removal(body)
    } else {
        encoding.decode_without_bom_handling(body)
    };
    Decoded { text, encoding, source, had_errors }
}

/// Decodes `body` with an encoding the caller named (`resp.text(encoding="gbk",
/// errors="strict")`). A BOM of that same encoding is removed (it is not text); any other
/// leading bytes are decoded as they are. Fails with `InvalidArgument` for an unknown label and,
/// in strict mode, for the first invalid sequence (the message names its byte offset).
pub fn decode_with<'a>(body: &'a [u8], label: &str, errors: ErrorMode) -> Result<Decoded<'a>> {
    let encoding = encoding_for_label(label)?;
    let (text, had_errors) = match errors {
        ErrorMode::Replace => encoding.decode_with_bom_removal(body),
        ErrorMode::Strict => (decode_strict(body, encoding)?, false),
        ErrorMode::Ignore => decode_ignoring(strip_own_bom(body, encoding), encoding),
    };
    Ok(Decoded { text, encoding, source: CharsetSource::Explicit, had_errors })
}

/// Strict decoding: the text, or where the first invalid sequence is. A BOM of `encoding`
/// itself is removed.
pub fn decode_strict<'a>(body: &'a [u8], encoding: &'static Encoding) -> Result<Cow<'a, str>, DecodeError> {
    let src = strip_own_bom(body, encoding);
    let bom_len = body.len() - src.len();
    if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(src) {
        return Ok(text);
    }
    let mut first_error = None;
    let _ = decode_skipping(src, encoding, |start, end| {
        first_error = Some((start, end));
        false
    });
    let (start, end) = first_error.unwrap_or((0, src.len()));
    Err(DecodeError { encoding, start: start + bom_len, end: end + bom_len })
}

fn strip_own_bom<'a>(body: &'a [u8], encoding: &'static Encoding) -> &'a [u8] {
    match Encoding::for_bom(body) {
        Some((bom_encoding, len)) if bom_encoding == encoding => &body[len..],
        _ => body,
    }
}

fn decode_ignoring<'a>(src: &'a [u8], encoding: &'static Encoding) -> (Cow<'a, str>, bool) {
    if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(src) {
        return (text, false);
    }
    let (text, had_errors) = decode_skipping(src, encoding, |_, _| true);
    (Cow::Owned(text), had_errors)
}

/// Decodes without replacement, calling `on_error(start, end)` for each invalid sequence; it
/// returns whether to go on (skipping the sequence) or stop.
fn decode_skipping(
    src: &[u8],
    encoding: &'static Encoding,
    mut on_error: impl FnMut(usize, usize) -> bool,
) -> (String, bool) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(src.len()).unwrap_or(src.len());
    let mut out = String::with_capacity(capacity);
    let mut pos = 0;
    let mut had_errors = false;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(&src[pos..], &mut out, true);
        pos += read;
        match result {
            DecoderResult::InputEmpty => return (out, had_errors),
            DecoderResult::OutputFull => {
                let more = decoder.max_utf8_buffer_length_without_replacement(src.len() - pos).unwrap_or(64);
                out.reserve(more.max(16));
            }
            DecoderResult::Malformed(bad, after) => {
                had_errors = true;
                let end = pos.saturating_sub(usize::from(after));
                let start = end.saturating_sub(usize::from(bad));
                if !on_error(start, end) {
                    return (out, had_errors);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The <meta> prescan: a cheap byte scanner after the WHATWG "prescan a byte stream" algorithm.
// It walks tags and comments so that `<meta` inside a comment or an attribute value of another
// tag does not count, but it builds no tree.

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The encoding declared by the first usable `<meta>` in `head`.
fn prescan_meta(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i < head.len() {
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            // `<!-->` closes at once, as in the spec (the `--` may overlap the opener's).
            i += 2 + find(&rest[2..], b"-->")? + 3;
        } else if rest.len() > 5
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && (is_space(rest[5]) || rest[5] == b'/')
        {
            i += 5;
            let (encoding, end) = meta_tag(head, i);
            if encoding.is_some() {
                return encoding;
            }
            i = end?;
        } else if rest.len() > 1
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.len() > 2 && rest[2].is_ascii_alphabetic()))
        {
            // Some other start or end tag: skip its name, then its attributes.
            i += 1;
            while i < head.len() && !is_space(head[i]) && head[i] != b'>' {
                i += 1;
            }
            loop {
                match attribute(head, i)? {
                    (None, end) => {
                        i = end;
                        break;
                    }
                    (Some(_), end) => i = end,
                }
            }
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            i += find(rest, b">")? + 1;
        } else {
            i += 1;
        }
    }
    None
}

/// Reads the attributes of a `<meta` tag starting at `i` (after the tag name). Returns the
/// declared encoding, if usable, and the index after the tag (`None` when the tag is cut off).
fn meta_tag(head: &[u8], mut i: usize) -> (Option<&'static Encoding>, Option<usize>) {
    let mut charset: Option<&'static Encoding> = None;
    let mut content_charset: Option<&'static Encoding> = None;
    let mut is_content_type = false;
    let mut seen_charset_attr = false;
    loop {
        let Some((attr, end)) = attribute(head, i) else {
            return (None, None);
        };
        i = end;
        let Some((name, value)) = attr else { break };
        match name.as_slice() {
            b"charset" if !seen_charset_attr => {
                seen_charset_attr = true;
                charset = Encoding::for_label(value);
            }
            b"http-equiv" => is_content_type |= value.eq_ignore_ascii_case(b"content-type"),
            b"content" if content_charset.is_none() => {
                content_charset = charset_from_meta_content(value).and_then(Encoding::for_label);
            }
            _ => {}
        }
    }
    let encoding = if seen_charset_attr {
        charset
    } else if is_content_type {
        content_charset
    } else {
        None
    };
    // A document that says it is UTF-16 in ASCII bytes is not UTF-16; x-user-defined is for XHR.
    let encoding = encoding.map(|e| {
        if e == UTF_16LE || e == UTF_16BE {
            UTF_8
        } else if e == X_USER_DEFINED {
            WINDOWS_1252
        } else {
            e
        }
    });
    (encoding, Some(i))
}

/// One attribute at `i`: `Some(((name, value), next))`, where the pair is `None` at the tag's
/// `>`; `None` if the input ends first. Names are lower-cased.
#[allow(clippy::type_complexity, reason = "a private scanner step; the tuple is read once")]
fn attribute(head: &[u8], mut i: usize) -> Option<(Option<(Vec<u8>, &[u8])>, usize)> {
    while i < head.len() && (is_space(head[i]) || head[i] == b'/') {
        i += 1;
    }
    if *head.get(i)? == b'>' {
        return Some((None, i + 1));
    }
    let mut name = Vec::new();
    loop {
        let b = *head.get(i)?;
        if b == b'=' && !name.is_empty() {
            break;
        }
        if is_space(b) {
            while i < head.len() && is_space(head[i]) {
                i += 1;
            }
            if *head.get(i)? != b'=' {
                return Some((Some((name, &[][..])), i));
            }
            break;
        }
        if b == b'/' || b == b'>' {
            return Some((Some((name, &[][..])), i));
        }
        name.push(b.to_ascii_lowercase());
        i += 1;
    }
    // At '='.
    i += 1;
    while i < head.len() && is_space(head[i]) {
        i += 1;
    }
    let quote = *head.get(i)?;
    if quote == b'"' || quote == b'\'' {
        let start = i + 1;
        let len = head[start..].iter().position(|&b| b == quote)?;
        return Some((Some((name, &head[start..start + len])), start + len + 1));
    }
    let start = i;
    while i < head.len() && !is_space(head[i]) && head[i] != b'>' {
        i += 1;
    }
    if i == head.len() {
        return None;
    }
    Some((Some((name, &head[start..i])), i))
}

/// The WHATWG "extract a character encoding from a meta element" algorithm, on the `content`
/// attribute of `<meta http-equiv="Content-Type">`: the label after `charset=`.
fn charset_from_meta_content(content: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    loop {
        let at = i + find_ignore_case(&content[i..], b"charset")?;
        i = at + 7;
        while i < content.len() && is_space(content[i]) {
            i += 1;
        }
        if content.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < content.len() && is_space(content[i]) {
            i += 1;
        }
        let quote = *content.get(i)?;
        if quote == b'"' || quote == b'\'' {
            let len = content[i + 1..].iter().position(|&b| b == quote)?;
            return Some(&content[i + 1..i + 1 + len]);
        }
        let len = content[i..].iter().position(|&b| is_space(b) || b == b';').unwrap_or(content.len() - i);
        return Some(&content[i..i + len]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{GB18030, GBK, SHIFT_JIS};

    fn gbk(s: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = GBK.encode(s);
        assert!(!unmappable);
        bytes.into_owned()
    }

    const CHINESE: &str = "异步爬虫实例：获取梨视频的视频列表，然后下载每一个视频文件。";

    #[test]
    fn gbk_page_with_header_charset() {
        let body = gbk(&format!("<html><body><p>{CHINESE}</p></body></html>"));
        for ct in ["text/html; charset=gbk", "text/html;charset=GB2312", "text/html; charset=\"gbk\""] {
            let d = decode(&body, Some(ct));
            assert_eq!((d.encoding, d.source, d.had_errors), (GBK, CharsetSource::Header, false), "{ct}");
            assert!(d.text.contains(CHINESE));
            assert_eq!(d.charset(), "gbk");
        }
    }

    #[test]
    fn gbk_page_with_only_meta_charset() {
        let body = gbk(&format!(
            "<!DOCTYPE html><html><head><meta charset=\"gb2312\"><title>{CHINESE}</title></head></html>"
        ));
        for ct in [None, Some("text/html"), Some("application/xhtml+xml")] {
            let d = decode(&body, ct);
            assert_eq!((d.encoding, d.source), (GBK, CharsetSource::Meta), "{ct:?}");
            assert!(d.text.contains(CHINESE));
        }
    }

    #[test]
    fn meta_http_equiv_content_type() {
        let body = gbk(&format!(
            "<HTML><HEAD><META HTTP-EQUIV='Content-Type' CONTENT='text/html; Charset=GBK'></HEAD><BODY>{CHINESE}"
        ));
        assert_eq!(detect(&body, None), (GBK, CharsetSource::Meta));
        // content= without http-equiv does not count.
        let body = gbk(&format!("<meta content=\"text/html; charset=gbk\"><p>{CHINESE}"));
        assert_eq!(detect(&body, None).1, CharsetSource::Sniffed);
    }

    #[test]
    fn meta_is_only_read_for_html_or_unknown_types() {
        let body = b"<meta charset=\"windows-1251\"> plain".to_vec();
        assert_eq!(detect(&body, Some("text/plain")), (UTF_8, CharsetSource::Default));
        assert_eq!(detect(&body, Some("text/html")), (encoding_rs::WINDOWS_1251, CharsetSource::Meta));
    }

    #[test]
    fn meta_in_comment_or_attribute_is_ignored() {
        let body = b"<!-- <meta charset=gbk> --><div title='<meta charset=gbk>'>x</div>";
        assert_eq!(detect(body, None), (UTF_8, CharsetSource::Default));
    }

    #[test]
    fn meta_beyond_1024_bytes_is_ignored() {
        let mut body = b"<html><head><title>x</title>".to_vec();
        body.resize(1100, b' ');
        body.extend_from_slice(b"<meta charset=\"windows-1251\"></head>");
        assert_eq!(detect(&body, Some("text/html")), (UTF_8, CharsetSource::Default));
        // A tag cut by the limit does not count either.
        let mut body = vec![b' '; 1010];
        body.extend_from_slice(b"<meta charset=\"windows-1251\">");
        assert_eq!(detect(&body, None).1, CharsetSource::Default);
    }

    #[test]
    fn meta_utf16_means_utf8() {
        assert_eq!(detect(b"<meta charset=utf-16><p>\xc3\xa9", None), (UTF_8, CharsetSource::Meta));
    }

    #[test]
    fn gbk_sniffed_without_labels() {
        let body = gbk(&format!("<html><body><p>{CHINESE}{CHINESE}</p></body></html>"));
        let d = decode(&body, Some("text/html"));
        assert_eq!((d.encoding, d.source), (GBK, CharsetSource::Sniffed));
        assert!(d.text.contains(CHINESE));
    }

    #[test]
    fn gb18030_four_byte_sequences() {
        let text = "GB18030 四字节：€ 😀 㐀";
        let (bytes, _, unmappable) = GB18030.encode(text);
        assert!(!unmappable);
        let d = decode(&bytes, Some("text/html; charset=GB18030"));
        assert_eq!((d.encoding, d.source, d.had_errors), (GB18030, CharsetSource::Header, false));
        assert_eq!(d.text, text);
        assert_eq!(d.charset(), "gb18030");
    }

    #[test]
    fn windows_1252_labelled_and_sniffed() {
        let text = "Un café crème à la française, s'il vous plaît — naïve façade, déjà vu, très élégant.";
        let (bytes, _, _) = WINDOWS_1252.encode(text);
        for ct in
            ["text/html; charset=iso-8859-1", "text/html; charset=latin1", "text/plain; charset=windows-1252"]
        {
            let d = decode(&bytes, Some(ct));
            assert_eq!((d.encoding, d.source), (WINDOWS_1252, CharsetSource::Header), "{ct}");
            assert_eq!(d.text, text);
            assert_eq!(d.charset(), "windows-1252");
        }
        let d = decode(&bytes, None);
        assert_eq!((d.encoding, d.source), (WINDOWS_1252, CharsetSource::Sniffed));
        assert_eq!(d.text, text);
    }

    #[test]
    fn bom_overrides_header_and_meta() {
        let mut body = b"\xEF\xBB\xBF<meta charset=gbk>".to_vec();
        body.extend_from_slice("中文".as_bytes());
        let d = decode(&body, Some("text/html; charset=gbk"));
        assert_eq!((d.encoding, d.source), (UTF_8, CharsetSource::Bom));
        assert_eq!(d.text, "<meta charset=gbk>中文");
    }

    #[test]
    fn utf16_with_bom() {
        let text = "héllo 中文";
        for (bom, enc) in [(&[0xFF, 0xFE], UTF_16LE), (&[0xFE, 0xFF], UTF_16BE)] {
            let mut body = bom.to_vec();
            for unit in text.encode_utf16() {
                let b = if enc == UTF_16LE { unit.to_le_bytes() } else { unit.to_be_bytes() };
                body.extend_from_slice(&b);
            }
            let d = decode(&body, Some("text/html; charset=utf-8"));
            assert_eq!((d.encoding, d.source, d.had_errors), (enc, CharsetSource::Bom, false));
            assert_eq!(d.text, text);
        }
    }

    #[test]
    fn bad_utf8_is_replaced() {
        let d = decode(b"ok \xff\xfe done", Some("text/html; charset=utf-8"));
        assert!(d.had_errors);
        assert_eq!(d.text, "ok \u{FFFD}\u{FFFD} done");
    }

    #[test]
    fn valid_utf8_and_ascii_are_borrowed() {
        let body = "<p>中文 and ascii</p>".as_bytes();
        let d = decode(body, Some("text/html; charset=utf-8"));
        assert!(matches!(d.text, Cow::Borrowed(_)));
        let d = decode(b"{\"a\": 1}", Some("application/json"));
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!((d.encoding, d.source), (UTF_8, CharsetSource::Default));
        // ASCII labelled as GBK is still borrowed.
        let d = decode(b"plain", Some("text/html; charset=gbk"));
        assert!(matches!(d.text, Cow::Borrowed(_)));
        // Unlabelled non-ASCII UTF-8 is sniffed as UTF-8.
        assert_eq!(detect("<p>中文 é</p>".as_bytes(), None), (UTF_8, CharsetSource::Sniffed));
    }

    #[test]
    fn unknown_header_label_falls_through() {
        let body = gbk(&format!("<meta charset=gbk>{CHINESE}"));
        assert_eq!(detect(&body, Some("text/html; charset=no-such-thing")), (GBK, CharsetSource::Meta));
    }

    #[test]
    fn content_type_charset_parsing() {
        assert_eq!(content_type_charset("text/html; charset=UTF-8"), Some("UTF-8"));
        assert_eq!(content_type_charset("text/html;charset=\"gbk\";q=1"), Some("gbk"));
        assert_eq!(content_type_charset("text/html; boundary=\"a;b\"; CHARSET = gb2312 "), Some("gb2312"));
        assert_eq!(content_type_charset("text/html; foo=bar; charset=latin1"), Some("latin1"));
        assert_eq!(content_type_charset("text/html"), None);
        assert_eq!(content_type_charset("text/html; charset="), None);
        assert_eq!(content_type_charset("text/html; xcharset=gbk"), None);
        assert_eq!(content_type_charset("text/html; a=1; b=2; charset=gbk"), Some("gbk"));
        assert_eq!(content_type_charset("text/html; foo; charset=gbk"), Some("gbk"));
    }

    #[test]
    fn explicit_encoding_modes() {
        let mut body = gbk("中文");
        body.push(0xFF);
        body.extend_from_slice(b"end");

        let d = decode_with(&body, "gbk", ErrorMode::Replace).unwrap();
        assert_eq!(
            (d.text.as_ref(), d.had_errors, d.source),
            ("中文\u{FFFD}end", true, CharsetSource::Explicit)
        );

        let d = decode_with(&body, "GB2312", ErrorMode::Ignore).unwrap();
        assert_eq!((d.text.as_ref(), d.had_errors), ("中文end", true));

        let err = decode_strict(&body, GBK).unwrap_err();
        assert_eq!((err.start, err.end), (4, 5));
        let msg = decode_with(&body, "gbk", ErrorMode::Strict).unwrap_err().to_string();
        assert!(msg.contains("4..5") && msg.contains("gbk"), "{msg}");

        let clean = gbk("中文");
        let d = decode_with(&clean, "gbk", ErrorMode::Strict).unwrap();
        assert_eq!((d.text.as_ref(), d.had_errors), ("中文", false));
    }

    #[test]
    fn strict_utf8_error_offset() {
        let body = b"abc\xe4\xb8\xadxyz\xe4\xb8";
        let err = decode_strict(body, UTF_8).unwrap_err();
        assert_eq!((err.start, err.end), (9, 11));
        let err = decode_strict(b"ab\xffcd", UTF_8).unwrap_err();
        assert_eq!((err.start, err.end), (2, 3));
        // With a BOM, offsets still point into the original body.
        let err = decode_strict(b"\xEF\xBB\xBFab\xff", UTF_8).unwrap_err();
        assert_eq!((err.start, err.end), (5, 6));
        assert_eq!(decode_with(b"\xEF\xBB\xBFok", "utf8", ErrorMode::Strict).unwrap().text, "ok");
    }

    #[test]
    fn explicit_unknown_label_and_errors_mode() {
        assert!(matches!(
            decode_with(b"x", "no-such-codec", ErrorMode::Replace),
            Err(Error::InvalidArgument { what: "encoding", .. })
        ));
        assert!(matches!(
            ErrorMode::parse("backslashreplace"),
            Err(Error::InvalidArgument { what: "errors", .. })
        ));
        assert_eq!(ErrorMode::parse("ignore").unwrap(), ErrorMode::Ignore);
        assert_eq!(encoding_for_label(" Shift_JIS ").unwrap(), SHIFT_JIS);
        assert_eq!(encoding_for_label("utf8").unwrap(), UTF_8);
    }
}
