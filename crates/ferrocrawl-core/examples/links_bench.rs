//! Per-page cost of finding a page's links, for the crawler's budget (issue 7: 200 us of CPU
//! per page in all). Every option includes resolution, fragment dropping and dedup
//! (`LinkResolver`), which is also timed alone.
//!
//!     cargo run --release -p ferrocrawl-core --example links_bench [--features bench-peers] -- [SYNTH_DIR] [DOCS_DIR]
//!
//! SYNTH_DIR: pages of bench/gen_site.py (default /tmp/links_site/p/00); DOCS_DIR: the
//! PostgreSQL HTML docs (default /usr/share/doc/postgresql-doc-15/html). Best of 5 rounds.

use std::cell::RefCell;
use std::hint::black_box;
use std::path::Path;

use encoding_rs::UTF_8;
use ferrocrawl_core::html::{extract_links, Document, LinkResolver};
use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::{local_name, TokenizerResult};
use url::Url;

/// One way to get a page's link count.
type Extract = dyn Fn(&Page) -> usize;

struct Page {
    base: Url,
    html: String,
}

fn load(dir: &Path, base: &str, limit: usize) -> Vec<Page> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "html"));
    paths.sort();
    paths.truncate(limit);
    paths
        .iter()
        .map(|p| Page {
            base: Url::parse(base).unwrap().join(&p.file_name().unwrap().to_string_lossy()).unwrap(),
            html: String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned(),
        })
        .collect()
}

/// This thread's CPU time in ns, so that other processes on a shared box do not count.
#[cfg(target_os = "linux")]
fn cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec (64-bit Linux layout).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &raw mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    t.sec as u64 * 1_000_000_000 + t.nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn cpu_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
}

/// CPU microseconds per page, best of 5 rounds of at least 100 ms each.
fn time(pages: &[Page], f: &Extract) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut links = 0;
    for _ in 0..5 {
        let (start, mut done) = (cpu_ns(), 0);
        while cpu_ns() - start < 100_000_000 {
            links = pages.iter().map(|p| black_box(f(p))).sum();
            done += pages.len();
        }
        best = best.min((cpu_ns() - start) as f64 / 1e3 / done as f64);
    }
    (best, links)
}

// --- html5ever's tokenizer alone: no tree builder, so the raw-text switches it would make are
// made here from the start tag's name (not exact in <svg>/<math>, and no CDATA).
#[derive(Default)]
struct TokenHrefs {
    hrefs: RefCell<Vec<String>>,
    base: RefCell<Option<String>>,
}

impl TokenSink for TokenHrefs {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else { return TokenSinkResult::Continue };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let href =
            || tag.attrs.iter().find(|a| a.name.local == local_name!("href")).map(|a| a.value.to_string());
        match tag.name {
            local_name!("a") | local_name!("area") => self.hrefs.borrow_mut().extend(href()),
            local_name!("base") => {
                let mut base = self.base.borrow_mut();
                if base.is_none() {
                    *base = href();
                }
            }
            local_name!("script") => return TokenSinkResult::RawData(RawKind::ScriptData),
            local_name!("style")
            | local_name!("xmp")
            | local_name!("iframe")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript") => return TokenSinkResult::RawData(RawKind::Rawtext),
            local_name!("title") | local_name!("textarea") => {
                return TokenSinkResult::RawData(RawKind::Rcdata)
            }
            local_name!("plaintext") => return TokenSinkResult::Plaintext,
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokenizer_only(p: &Page) -> usize {
    let tokenizer = Tokenizer::new(TokenHrefs::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&p.html));
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    let sink = tokenizer.sink;
    let base = sink.base.into_inner();
    let hrefs = sink.hrefs.into_inner();
    LinkResolver::new(Some(&p.base), base.as_deref(), UTF_8).links(hrefs.iter().map(String::as_str)).len()
}

#[cfg(feature = "bench-peers")]
mod peers {
    use super::{LinkResolver, Page, UTF_8};
    use std::cell::RefCell;

    /// lol_html on bytes. Its attribute values are raw (entities such as `&amp;` NOT decoded),
    /// so a real use would add an entity decoder: this is a lower bound.
    pub fn lol_html(p: &Page) -> usize {
        use lol_html::{element, HtmlRewriter, Settings};
        let hrefs = RefCell::new(Vec::new());
        let base = RefCell::new(None);
        let mut rewriter = HtmlRewriter::new(
            Settings::new()
                .append_element_content_handler(element!("a[href], area[href]", |el| {
                    hrefs.borrow_mut().extend(el.get_attribute("href"));
                    Ok(())
                }))
                .append_element_content_handler(element!("base[href]", |el| {
                    let mut base = base.borrow_mut();
                    if base.is_none() {
                        *base = el.get_attribute("href");
                    }
                    Ok(())
                })),
            |_: &[u8]| {},
        );
        rewriter.write(p.html.as_bytes()).unwrap();
        rewriter.end().unwrap();
        let base = base.into_inner();
        let hrefs = hrefs.into_inner();
        LinkResolver::new(Some(&p.base), base.as_deref(), UTF_8).links(hrefs.iter().map(String::as_str)).len()
    }

    /// html5gum's tokenizer with its default emitter and naive state switching (by tag name).
    pub fn html5gum(p: &Page) -> usize {
        use html5gum::{DefaultEmitter, Token, Tokenizer};
        let mut emitter = DefaultEmitter::default();
        emitter.naively_switch_states(true);
        let mut hrefs = Vec::new();
        let mut base = None;
        for token in Tokenizer::new_with_emitter(p.html.as_str(), emitter).flatten() {
            if let Token::StartTag(tag) = token {
                let href = || {
                    tag.attributes
                        .get(b"href".as_slice())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                match tag.name.as_slice() {
                    b"a" | b"area" => hrefs.extend(href()),
                    b"base" if base.is_none() => base = href(),
                    _ => {}
                }
            }
        }
        LinkResolver::new(Some(&p.base), base.as_deref(), UTF_8).links(hrefs.iter().map(String::as_str)).len()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let synth = args.first().map_or("/tmp/links_site/p/00", String::as_str);
    let docs = args.get(1).map_or("/usr/share/doc/postgresql-doc-15/html", String::as_str);
    let sets = [
        ("synthetic 5 KB", load(Path::new(synth), "http://127.0.0.1:8000/p/00/", 200)),
        ("PostgreSQL docs", load(Path::new(docs), "http://127.0.0.1:8000/docs/", 2000)),
    ];
    #[cfg_attr(not(feature = "bench-peers"), allow(unused_mut))]
    let mut options: Vec<(&str, &Extract)> = vec![
        ("Document::parse + links_encoded", &|p| {
            Document::parse(&p.html, None).links_encoded(&p.base, UTF_8).len()
        }),
        ("extract_links (tokenizer + tree builder, no tree)", &|p| {
            extract_links(&p.html, &p.base, UTF_8).len()
        }),
        ("html5ever tokenizer alone + name-based raw text", &tokenizer_only),
    ];
    #[cfg(feature = "bench-peers")]
    {
        options.push(("lol_html 3 (entities not decoded)", &peers::lol_html));
        options.push(("html5gum 0.9 (default emitter)", &peers::html5gum));
    }
    for (name, pages) in &sets {
        if pages.is_empty() {
            println!("{name}: no pages found, skipped");
            continue;
        }
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
        println!("\n{name}: {} pages, {} bytes/page on average", pages.len(), bytes / pages.len());
        println!("{:<52} {:>10} {:>8}", "option", "us/page", "links");
        for (option, f) in &options {
            let (us, links) = time(pages, *f);
            println!("{option:<52} {us:>10.1} {links:>8}");
        }
        // The per-link share: resolving hrefs collected beforehand.
        let collected: Vec<(Url, Vec<String>)> = pages
            .iter()
            .map(|p| {
                let doc = Document::parse(&p.html, None);
                let hrefs = ferrocrawl_core::html::css("a::attr(href), area::attr(href)").unwrap();
                let mut out = Vec::new();
                hrefs.select(&doc, ferrocrawl_core::html::NodeId::DOCUMENT, &mut out);
                (p.base.clone(), out.iter().map(|i| doc.get(i)).collect())
            })
            .collect();
        let (us, links) = time_resolve(&collected);
        println!("{:<52} {us:>10.1} {links:>8}", "  of which LinkResolver::links alone");
    }
}

fn time_resolve(collected: &[(Url, Vec<String>)]) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut links = 0;
    for _ in 0..5 {
        let (start, mut done) = (cpu_ns(), 0);
        while cpu_ns() - start < 100_000_000 {
            done += collected.len();
            links = collected
                .iter()
                .map(|(base, hrefs)| {
                    black_box(
                        LinkResolver::new(Some(base), None, UTF_8)
                            .links(hrefs.iter().map(String::as_str))
                            .len(),
                    )
                })
                .sum();
        }
        best = best.min((cpu_ns() - start) as f64 / 1e3 / done as f64);
    }
    (best, links)
}
