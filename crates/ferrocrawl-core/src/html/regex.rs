//! parsel's `.re()` / `.re_first()`: a named group `extract` gives its first match; otherwise
//! every match contributes its groups (or the whole match when there are none), flattened.
//! Then, as in parsel, character entities are replaced except `&lt;` and `&amp;`.
//! Patterns use the `regex` crate's syntax (no look-around or back-references), compiled once.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::cache::Cache;
use super::error::SelectorError;

/// How many compiled regexes the cache keeps.
pub const REGEX_CACHE_CAPACITY: usize = 256;

static REGEXES: LazyLock<Cache<Regex>> = LazyLock::new(|| Cache::new(REGEX_CACHE_CAPACITY));

/// The compiled regex for `pattern`, from the cache.
pub fn compiled_regex(pattern: &str) -> Result<Arc<Regex>, SelectorError> {
    REGEXES.get_or_try_insert(pattern, |p| {
        Regex::new(p).map_err(|e| SelectorError::new(p, error_position(p, &e), format!("invalid regex: {e}")))
    })
}

/// The regex crate reports no offset; point at the start, or at a look-around's `(?`.
fn error_position(pattern: &str, _err: &regex::Error) -> usize {
    ["(?=", "(?!", "(?<=", "(?<!"].iter().filter_map(|p| pattern.find(p)).min().unwrap_or(0)
}

/// Appends parsel's `.re()` results for `text`; `entities` is parsel's `replace_entities`.
pub fn re(regex: &Regex, text: &str, entities: bool, out: &mut Vec<String>) {
    extract(regex, text, entities, out, usize::MAX);
}

/// parsel's `.re_first()`: the first of `.re()`'s results.
pub fn re_first(regex: &Regex, text: &str, entities: bool) -> Option<String> {
    let mut out = Vec::new();
    extract(regex, text, entities, &mut out, 1);
    out.pop()
}

fn extract(regex: &Regex, text: &str, entities: bool, out: &mut Vec<String>, limit: usize) {
    let finish = |s: &str| if entities { replace_entities(s) } else { s.to_owned() };
    let start = out.len();
    if let Some(index) = regex.capture_names().position(|n| n == Some("extract")) {
        if let Some(m) = regex.captures(text).and_then(|c| c.get(index)) {
            out.push(finish(m.as_str()));
        }
        return;
    }
    let groups = regex.captures_len() - 1;
    if groups == 0 {
        for m in regex.find_iter(text) {
            if out.len() - start >= limit {
                return;
            }
            out.push(finish(m.as_str()));
        }
        return;
    }
    for caps in regex.captures_iter(text) {
        for i in 1..=groups {
            if out.len() - start >= limit {
                return;
            }
            // Python's findall gives "" for a group that did not take part.
            out.push(finish(caps.get(i).map_or("", |m| m.as_str())));
        }
    }
}

/// w3lib's `replace_entities(keep=["lt", "amp"])`, for numeric references and the common
/// named ones; unknown names stay as written.
fn replace_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end =
            rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '#')).map_or(rest.len(), |i| i + 1);
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            code.and_then(char::from_u32)
        } else {
            match name {
                "quot" => Some('"'),
                "apos" => Some('\''),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                "copy" => Some('©'),
                "reg" => Some('®'),
                "trade" => Some('™'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                "euro" => Some('€'),
                "pound" => Some('£'),
                _ => None,
            }
        };
        match decoded {
            Some(c) if !name.is_empty() => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pattern: &str, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        re(&compiled_regex(pattern).unwrap(), text, true, &mut out);
        out
    }

    #[test]
    fn parsel_semantics() {
        assert_eq!(all(r"\d+\.\d+", "a 1.50 b 2.25"), ["1.50", "2.25"]);
        assert_eq!(all(r"(\d+)\.(\d+)", "1.50 2.25"), ["1", "50", "2", "25"]);
        assert_eq!(all(r"(a)|(b)", "ab"), ["a", "", "", "b"]);
        assert_eq!(all(r"(?P<extract>\d+) (\w+)", "1 x 2 y"), ["1"], "named group: first match only");
        assert_eq!(all(r"x=(\S+)", "x=&quot;1&#39;&amp;&lt;&#x41;"), ["\"1'&amp;&lt;A"]);
        assert_eq!(re_first(&compiled_regex(r"(\d)(\d)").unwrap(), "12 34", true), Some("1".into()));
        assert_eq!(re_first(&compiled_regex("z").unwrap(), "abc", true), None);
        let raw = re_first(&compiled_regex(r"x=(\S+)").unwrap(), "x=&quot;1", false);
        assert_eq!(raw.as_deref(), Some("&quot;1"), "replace_entities=False keeps them");
        let err = compiled_regex(r"a(?=b)").unwrap_err();
        assert_eq!(err.position, 1);
        assert!(compiled_regex("(").is_err());
    }
}
