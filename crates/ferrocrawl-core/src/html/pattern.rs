//! Regexes written for Python's `re`, which is what parsel users (and lxml's EXSLT `re:`
//! functions) write. The `regex` crate runs a pattern when it can: linear time, whatever the
//! input. What only backtracking can do (look-around, back-references) runs on fancy-regex,
//! which hands the plain parts to regex-automata and stops after a bounded number of
//! backtracking steps, so a hostile page gets an error, never a hang.
//!
//! Before either compiles it, the pattern is read as Python reads it where the syntaxes part:
//! a `{` that starts no repetition is a literal (`{"a":(.*)}`), `\Z` is the end of the text, and
//! a `[` inside a class is a literal (Rust would open a nested class).

use std::borrow::Cow;

use super::error::SelectorError;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as given, for error messages.
    source: String,
    engine: Engine,
}

#[derive(Debug, Clone)]
enum Engine {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// One match's groups (0 is the whole match).
pub enum Captures<'t> {
    Linear(regex::Captures<'t>),
    Backtracking(fancy_regex::Captures<'t, str>),
}

impl Captures<'_> {
    /// The text of group `i`, `None` when it took no part in the match.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self {
            Captures::Linear(c) => c.get(i).map(|m| m.as_str()),
            Captures::Backtracking(c) => c.get(i).map(|m| m.as_str()),
        }
    }
}

impl Pattern {
    /// Compiles `pattern`, written in Python's `re` syntax.
    pub fn new(pattern: &str) -> Result<Pattern, SelectorError> {
        let rust = from_python(pattern);
        let engine = match regex::Regex::new(&rust) {
            Ok(re) => Engine::Linear(re),
            Err(linear_error) => match fancy_regex::Regex::new(&rust) {
                Ok(re) => Engine::Backtracking(re),
                // fancy-regex takes all `regex` does and more: when it refuses too, the
                // `regex` crate's message (a caret under the spot) says more
                Err(e) => {
                    let at = if let fancy_regex::Error::ParseError(at, _) = e { at } else { 0 };
                    return Err(SelectorError::new(pattern, at, format!("invalid regex: {linear_error}")));
                }
            },
        };
        Ok(Pattern { source: pattern.to_owned(), engine })
    }

    /// Whether it runs on the backtracking engine (it needs look-around or back-references).
    pub fn backtracks(&self) -> bool {
        matches!(self.engine, Engine::Backtracking(_))
    }

    fn run_error(&self, e: &fancy_regex::Error) -> SelectorError {
        SelectorError::new(&self.source, 0, format!("the regex could not run to the end: {e}"))
    }

    /// The number of groups, the whole match included.
    pub fn captures_len(&self) -> usize {
        match &self.engine {
            Engine::Linear(re) => re.captures_len(),
            Engine::Backtracking(re) => re.captures_len(),
        }
    }

    /// The index of the group called `name`.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        match &self.engine {
            Engine::Linear(re) => re.capture_names().position(|n| n == Some(name)),
            Engine::Backtracking(re) => re.capture_names().position(|n| n == Some(name)),
        }
    }

    pub fn is_match(&self, text: &str) -> Result<bool, SelectorError> {
        match &self.engine {
            Engine::Linear(re) => Ok(re.is_match(text)),
            Engine::Backtracking(re) => re.is_match(text).map_err(|e| self.run_error(&e)),
        }
    }

    /// The first match's groups.
    pub fn captures<'t>(&self, text: &'t str) -> Result<Option<Captures<'t>>, SelectorError> {
        match &self.engine {
            Engine::Linear(re) => Ok(re.captures(text).map(Captures::Linear)),
            Engine::Backtracking(re) => {
                Ok(re.captures(text).map_err(|e| self.run_error(&e))?.map(Captures::Backtracking))
            }
        }
    }

    /// Calls `f` with each non-overlapping match's groups, in order, until it returns false.
    pub fn each_captures<'t>(
        &self,
        text: &'t str,
        mut f: impl FnMut(&Captures<'t>) -> bool,
    ) -> Result<(), SelectorError> {
        match &self.engine {
            Engine::Linear(re) => {
                for c in re.captures_iter(text) {
                    if !f(&Captures::Linear(c)) {
                        break;
                    }
                }
            }
            Engine::Backtracking(re) => {
                for c in re.captures_iter(text) {
                    if !f(&Captures::Backtracking(c.map_err(|e| self.run_error(&e))?)) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// `text` with the first match (every match with `all`) replaced by `with`, in which
    /// `${N}` is group N and `$$` a `$` (the `regex` crate's replacement syntax).
    pub fn replace<'t>(&self, text: &'t str, with: &str, all: bool) -> Result<Cow<'t, str>, SelectorError> {
        match &self.engine {
            Engine::Linear(re) if all => Ok(re.replace_all(text, with)),
            Engine::Linear(re) => Ok(re.replace(text, with)),
            Engine::Backtracking(re) => {
                re.try_replacen(text, usize::from(!all), with).map_err(|e| self.run_error(&e))
            }
        }
    }
}

/// `pattern` (Python's syntax) in the syntax of the `regex` crate and fancy-regex.
fn from_python(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains(['{', '}', '[', '\\']) {
        return Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.char_indices().peekable();
    // inside `[...]`, and whether the class's first character (a literal `]`) is next
    let mut in_class = false;
    let mut class_start = false;
    while let Some((i, c)) = chars.next() {
        let first_in_class = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some((_, next)) = chars.next() else {
                    out.push('\\');
                    break;
                };
                // Python's `\Z` is the very end (Rust's `\z`); Rust has no `\Z`
                out.push('\\');
                out.push(if next == 'Z' && !in_class { 'z' } else { next });
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek().is_some_and(|&(_, n)| n == '^') {
                    out.push('^');
                    chars.next();
                    class_start = true;
                }
            }
            ']' if in_class && !first_in_class => {
                in_class = false;
                out.push(']');
            }
            ']' if in_class => out.push_str("\\]"),
            // Rust's set operators (`&&`, `--`, `~~`) are plain characters to Python
            '&' | '-' | '~' if in_class && chars.peek().is_some_and(|&(_, n)| n == c) => {
                out.push(c);
                out.push('\\');
            }
            '{' if !in_class => match repetition(&pattern[i..]) {
                Some(len) => {
                    // Rust wants the lower bound: `{,n}` is `{0,n}`
                    let body = &pattern[i + 1..i + len - 1];
                    out.push('{');
                    if body.starts_with(',') {
                        out.push('0');
                    }
                    out.push_str(body);
                    out.push('}');
                    // the rest of `{m,n}` is ASCII: one char a byte
                    chars.nth(len - 2);
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The length of the repetition `rest` starts with (at its `{`), if it is one to Python:
/// `{m}`, `{m,}`, `{,n}`, `{m,n}` or `{,}`, closed by the `}` right there.
fn repetition(rest: &str) -> Option<usize> {
    let (body, _) = rest[1..].split_once('}')?;
    let valid = !body.is_empty()
        && body.bytes().all(|c| c.is_ascii_digit() || c == b',')
        && body.bytes().filter(|&c| c == b',').count() <= 1;
    valid.then_some(body.len() + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pattern: &str, text: &str) -> Vec<String> {
        let p = Pattern::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"));
        let mut out = Vec::new();
        p.each_captures(text, |c| {
            out.push(c.get(p.captures_len() - 1).unwrap_or("").to_string());
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn python_syntax_is_read_as_python_reads_it() {
        assert_eq!(all(r#"\{"foo":(.*)\}"#, r#"{"foo":1}"#), ["1"]);
        assert_eq!(all(r#"{"foo":(.*)}"#, r#"{"foo":1}"#), ["1"], "a {{ that repeats nothing is literal");
        assert_eq!(all(r"a{2}", "aaa"), ["aa"]);
        assert_eq!(all(r"a{,2}b", "aab"), ["aab"]);
        assert_eq!(all(r"a{,}b", "aab"), ["aab"]);
        assert_eq!(all(r"x{}", "x{}"), ["x{}"]);
        assert_eq!(all(r"x{a}", "x{a}"), ["x{a}"]);
        assert_eq!(all(r"a}", "a}"), ["a}"]);
        assert_eq!(all(r"[~~]+", "~~"), ["~~"]);
        assert_eq!(all(r"[[]", "a[b"), ["["], "[ in a class is literal");
        assert_eq!(all(r"[]a]+", "]a]"), ["]a]"], "] first in a class is literal");
        assert_eq!(all(r"[^]]+", "ab]"), ["ab"]);
        assert_eq!(all(r"[a&&b]+", "a&b"), ["a&b"], "&& is no intersection");
        assert_eq!(all(r"[%--]+", "%+-"), ["%+-"], "a range ending at -");
        assert_eq!(all(r"ab\Z", "ab\nab"), ["ab"]);
        assert_eq!(all(r"\\Z", r"\Z"), [r"\Z"], "an escaped backslash stays one");
    }

    #[test]
    fn look_around_and_back_references_backtrack() {
        assert!(!Pattern::new("a+").unwrap().backtracks());
        let p = Pattern::new(r"(?<=\$)\d+(?!\d*%)").unwrap();
        assert!(p.backtracks());
        assert_eq!(all(r"(?<=\$)\d+(?!\d*%)", "$10 $20% 30"), ["10"]);
        assert_eq!(all(r"(\w)\1", "abccd"), ["c"]);
        assert_eq!(all(r"(?P<q>['\x22])(.*?)(?P=q)", r#"x='a' "b""#), ["a", "b"]);
        assert_eq!(p.replace("$1 $2", "<${0}>", true).unwrap(), "$<1> $<2>");
        assert_eq!(p.replace("$1 $2", "n", false).unwrap(), "$n $2");
        assert_eq!(p.group_index("q"), None);
        assert_eq!(Pattern::new(r"(?P<q>a)(?=b)").unwrap().group_index("q"), Some(1));
    }

    #[test]
    fn errors_and_runaway_backtracking_are_reported() {
        let e = Pattern::new("a(b").unwrap_err();
        assert!(e.message.contains("unclosed group"), "{e:?}");
        assert!(Pattern::new(r"(?=a").is_err());
        // exponential on purpose: fancy-regex gives up after its step limit instead of hanging
        let p = Pattern::new(r"(x+x+)+\1y").unwrap();
        let text = "x".repeat(40);
        let e = p.is_match(&text).unwrap_err();
        assert!(e.message.contains("could not run"), "{e:?}");
    }
}
