//! parsel's `.re()` / `.re_first()`: a named group `extract` gives its first match; otherwise
//! every match contributes its groups (or the whole match when there are none), flattened.
//! Then, as in parsel, character entities are replaced except `&lt;` and `&amp;`.
//! Patterns are Python's `re` syntax ([`Pattern`]), compiled once.

use std::sync::{Arc, LazyLock};

use super::cache::Cache;
use super::error::SelectorError;
use super::pattern::Pattern;

/// How many compiled regexes the cache keeps.
pub const REGEX_CACHE_CAPACITY: usize = 256;

static REGEXES: LazyLock<Cache<Pattern>> = LazyLock::new(|| Cache::new(REGEX_CACHE_CAPACITY));

/// The compiled regex for `pattern`, from the cache.
pub fn compiled_regex(pattern: &str) -> Result<Arc<Pattern>, SelectorError> {
    REGEXES.get_or_try_insert(pattern, Pattern::new)
}

/// Appends parsel's `.re()` results for `text`; `entities` is parsel's `replace_entities`.
pub fn re(regex: &Pattern, text: &str, entities: bool, out: &mut Vec<String>) -> Result<(), SelectorError> {
    extract(regex, text, entities, out, usize::MAX)
}

/// parsel's `.re_first()`: the first of `.re()`'s results.
pub fn re_first(regex: &Pattern, text: &str, entities: bool) -> Result<Option<String>, SelectorError> {
    let mut out = Vec::new();
    extract(regex, text, entities, &mut out, 1)?;
    Ok(out.pop())
}

fn extract(
    regex: &Pattern,
    text: &str,
    entities: bool,
    out: &mut Vec<String>,
    limit: usize,
) -> Result<(), SelectorError> {
    let finish = |s: &str| if entities { replace_entities(s) } else { s.to_owned() };
    if let Some(index) = regex.group_index("extract") {
        if let Some(m) = regex.captures(text)?.as_ref().and_then(|c| c.get(index)) {
            out.push(finish(m));
        }
        return Ok(());
    }
    // every group of every match ("" for one that took no part, as Python's findall), or
    // the whole match when there are no groups
    let groups = regex.captures_len() - 1;
    let wanted = if groups == 0 { 0..=0 } else { 1..=groups };
    let start = out.len();
    regex.each_captures(text, |caps| {
        for i in wanted.clone() {
            if out.len() - start >= limit {
                return false;
            }
            out.push(finish(caps.get(i).unwrap_or("")));
        }
        true
    })
}

/// Python's cp1252 decoding of the bytes 0x80-0x9F (0: undefined there), which w3lib applies
/// to numeric references in that range.
const CP1252_C1: [u32; 32] = [
    0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152,
    0x0000, 0x017D, 0x0000, 0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
    0x0161, 0x203A, 0x0153, 0x0000, 0x017E, 0x0178,
];

/// w3lib's `replace_entities(keep=["lt", "amp"])` (what parsel's `.re()` applies): numeric
/// references, and the HTML 4 names (exact case, else lowercased) with or without the `;`;
/// a reference that cannot be converted is removed when it has its `;` and kept otherwise.
pub fn replace_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some((len, reference)) = entity_reference(rest) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let semicolon = rest[..len].ends_with(';');
        let code = match reference {
            Reference::Named(name) if name.eq_ignore_ascii_case("lt") || name.eq_ignore_ascii_case("amp") => {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
            Reference::Named(name) => super::entities::codepoint(name)
                .or_else(|| super::entities::codepoint(&name.to_ascii_lowercase())),
            Reference::Number(n) => Some(n),
        };
        let decoded = code.and_then(|n| match n {
            0 | 0xD800..=0xDFFF => Some('\u{fffd}'),
            0x80..=0x9F => char::from_u32(CP1252_C1[(n - 0x80) as usize]).filter(|&c| c != '\0'),
            n => char::from_u32(n),
        });
        match decoded {
            Some(c) => out.push(c),
            None if semicolon => {}
            None => out.push_str(&rest[..len]),
        }
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

enum Reference<'a> {
    Named(&'a str),
    /// `u32::MAX` for a number too large to be a code point.
    Number(u32),
}

/// w3lib's `&((?P<named>[a-z\d]+)|#(?P<dec>\d+)|#x(?P<hex>[a-f\d]+))(?P<semicolon>;?)`
/// (case-insensitive) at the start of `s`: its length and what it names.
fn entity_reference(s: &str) -> Option<(usize, Reference<'_>)> {
    let body = &s[1..];
    let run = |t: &str, f: fn(&u8) -> bool| t.bytes().take_while(&f).count();
    let (len, reference) = if let Some(num) = body.strip_prefix('#') {
        let dec = run(num, u8::is_ascii_digit);
        if dec > 0 {
            (1 + dec, Reference::Number(num[..dec].parse().unwrap_or(u32::MAX)))
        } else {
            let hex_digits = num.strip_prefix(['x', 'X']).map_or(0, |h| run(h, u8::is_ascii_hexdigit));
            if hex_digits == 0 {
                return None;
            }
            (
                2 + hex_digits,
                Reference::Number(u32::from_str_radix(&num[1..=hex_digits], 16).unwrap_or(u32::MAX)),
            )
        }
    } else {
        let n = run(body, u8::is_ascii_alphanumeric);
        if n == 0 {
            return None;
        }
        (n, Reference::Named(&body[..n]))
    };
    let semicolon = usize::from(body[len..].starts_with(';'));
    Some((1 + len + semicolon, reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pattern: &str, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        re(&compiled_regex(pattern).unwrap(), text, true, &mut out).unwrap();
        out
    }

    #[test]
    fn parsel_semantics() {
        assert_eq!(all(r"\d+\.\d+", "a 1.50 b 2.25"), ["1.50", "2.25"]);
        assert_eq!(all(r"(\d+)\.(\d+)", "1.50 2.25"), ["1", "50", "2", "25"]);
        assert_eq!(all(r"(a)|(b)", "ab"), ["a", "", "", "b"]);
        assert_eq!(all(r"(?P<extract>\d+) (\w+)", "1 x 2 y"), ["1"], "named group: first match only");
        assert_eq!(all(r"x=(\S+)", "x=&quot;1&#39;&amp;&lt;&#x41;"), ["\"1'&amp;&lt;A"]);
        let first = |p: &str, text: &str, entities: bool| {
            re_first(&compiled_regex(p).unwrap(), text, entities).unwrap()
        };
        assert_eq!(first(r"(\d)(\d)", "12 34", true), Some("1".into()));
        assert_eq!(first("z", "abc", true), None);
        assert_eq!(
            first(r"x=(\S+)", "x=&quot;1", false).as_deref(),
            Some("&quot;1"),
            "replace_entities=False keeps them"
        );
        // Python's syntax, look-around included
        assert_eq!(all(r"(?<=\$)(\d+)(?!%)", "$5% $6"), ["6"]);
        assert_eq!(all(r#"{"foo":(.*)}"#, r#"x{"foo":1}"#), ["1"]);
        let err = compiled_regex(r"a(?=b").unwrap_err();
        assert!(err.message.starts_with("invalid regex"), "{err}");
        assert!(compiled_regex("(").is_err());
    }

    /// The cases of w3lib's own tests for `replace_entities(keep=["lt", "amp"])`.
    #[test]
    fn entities_as_w3lib() {
        for (given, expected) in [
            // HTML 4 has no `&apos;`: w3lib removes it
            ("&quot;&apos;&gt;&nbsp;&eacute;&hellip;", "\">\u{a0}é…"),
            ("&lt;&amp;&LT;&AMP;", "&lt;&amp;&LT;&AMP;"),
            ("&#65;&#x41;&#X41;&#x;", "AAA&#x;"),
            ("&#133;&#x85;&#129;", "……"),
            ("&#0;&#xD800;", "\u{fffd}\u{fffd}"),
            ("&#99999999;x", "x"),
            ("&#99999999x", "&#99999999x"),
            ("&EACUTE;&Eacute;", "éÉ"),
            ("&copy 2020 &nope; &nope", "© 2020  &nope"),
            ("a & b &", "a & b &"),
        ] {
            assert_eq!(replace_entities(given), expected, "{given}");
        }
    }
}
