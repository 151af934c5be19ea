//! The form URLs are compared, deduplicated and requested in.
//!
//! The `url` crate already does most of the work when a URL is parsed (WHATWG rules):
//! lower-case scheme and host, IDNA, IPv4/IPv6 host normalisation, default port dropped,
//! dot segments resolved, tabs and newlines removed, non-ASCII percent-encoded as UTF-8 (or
//! the page's encoding in the query, through `encoding_override`). [`canonicalize`] adds what
//! WHATWG leaves alone: the fragment is dropped, `%XX` escapes are normalised and the query
//! arguments are sorted.
//!
//! Unlike Scrapy, which only *fingerprints* `w3lib.url.canonicalize_url(url)` and requests
//! the original URL, the crawler *requests* the canonical URL. So the rules stop where a
//! server could read two forms differently: only escapes of unreserved characters are decoded
//! (RFC 3986 §6.2.2.2: `%7E` and `~` are the same URL, `%2C` and `,` need not be), `+` and
//! `%20` stay distinct, `?key` does not become `?key=`, and repeated keys keep their order.

use std::fmt::Write as _;

use url::Url;

/// The form URLs are compared in: lower-case scheme and host (url crate does it), default port
/// dropped, fragment dropped, percent-encoding normalised (decode unreserved %XX, upper-case hex
/// of the rest, encode what must be), query arguments sorted (stable, keep blank values, keep
/// duplicates), empty query `?` dropped; path and query case never changed; path dot-segments
/// resolved (url crate); `file:` and opaque paths are left as they are. Like w3lib's
/// canonicalize_url (keep_fragments=False).
///
/// Idempotent, and the result re-parses to itself (`Url::parse(c.as_str()) == c`).
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    // Opaque paths (`mailto:`, `data:`) are not hierarchical: left as they are. So are
    // `file:` paths: decoding `%6E|` to `n|` there would make a Windows drive letter (`n:`)
    // and drop the host when the result is parsed again (the crawler never fetches them).
    if !out.cannot_be_a_base() && out.scheme() != "file" {
        if let Some(path) = normalize_escapes(out.path()) {
            out.set_path(&path);
        }
    }
    if let Some(query) = out.query() {
        match canonical_query(query) {
            Some(q) if q.is_empty() => out.set_query(None),
            Some(q) => out.set_query(Some(&q)),
            None => {}
        }
    }
    out
}

/// 64-bit fingerprint of the canonical URL's string: stable across processes, platforms and
/// versions (persisted in SQLite and Redis).
///
/// XXH3-64 with seed 0 over the UTF-8 bytes of `canonical.as_str()`: its output is frozen by
/// the xxHash specification (since xxHash 0.8.0), it does not depend on the platform's
/// endianness or word size, and at ~20 GB/s it costs nothing next to parsing the URL.
/// std's `DefaultHasher` is not an option: its algorithm may change between Rust releases.
pub fn fingerprint(canonical: &Url) -> u64 {
    xxhash_rust::xxh3::xxh3_64(canonical.as_str().as_bytes())
}

/// `"host:port"` with the port explicit (`http://a.com/` -> `"a.com:80"`): the key of every
/// per-host table (politeness, robots, stats). IPv6 hosts keep their brackets.
pub fn host_key(url: &Url) -> String {
    let mut key = String::new();
    write_host_key(url, &mut key);
    key
}

/// [`host_key`] into a buffer the caller reuses (the frontier does it for every push).
pub fn write_host_key(url: &Url, out: &mut String) {
    out.clear();
    out.push_str(url.host_str().unwrap_or(""));
    let _ = write!(out, ":{}", url.port_or_known_default().unwrap_or(0));
}

/// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes of unreserved characters and upper-cases the hex of the others.
/// `None` when nothing changes (the common case: no allocation). A `%` not followed by two
/// hex digits is kept as it is (the url crate keeps it too); while there is such a stray `%`,
/// escapes of hex digits stay escaped (upper-cased), since a decoded digit could complete
/// the stray into a new escape (`%%444` would become `%D4`, a URL a server decodes to
/// other bytes, and no fixed point).
fn normalize_escapes(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut i = s.find('%')?;
    let stray = has_stray_percent(&bytes[i..]);
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' || i + 2 >= bytes.len() {
            i += 1;
            continue;
        }
        let (Some(hi), Some(lo)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) else {
            i += 1;
            continue;
        };
        let value = hi << 4 | lo;
        let replacement: Option<[u8; 3]> = if is_unreserved(value) && !(stray && value.is_ascii_hexdigit()) {
            Some([value, 0, 0])
        } else if bytes[i + 1].is_ascii_lowercase() || bytes[i + 2].is_ascii_lowercase() {
            Some([b'%', bytes[i + 1].to_ascii_uppercase(), bytes[i + 2].to_ascii_uppercase()])
        } else {
            None
        };
        if let Some(rep) = replacement {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
            buf.extend_from_slice(&bytes[copied..i]);
            buf.extend_from_slice(if rep[0] == b'%' { &rep[..] } else { &rep[..1] });
            copied = i + 3;
        }
        i += 3;
    }
    let mut buf = out?;
    buf.extend_from_slice(&bytes[copied..]);
    // Only ASCII was replaced by ASCII, at escape boundaries: still UTF-8.
    Some(String::from_utf8(buf).expect("ASCII edits keep UTF-8"))
}

/// Whether some `%` in `bytes` is not followed by two hex digits.
fn has_stray_percent(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !matches!(
                (
                    bytes.get(i + 1).copied().and_then(hex_value),
                    bytes.get(i + 2).copied().and_then(hex_value)
                ),
                (Some(_), Some(_))
            )
    })
}

/// The query with empty `&&` fields dropped, escapes normalised and arguments stably sorted
/// by key (repeated keys keep their order: servers read them as ordered lists). `None` when
/// nothing changes; `Some("")` when the query is empty and must go.
fn canonical_query(query: &str) -> Option<String> {
    if query.is_empty() {
        return Some(String::new());
    }
    if !query.contains(['&', '%']) {
        return None;
    }
    let mut fields: Vec<std::borrow::Cow<'_, str>> = query
        .split('&')
        .filter(|f| !f.is_empty())
        .map(|f| normalize_escapes(f).map_or(std::borrow::Cow::Borrowed(f), std::borrow::Cow::Owned))
        .collect();
    fields.sort_by(|a, b| key_of(a).cmp(key_of(b)));
    let joined = fields.join("&");
    (joined != query).then_some(joined)
}

fn key_of(field: &str) -> &str {
    field.split_once('=').map_or(field, |(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).unwrap()).to_string()
    }

    /// Cases of w3lib's `tests/test_url.py::TestCanonicalizeUrl` (scrapy/w3lib at ed01dc0)
    /// where our rules give w3lib's answer.
    const W3LIB_SAME: &[(&str, &str)] = &[
        ("http://www.example.com/", "http://www.example.com/"),
        // test_append_missing_path
        ("http://www.example.com", "http://www.example.com/"),
        // test_typical_usage
        ("http://www.example.com/do?a=1&b=2&c=3", "http://www.example.com/do?a=1&b=2&c=3"),
        ("http://www.example.com/do?c=1&b=2&a=3", "http://www.example.com/do?a=3&b=2&c=1"),
        ("http://www.example.com/do?&a=1", "http://www.example.com/do?a=1"),
        // test_port_number
        ("http://www.example.com:8888/do?a=1&b=2&c=3", "http://www.example.com:8888/do?a=1&b=2&c=3"),
        ("http://www.example.com:/do?a=1&b=2&c=3", "http://www.example.com/do?a=1&b=2&c=3"),
        // test_keep_blank_values (keep_blank_values=True, the default)
        ("http://www.example.com/do?b=&a=2", "http://www.example.com/do?a=2&b="),
        // test_spaces
        ("http://www.example.com/do?q=a+space&a=1", "http://www.example.com/do?a=1&q=a+space"),
        // test_canonicalize_url_unicode_path / _query_string (UTF-8)
        ("http://www.example.com/résumé", "http://www.example.com/r%C3%A9sum%C3%A9"),
        (
            "http://www.example.com/résumé?q=résumé",
            "http://www.example.com/r%C3%A9sum%C3%A9?q=r%C3%A9sum%C3%A9",
        ),
        // test_canonicalize_url_remove_ascii_tab_and_newlines
        ("http://exa\tmple.com/a\r\nb?q=a\tb", "http://example.com/ab?q=ab"),
        // test_normalize_percent_encoding_in_paths
        ("http://www.example.com/r%c3%a9sum%c3%a9", "http://www.example.com/r%C3%A9sum%C3%A9"),
        ("http://www.example.com/a%a3do", "http://www.example.com/a%A3do"),
        ("http://www.example.com/a%a3do?q=r%c3%a9sum%c3%a9", "http://www.example.com/a%A3do?q=r%C3%A9sum%C3%A9"),
        ("http://www.example.com/a%a3do?q=r%e9sum%e9", "http://www.example.com/a%A3do?q=r%E9sum%E9"),
        // test_normalize_percent_encoding_in_query_arguments
        ("http://www.example.com/do?k=b%a3", "http://www.example.com/do?k=b%A3"),
        ("http://www.example.com/do?k=r%c3%a9sum%c3%a9", "http://www.example.com/do?k=r%C3%A9sum%C3%A9"),
        // test_non_ascii_percent_encoding_in_paths
        ("http://www.example.com/a do?a=1", "http://www.example.com/a%20do?a=1"),
        ("http://www.example.com/a %20do?a=1", "http://www.example.com/a%20%20do?a=1"),
        ("http://www.example.com/a do£.html?a=1", "http://www.example.com/a%20do%C2%A3.html?a=1"),
        // test_non_ascii_percent_encoding_in_query_arguments
        ("http://www.example.com/do?price=£500&a=5&z=3", "http://www.example.com/do?a=5&price=%C2%A3500&z=3"),
        // test_urls_with_auth_and_ports
        ("http://user:pass@www.example.com:81/do?now=1", "http://user:pass@www.example.com:81/do?now=1"),
        // test_remove_fragments, test_remove_fragments_ipv6_host
        ("http://user:pass@www.example.com/do?a=1#frag", "http://user:pass@www.example.com/do?a=1"),
        ("http://[::1]/do?a=1#frag", "http://[::1]/do?a=1"),
        // test_dont_convert_safe_characters
        (
            "http://www.simplybedrooms.com/White-Bedroom-Furniture/Bedroom-Mirror:-Josephine-Cheval-Mirror.html",
            "http://www.simplybedrooms.com/White-Bedroom-Furniture/Bedroom-Mirror:-Josephine-Cheval-Mirror.html",
        ),
        // test_safe_characters_unicode
        ("http://www.example.com/caf%E9-con-leche.htm", "http://www.example.com/caf%E9-con-leche.htm"),
        ("http://www.example.com/caf%e9-con-leche.htm", "http://www.example.com/caf%E9-con-leche.htm"),
        // test_domains_are_case_insensitive
        ("http://www.EXAMPLE.com/", "http://www.example.com/"),
        // test_userinfo_is_case_sensitive (on http: see W3LIB_DIFFERENT for sftp)
        ("http://UsEr:PaSsWoRd@www.EXAMPLE.com/", "http://UsEr:PaSsWoRd@www.example.com/"),
        // test_canonicalize_idns
        ("http://www.bücher.de?q=bücher", "http://www.xn--bcher-kva.de/?q=b%C3%BCcher"),
        (
            "http://はじめよう.みんな/?query=サ&maxResults=5",
            "http://xn--p8j9a0d9c9a.xn--q9jyb4c/?maxResults=5&query=%E3%82%B5",
        ),
        ("http://www.bücher.de:8080/?q=bücher", "http://www.xn--bcher-kva.de:8080/?q=b%C3%BCcher"),
        // test_canonicalize_idns_with_userinfo
        ("http://user@例え.jp/path", "http://user@xn--r8jz45g.jp/path"),
        ("http://user:pass@例え.jp:8080/p", "http://user:pass@xn--r8jz45g.jp:8080/p"),
        // test_quoted_slash_and_question_sign
        ("http://foo.com/AC%2FDC+rocks%3f/?yeah=1", "http://foo.com/AC%2FDC+rocks%3F/?yeah=1"),
        ("http://foo.com/AC%2FDC/", "http://foo.com/AC%2FDC/"),
        // test_canonicalize_parse_url
        ("http://www.example.com/path;params?x=1#frag", "http://www.example.com/path;params?x=1"),
        ("http://www.example.com/a;b/c;params?x=1", "http://www.example.com/a;b/c;params?x=1"),
        ("http://www.example.com/a;b/c", "http://www.example.com/a;b/c"),
        ("http://www.example.com/abc/def?x=1", "http://www.example.com/abc/def?x=1"),
        // test_canonicalize_url_non_final_segment_semicolon
        ("http://www.example.com/dir;x/a%7Eb", "http://www.example.com/dir;x/a~b"),
        // test_preserve_nonfragment_hash
        ("http://www.example.com/path/to/%23/foo/bar", "http://www.example.com/path/to/%23/foo/bar"),
        ("http://www.example.com/path/to/%23/foo/bar#frag", "http://www.example.com/path/to/%23/foo/bar"),
        (
            "http://www.example.com/path/to/%23/foo/bar?url=http%3A%2F%2Fwww.example.com%2Fpath%2Fto%2F%23%2Fbar%2Ffoo",
            "http://www.example.com/path/to/%23/foo/bar?url=http%3A%2F%2Fwww.example.com%2Fpath%2Fto%2F%23%2Fbar%2Ffoo",
        ),
        (
            "http://www.example.com/path/to/%23/foo/bar?url=http%3A%2F%2Fwww.example.com%2F%2Fpath%2Fto%2F%23%2Fbar%2Ffoo#frag",
            "http://www.example.com/path/to/%23/foo/bar?url=http%3A%2F%2Fwww.example.com%2F%2Fpath%2Fto%2F%23%2Fbar%2Ffoo",
        ),
        // test_strip_spaces
        (" https://example.com", "https://example.com/"),
        ("https://example.com ", "https://example.com/"),
        (" https://example.com ", "https://example.com/"),
        // the docstring: dot segments and IPv6 normalisation
        ("http://[::0:1]/a/../b", "http://[::1]/b"),
    ];

    /// w3lib cases where we deliberately differ, with w3lib's answer in the comment. The crawler
    /// requests the canonical URL, so we never rewrite what a server may read differently.
    const W3LIB_DIFFERENT: &[(&str, &str)] = &[
        // test_sorting: w3lib sorts by (key, value) -> `a=50&b=2&b=5&c=3`; repeated keys keep
        // their order here (a list `?id=5&id=2` is not `?id=2&id=5` to every server).
        ("http://www.example.com/do?c=3&b=5&b=2&a=50", "http://www.example.com/do?a=50&b=5&b=2&c=3"),
        // test_keep_blank_values: w3lib adds `=` to a bare key -> `a=2&b=&c=`.
        ("http://www.example.com/do?b=&c&a=2", "http://www.example.com/do?a=2&b=&c"),
        // w3lib form-encodes the argument -> `1750%2C4=` (an image map's `?x,y` breaks).
        ("http://www.example.com/do?1750,4", "http://www.example.com/do?1750,4"),
        // test_spaces: w3lib turns spaces into `+` -> `a=1&q=a+space`; `%20` and `+` are
        // the same only to form decoders, so both stay as the url crate encodes them.
        ("http://www.example.com/do?q=a space&a=1", "http://www.example.com/do?a=1&q=a%20space"),
        ("http://www.example.com/do?q=a%20space&a=1", "http://www.example.com/do?a=1&q=a%20space"),
        // test_non_ascii_percent_encoding_in_query_arguments: w3lib -> `price%28%C2%A3%29=500`;
        // `(` and `)` are sub-delims, legal as they are.
        ("http://www.example.com/do?price(£)=500&a=1", "http://www.example.com/do?a=1&price(%C2%A3)=500"),
        // test_normalize_percent_encoding_in_paths: w3lib decodes `%2c` -> `a%23b,c`; `,` is
        // reserved, so only the hex is upper-cased.
        ("https://example.com/a%23b%2cc#bash", "https://example.com/a%23b%2Cc"),
        // test_userinfo_is_case_sensitive: the url crate keeps a non-special scheme's host
        // (an opaque host) as written; w3lib -> `www.example.com`. Only http(s) is crawled.
        ("sftp://UsEr:PaSsWoRd@www.EXAMPLE.com/", "sftp://UsEr:PaSsWoRd@www.EXAMPLE.com/"),
    ];

    // Not translated: `encoding=` cases (the page's encoding applies when a link is parsed,
    // through the url crate's `encoding_override`, before canonicalize sees it); bytes input;
    // `keep_fragments=True` / `keep_blank_values=False` / `query_separator` (no such options);
    // test_canonicalize_url_idna_exceptions (`http://.éxamplé.com/` and a 77-byte label are
    // not valid URLs to the url crate, so they never reach canonicalize); relative URLs.

    #[test]
    fn w3lib_cases() {
        for (input, want) in W3LIB_SAME.iter().chain(W3LIB_DIFFERENT) {
            assert_eq!(canon(input), *want, "canonicalize({input:?})");
        }
    }

    #[test]
    fn canonical_form_is_a_fixed_point_that_reparses_to_itself() {
        let extra = [
            "http://a.com/%7e%41%2d?%7e=%7a&b=%2f",
            "http://a.com/x%zz%4?%",
            "http://a.com/?",
            "http://a.com/?&&",
            "http://a.com/p?a=1&&b=2#f",
            "HTTP://A.COM:80/./b/../c/%2E%2E/d",
            "mailto:Joe@Example.COM?subject=%7e",
            "data:text/plain,%7e",
            "foo:/.//p%7e",
            "foo://h/p%7e?x=%7e&a#f",
            "http://a.com/a/.%2e/b%7E?%7e#x",
            "http://a.com/?a=1&a=0&%61=2",
            "http://a.com/%2e%2E%2fx",
            "file:///C:/%7e",
        ];
        for input in W3LIB_SAME.iter().chain(W3LIB_DIFFERENT).map(|(i, _)| *i).chain(extra) {
            let once = canonicalize(&Url::parse(input).unwrap());
            assert_eq!(canonicalize(&once), once, "not idempotent on {input:?}");
            assert_eq!(Url::parse(once.as_str()).unwrap(), once, "does not reparse: {input:?}");
        }
    }

    #[test]
    fn escapes_and_empty_queries() {
        // Unreserved decoded, the rest upper-cased, a stray `%` kept.
        assert_eq!(canon("http://a.com/%7e%41%2d%2f%3a"), "http://a.com/~A-%2F%3A");
        assert_eq!(canon("http://a.com/x%zz%4"), "http://a.com/x%zz%4");
        assert_eq!(canon("http://a.com/?%7e=%7a&b=%2f"), "http://a.com/?b=%2F&~=z");
        // Dot segments, also escaped ones; default port dropped; empty query gone.
        assert_eq!(canon("HTTP://A.COM:80/./b/../c/%2E%2E/d"), "http://a.com/d");
        assert_eq!(canon("http://a.com/?"), "http://a.com/");
        assert_eq!(canon("http://a.com/?&&"), "http://a.com/");
        assert_eq!(canon("https://a.com:443/p?#x"), "https://a.com/p");
        // Path and query case are never changed.
        assert_eq!(canon("http://a.com/Docs/Index.HTML?Q=Big"), "http://a.com/Docs/Index.HTML?Q=Big");
        // Variants of one page meet.
        let variants = [
            "http://A.com:80/a/./b?y=2&x=1#top",
            "http://a.com/a/b?x=1&&y=2",
            "http://a.com/a/%62?x=%31&y=2",
        ];
        let forms: Vec<String> = variants.iter().map(|v| canon(v)).collect();
        assert!(forms.iter().all(|f| f == "http://a.com/a/b?x=1&y=2"), "{forms:?}");
    }

    #[test]
    fn stray_percent_never_completes_into_a_new_escape() {
        // Found by fuzz/canon_vs_url: `%%444` decoded `%44` to `D`, which made `%D4`, an
        // escape of byte 0xD4 the original never had (and a second pass decoded again).
        assert_eq!(canon("http:.?%%444"), "http://./?%%444");
        assert_eq!(canon("http://a.com/%%37e?k=%4%31&a"), "http://a.com/%%37e?a&k=%4%31");
        assert_eq!(canon("http://a.com/%%7e%41%2d%5a%7a/%2%35"), "http://a.com/%~%41-Zz/%2%35");
        // Without a stray `%` every unreserved escape is decoded, digits too.
        assert_eq!(canon("http://a.com/%44%34?x=%34%25"), "http://a.com/D4?x=4%25");
        for input in [
            "http://a.com/%%37e",
            "http://a.com/%%34%31",
            "http://a.com/?q=%7%37%25%",
            "http://a.com/%%%%4141",
        ] {
            let once = canonicalize(&Url::parse(input).unwrap());
            assert_eq!(canonicalize(&once), once, "not idempotent on {input:?}");
        }
    }

    #[test]
    fn file_paths_are_not_decoded_into_drive_letters() {
        // Found by fuzz/canon: `%6e|` decoded to `n|`, which the url crate reads as the
        // drive letter `n:`; `file://cocz/n:` then re-parsed as `file:///n:`.
        assert_eq!(canon("file://cocz/%6e|"), "file://cocz/%6e|");
        assert_eq!(canon("file:///C:/%7e?b=%7e&a#f"), "file:///C:/%7e?a&b=~");
        let once = canonicalize(&Url::parse("file://cocz/%6e|").unwrap());
        assert_eq!(Url::parse(once.as_str()).unwrap(), once);
    }

    #[test]
    fn fingerprint_is_stable() {
        // A regression test of stability: this value is persisted in crawl state files, so it
        // must never change (XXH3-64, seed 0, of the canonical string).
        let url = canonicalize(&Url::parse("https://example.com/a?b=1").unwrap());
        assert_eq!(fingerprint(&url), 0x9d5e_03f0_dc5e_381f);
        assert_ne!(fingerprint(&url), fingerprint(&Url::parse("https://example.com/a?b=2").unwrap()));
    }

    #[test]
    fn host_keys_make_the_port_explicit() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(key("http://Example.COM/x"), "example.com:80");
        assert_eq!(key("https://example.com/"), "example.com:443");
        assert_eq!(key("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert_eq!(key("http://[::1]/"), "[::1]:80");
    }
}
