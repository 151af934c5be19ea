//! Sitemaps (sitemaps.org protocol 0.9): `<urlset>` and `<sitemapindex>` XML, gzipped or
//! not, and the plain-text form (one URL per line).
//!
//! Hostile input is expected: quick-xml reads as a stream and never expands DTD entities
//! (no billion laughs), gzip is sniffed by its magic bytes and inflated only up to the
//! byte cap (no gzip bomb), and discovery caps files, URLs and index nesting.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use quick_xml::events::Event;
use url::Url;

use crate::request::RequestSpec;
use crate::Client;

pub struct SitemapLimits {
    /// Bytes read of one file, after decompression (the protocol's own limit is 50 MiB).
    pub max_bytes: u64,
    /// URLs returned in total, over all files.
    pub max_urls: usize,
    /// How deep sitemap indexes may nest below the files discovery starts from.
    pub max_depth: u32,
    /// Sitemap files fetched in total.
    pub max_files: usize,
}

impl Default for SitemapLimits {
    fn default() -> Self {
        SitemapLimits { max_bytes: 50 * 1024 * 1024, max_urls: 1_000_000, max_depth: 3, max_files: 1000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SitemapDoc {
    UrlSet(Vec<String>),
    Index(Vec<String>),
}

/// How long one sitemap fetch may take (a 50 MiB file on a slow server).
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// The `<loc>`s of a sitemap, trimmed, entities resolved (`&amp;`, `&#38;`; nothing a DTD
/// defines). Gzip is sniffed by magic bytes; at most `max_bytes` are read (after
/// decompression): a longer file gives the URLs before the cap. A file that is not a
/// sitemap (another root element, broken XML before the cap) is an error.
pub fn parse(body: &[u8], max_bytes: u64) -> Result<SitemapDoc, String> {
    if body.starts_with(&[0x1f, 0x8b]) {
        let inflated = BufReader::new(flate2::read::MultiGzDecoder::new(body));
        parse_stream(Capped { inner: inflated, left: max_bytes, hit: false })
    } else {
        let cut = usize::try_from(max_bytes).unwrap_or(usize::MAX).min(body.len());
        parse_stream(Capped { inner: &body[..cut], left: u64::MAX, hit: cut < body.len() })
    }
}

/// A reader that stops after `left` bytes and remembers whether it had to.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Only a cap that actually cut something counts as hit.
            let mut probe = [0u8; 1];
            self.hit |= self.inner.read(&mut probe)? > 0;
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        if left == 0 && !buf.is_empty() {
            self.hit = true;
        }
        Ok(&buf[..buf.len().min(left)])
    }

    fn consume(&mut self, amt: usize) {
        self.left -= amt as u64;
        self.inner.consume(amt);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Root {
    UrlSet,
    Index,
}

/// The protocol's element names, whatever their namespace prefix.
fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b':').next().unwrap_or(name)
}

fn parse_stream<R: BufRead>(input: Capped<R>) -> Result<SitemapDoc, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut root: Option<Root> = None;
    let mut locs = Vec::new();
    // Depth of the open elements, of the open <url>/<sitemap>, and of the open <loc> child.
    let mut depth = 0usize;
    let mut entry_depth: Option<usize> = None;
    let mut loc: Option<String> = None;
    let mut text_start: Option<Vec<u8>> = None;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            // Broken XML where the cap cut the file is the cap, not a broken file.
            Err(_) if reader.get_ref().hit && root.is_some() => break,
            Err(e) => {
                if root.is_none() {
                    if let Some(text) = &text_start {
                        return text_sitemap(text);
                    }
                }
                return Err(format!("invalid sitemap XML at byte {}: {e}", reader.error_position()));
            }
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.name();
                let name = local(name.as_ref());
                match (root, depth) {
                    (None, 1) => {
                        root = Some(match name {
                            b"urlset" => Root::UrlSet,
                            b"sitemapindex" => Root::Index,
                            other => {
                                return Err(format!(
                                    "not a sitemap: the root element is <{}>",
                                    String::from_utf8_lossy(other)
                                ))
                            }
                        });
                    }
                    (Some(Root::UrlSet), 2) if name == b"url" => entry_depth = Some(depth),
                    (Some(Root::Index), 2) if name == b"sitemap" => entry_depth = Some(depth),
                    (Some(_), d) if name == b"loc" && entry_depth.is_some_and(|e| e + 1 == d) => {
                        loc = Some(String::new());
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if entry_depth.is_some_and(|e| e + 1 == depth) {
                    if let Some(text) = loc.take() {
                        let text = text.trim();
                        if !text.is_empty() {
                            locs.push(text.to_owned());
                        }
                    }
                } else if entry_depth == Some(depth) {
                    entry_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if root.is_none() && text_start.is_none() {
                    text_start = Some(t.to_vec());
                }
                if let Some(loc) = &mut loc {
                    loc.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::CData(t) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(loc) = &mut loc {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        loc.push(c);
                    } else if let Some(s) =
                        quick_xml::escape::resolve_predefined_entity(&String::from_utf8_lossy(&r))
                    {
                        loc.push_str(s);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    match root {
        Some(Root::UrlSet) => Ok(SitemapDoc::UrlSet(locs)),
        Some(Root::Index) => Ok(SitemapDoc::Index(locs)),
        None => match &text_start {
            Some(text) => text_sitemap(text),
            None => Err("empty sitemap".into()),
        },
    }
}

/// The text form: one URL per line. Only lines that look like http(s) URLs count, so that
/// an HTML page or random bytes are not taken for a sitemap.
fn text_sitemap(text: &[u8]) -> Result<SitemapDoc, String> {
    let text = String::from_utf8_lossy(text);
    let urls: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            let lower = l.get(..8).unwrap_or(l).to_ascii_lowercase();
            lower.starts_with("http://") || lower.starts_with("https://")
        })
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        return Err("not a sitemap: neither XML nor lines of URLs".into());
    }
    Ok(SitemapDoc::UrlSet(urls))
}

/// /sitemap.xml plus the robots.txt `Sitemap:` lines of `origin`, indexes followed up to
/// max_depth; URLs deduplicated, only http(s), capped; errors of one file skip that file.
pub async fn discover(
    client: &Client,
    origin: &Url,
    from_robots: &[String],
    limits: &SitemapLimits,
) -> Vec<Url> {
    let mut queue: VecDeque<(Url, u32)> = VecDeque::new();
    let mut queued: HashSet<String> = HashSet::new();
    let mut push = |queue: &mut VecDeque<(Url, u32)>, url: Url, depth: u32| {
        if is_http(&url) && queued.insert(url.as_str().to_owned()) {
            queue.push_back((url, depth));
        }
    };
    if let Ok(url) = origin.join("/sitemap.xml") {
        push(&mut queue, url, 0);
    }
    for s in from_robots {
        if let Ok(url) = Url::parse(s.trim()) {
            push(&mut queue, url, 0);
        }
    }
    let cap = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut files = 0;
    while let Some((url, depth)) = queue.pop_front() {
        if files >= limits.max_files || out.len() >= limits.max_urls {
            break;
        }
        files += 1;
        let spec = RequestSpec::get(url.as_str());
        let body = match super::robots::fetch_capped(client, &spec, cap, FETCH_TIMEOUT).await {
            Ok((status, body)) if status.is_success() => body,
            _ => continue,
        };
        let max_bytes = limits.max_bytes;
        let Ok(Ok(doc)) = tokio::task::spawn_blocking(move || parse(&body, max_bytes)).await else {
            continue;
        };
        match doc {
            SitemapDoc::Index(children) if depth < limits.max_depth => {
                for child in children {
                    if let Ok(child) = url.join(&child) {
                        push(&mut queue, child, depth + 1);
                    }
                }
            }
            SitemapDoc::Index(_) => {}
            SitemapDoc::UrlSet(locs) => {
                for loc in locs {
                    if out.len() >= limits.max_urls {
                        break;
                    }
                    let Ok(page) = Url::parse(&loc) else { continue };
                    if is_http(&page) && seen.insert(page.as_str().to_owned()) {
                        out.push(page);
                    }
                }
            }
        }
    }
    out
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::Write as _;

    use super::*;
    use crate::config::{ClientConfig, Timeouts};
    use crate::test_server::{Reply, TestServer};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn urlset(locs: &[&str]) -> String {
        let mut xml = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
        );
        for loc in locs {
            let _ = writeln!(xml, "<url><loc>{loc}</loc><lastmod>2024-01-01</lastmod></url>");
        }
        xml.push_str("</urlset>");
        xml
    }

    fn index(locs: &[&str]) -> String {
        let mut xml = String::from(r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
        for loc in locs {
            let _ = write!(xml, "<sitemap><loc>{loc}</loc></sitemap>");
        }
        xml.push_str("</sitemapindex>");
        xml
    }

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn parses_a_urlset() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE urlset>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                    xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
              <url>
                <loc>
                    http://a.com/one?x=1&amp;y=2
                </loc>
                <image:image><image:loc>http://a.com/pic.jpg</image:loc></image:image>
              </url>
              <url><loc><![CDATA[http://a.com/two]]></loc></url>
              <url><loc>http://a.com/&#116;hree</loc></url>
              <url><loc></loc></url>
              <loc>http://a.com/stray</loc>
            </urlset>"#;
        assert_eq!(
            parse(xml.as_bytes(), MIB).unwrap(),
            SitemapDoc::UrlSet(vec![
                "http://a.com/one?x=1&y=2".into(),
                "http://a.com/two".into(),
                "http://a.com/three".into(),
            ])
        );
    }

    #[test]
    fn parses_an_index_gzip_and_text() {
        let xml = index(&["http://a.com/s1.xml.gz", "http://a.com/s2.xml"]);
        let want = SitemapDoc::Index(vec!["http://a.com/s1.xml.gz".into(), "http://a.com/s2.xml".into()]);
        assert_eq!(parse(xml.as_bytes(), MIB).unwrap(), want);
        assert_eq!(parse(&gzip(xml.as_bytes()), MIB).unwrap(), want);
        assert_eq!(
            parse(b"http://a.com/1\n\n  https://a.com/2  \r\nnot a url\n", MIB).unwrap(),
            SitemapDoc::UrlSet(vec!["http://a.com/1".into(), "https://a.com/2".into()])
        );
    }

    #[test]
    fn malformed_files_are_errors() {
        for bad in [
            &b""[..],
            b"<html><body><a href='http://a.com/'>x</a></body></html>",
            b"<urlset><url><loc>http://a.com/</loc></urk></urlset>",
            b"just some words",
            b"\x1f\x8b\x08\x00garbage",
        ] {
            assert!(parse(bad, MIB).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn entities_are_never_expanded() {
        // Billion laughs: a DTD entity stays unresolved (dropped), nothing grows.
        let xml = r#"<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">
            <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
            <urlset><url><loc>http://a.com/&c;</loc></url></urlset>"#;
        assert_eq!(parse(xml.as_bytes(), MIB).unwrap(), SitemapDoc::UrlSet(vec!["http://a.com/".into()]));
    }

    #[test]
    fn a_gzip_bomb_is_read_up_to_the_cap() {
        // 7 MiB of URLs inflate from a small file; with a 64 KiB cap only the URLs in the first
        // 64 KiB come out (each entry is 73 bytes).
        let locs: Vec<String> = (0..100_000).map(|i| format!("http://a.com/{i:08}")).collect();
        let refs: Vec<&str> = locs.iter().map(String::as_str).collect();
        let xml = urlset(&refs);
        let bomb = gzip(xml.as_bytes());
        assert!(bomb.len() < xml.len() / 8, "{} -> {}", xml.len(), bomb.len());
        let SitemapDoc::UrlSet(all) = parse(&bomb, 100 * MIB).unwrap() else { panic!() };
        assert_eq!(all.len(), locs.len());
        let SitemapDoc::UrlSet(capped) = parse(&bomb, 64 * 1024).unwrap() else { panic!() };
        assert!((64 * 1024 / 73 - 2..=64 * 1024 / 73).contains(&capped.len()), "{}", capped.len());
        assert_eq!(capped[..], all[..capped.len()]);
        // The same cap on a plain file.
        let SitemapDoc::UrlSet(plain) = parse(xml.as_bytes(), 64 * 1024).unwrap() else { panic!() };
        assert_eq!(plain.len(), capped.len());
    }

    fn client() -> Client {
        Client::new(ClientConfig {
            timeouts: Timeouts { total: Some(Duration::from_secs(10)), ..Timeouts::default() },
            ..ClientConfig::default()
        })
        .unwrap()
    }

    /// A site whose /sitemap.xml is an index of a gzip sitemap, a plain one, a nested index
    /// and a missing file; the robots.txt names one more sitemap.
    async fn site() -> TestServer {
        TestServer::start(|req| {
            let base = format!("http://{}", req.header("host").unwrap_or_default());
            let u = |p: &str| format!("{base}{p}");
            match req.path.as_str() {
                "/sitemap.xml" => Reply::ok(index(&[
                    &u("/s1.xml.gz"),
                    "/s2.xml",
                    &u("/nested.xml"),
                    &u("/missing.xml"),
                    &u("/s1.xml.gz"),
                ])),
                "/s1.xml.gz" => {
                    Reply::ok(gzip(urlset(&[&u("/a"), &u("/b"), "ftp://x.com/f", "not a url"]).as_bytes()))
                        .header("Content-Type", "application/gzip")
                }
                "/s2.xml" => Reply::ok(urlset(&[&u("/b"), &u("/c")])),
                "/nested.xml" => Reply::ok(index(&[&u("/deeper.xml")])),
                "/deeper.xml" => Reply::ok(index(&[&u("/deepest.xml")])),
                "/deepest.xml" => Reply::ok(urlset(&[&u("/deep")])),
                "/from-robots.xml" => Reply::ok(urlset(&[&u("/r"), &u("/a")])),
                _ => Reply::status(404),
            }
        })
        .await
    }

    fn paths(urls: &[Url]) -> Vec<&str> {
        urls.iter().map(Url::path).collect()
    }

    #[tokio::test]
    async fn discover_follows_indexes_into_gzip_sitemaps() {
        let server = site().await;
        let origin = Url::parse(&server.url("/")).unwrap();
        let robots = [server.url("/from-robots.xml"), "ftp://x.com/s.xml".to_owned()];
        let limits = SitemapLimits { max_depth: 1, ..SitemapLimits::default() };
        let urls = discover(&client(), &origin, &robots, &limits).await;
        assert_eq!(paths(&urls), ["/r", "/a", "/b", "/c"]);
        let fetched: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            fetched,
            ["/sitemap.xml", "/from-robots.xml", "/s1.xml.gz", "/s2.xml", "/nested.xml", "/missing.xml"],
            "each file once; /deeper.xml is past max_depth"
        );

        let deep = SitemapLimits { max_depth: 3, ..SitemapLimits::default() };
        let urls = discover(&client(), &origin, &[], &deep).await;
        assert_eq!(paths(&urls), ["/a", "/b", "/c", "/deep"]);
    }

    #[tokio::test]
    async fn discover_honours_url_and_file_caps() {
        let server = TestServer::start(|req| {
            let base = format!("http://{}", req.header("host").unwrap_or_default());
            let locs: Vec<String> = (0..50).map(|i| format!("{base}{}/{i}", req.path)).collect();
            let refs: Vec<&str> = locs.iter().map(String::as_str).collect();
            if req.path == "/sitemap.xml" {
                Reply::ok(index(&refs))
            } else {
                Reply::ok(urlset(&refs))
            }
        })
        .await;
        let origin = Url::parse(&server.url("/")).unwrap();
        let limits = SitemapLimits { max_urls: 120, ..SitemapLimits::default() };
        let urls = discover(&client(), &origin, &[], &limits).await;
        assert_eq!(urls.len(), 120);
        assert_eq!(server.requests().len(), 1 + 3, "no file fetched once the URL cap is reached");

        let before = server.requests().len();
        let limits = SitemapLimits { max_files: 5, ..SitemapLimits::default() };
        let urls = discover(&client(), &origin, &[], &limits).await;
        assert_eq!(urls.len(), 4 * 50);
        assert_eq!(server.requests().len() - before, 5);

        let limits = SitemapLimits { max_bytes: 2048, ..SitemapLimits::default() };
        let urls = discover(&client(), &origin, &[], &limits).await;
        assert!(!urls.is_empty() && urls.len() < 50 * 50, "{}", urls.len());
    }
}
