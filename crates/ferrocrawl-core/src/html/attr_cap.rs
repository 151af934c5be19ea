//! A cap on the attributes of one tag, applied before html5ever sees the text.
//!
//! html5ever's tokenizer checks each new attribute name against every earlier one of the
//! same tag (a linear scan, `finish_attribute`), so a hostile `<div a0 a1 … a199999>` takes
//! ~14 s to parse. No option turns that off, so a linear pre-pass finds the tags with more
//! than [`MAX_ATTRIBUTES`] and drops the rest of their attribute lists, the way the tree
//! builder flattens nesting past 512 levels. Pages that real sites serve never come near it,
//! and then the text is passed through as it is, not copied.
//!
//! The scan follows the tokenizer's states closely enough to find tags: comments, doctypes
//! and the text of raw-text elements (`<script>`, `<style>`, `<textarea>`…) are skipped, so
//! a `<` in a script never starts a "tag" whose words would be counted.

use std::borrow::Cow;

/// Attributes kept on one tag (25 000 already take ~0.2 s in html5ever's check).
pub const MAX_ATTRIBUTES: usize = 2048;

/// Elements whose content is text up to their end tag (RAWTEXT, RCDATA and script data).
const RAW_TEXT: [&[u8]; 9] =
    [b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript"];

/// `html` with every attribute past the [`MAX_ATTRIBUTES`]th of a tag removed.
pub fn cap_attributes(html: &str) -> Cow<'_, str> {
    // A tag over the cap needs at least two bytes per attribute.
    if html.len() < 2 * MAX_ATTRIBUTES {
        return Cow::Borrowed(html);
    }
    let cuts = over_the_cap(html.as_bytes());
    if cuts.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for (start, end) in cuts {
        out.push_str(&html[from..start]);
        from = end;
    }
    out.push_str(&html[from..]);
    Cow::Owned(out)
}

/// The byte ranges to drop: from the first attribute past the cap to the end of its tag's
/// attribute list. Both ends are ASCII positions, so they are char boundaries.
fn over_the_cap(b: &[u8]) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let mut i = 0;
    while let Some(lt) = find(b, i, b"<") {
        i = lt + 1;
        match b.get(i) {
            Some(b'!') if b[i..].starts_with(b"!--") => {
                i = find(b, i + 3, b"-->").map_or(b.len(), |end| end + 3);
            }
            Some(b'!' | b'?') => i = find(b, i, b">").map_or(b.len(), |end| end + 1),
            Some(c)
                if c.is_ascii_alphabetic()
                    || (*c == b'/' && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)) =>
            {
                let end_tag = *c == b'/';
                let name_start = if end_tag { i + 1 } else { i };
                let name_end = name_start
                    + b[name_start..].iter().position(|&c| ends_name(c)).unwrap_or(b.len() - name_start);
                let (end, cut) = attributes(b, name_end);
                cuts.extend(cut.map(|start| (start, end)));
                i = end;
                let name = &b[name_start..name_end];
                if !end_tag {
                    if name.eq_ignore_ascii_case(b"plaintext") {
                        break; // everything after it is text
                    }
                    if RAW_TEXT.iter().any(|raw| name.eq_ignore_ascii_case(raw)) {
                        i = end_of_raw_text(b, i, name);
                    }
                }
            }
            _ => {}
        }
    }
    cuts
}

fn ends_name(c: u8) -> bool {
    c.is_ascii_whitespace() || c == b'/' || c == b'>'
}

/// Scans the attribute list starting at `i`; returns where it ends (at its `>`, or the end
/// of input) and, past the cap, where the dropped part starts.
fn attributes(b: &[u8], mut i: usize) -> (usize, Option<usize>) {
    let mut count = 0;
    let mut cut = None;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            return (i, cut);
        }
        count += 1;
        if count > MAX_ATTRIBUTES && cut.is_none() {
            cut = Some(i);
        }
        // the name (a leading `=` belongs to it), then an optional `= value`
        i += 1;
        while i < b.len() && !(ends_name(b[i]) || b[i] == b'=') {
            i += 1;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= b.len() || b[j] != b'=' {
            continue;
        }
        j += 1;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        i = match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => find(b, j + 1, &[q]).map_or(b.len(), |end| end + 1),
            _ => j + b[j..].iter().position(|&c| c.is_ascii_whitespace() || c == b'>').unwrap_or(b.len() - j),
        };
    }
}

/// Just past the `</name` that ends a raw-text element opened before `i` (any case).
fn end_of_raw_text(b: &[u8], mut i: usize, name: &[u8]) -> usize {
    while let Some(lt) = find(b, i, b"</") {
        let after = lt + 2 + name.len();
        if b.get(lt + 2..after).is_some_and(|n| n.eq_ignore_ascii_case(name))
            && b.get(after).is_none_or(|&c| ends_name(c))
        {
            return lt;
        }
        i = lt + 2;
    }
    b.len()
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = b.get(from..)?;
    match needle {
        [one] => memchr::memchr(*one, rest),
        _ => memchr::memmem::find(rest, needle),
    }
    .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(n: usize) -> String {
        let attrs: Vec<String> = (0..n).map(|i| format!("a{i}=\"{i}\"")).collect();
        format!("<div {}>x</div>", attrs.join(" "))
    }

    #[test]
    fn ordinary_pages_are_passed_through_uncopied() {
        let page = format!("<p class=a id=b>{}</p>{}", "text ".repeat(5000), tag(MAX_ATTRIBUTES));
        assert!(matches!(cap_attributes(&page), Cow::Borrowed(_)));
    }

    #[test]
    fn attributes_past_the_cap_are_dropped_and_the_rest_kept() {
        let html = format!("<b>{}</b><i x>", tag(MAX_ATTRIBUTES + 500));
        let capped = cap_attributes(&html);
        assert!(capped.contains(&format!("a{}=\"{}\"", MAX_ATTRIBUTES - 1, MAX_ATTRIBUTES - 1)));
        assert!(!capped.contains(&format!("a{MAX_ATTRIBUTES}=")));
        assert!(capped.ends_with(">x</div></b><i x>"), "{}", &capped[capped.len() - 30..]);
    }

    #[test]
    fn quoted_values_with_brackets_and_valueless_attributes_are_counted_right() {
        let words = (0..MAX_ATTRIBUTES + 10).map(|i| format!("b{i}")).collect::<Vec<_>>().join(" ");
        let html = format!("<a title='x > y' {words} href=\"/u\">link</a><p>after</p>");
        let capped = cap_attributes(&html);
        assert!(capped.starts_with("<a title='x > y' b0 "));
        assert!(!capped.contains("href"), "past the cap");
        assert!(capped.ends_with(">link</a><p>after</p>"));
    }

    #[test]
    fn script_comments_and_raw_text_are_not_tags() {
        let words = "w ".repeat(MAX_ATTRIBUTES + 10);
        for html in [
            format!("<script>if (a <b {words}) {{}}</script>"),
            format!("<!-- <b {words} -->"),
            format!("<textarea><b {words}</textarea>"),
            format!("<plaintext><b {words}>"),
        ] {
            assert!(matches!(cap_attributes(&html), Cow::Borrowed(_)), "{}", &html[..30]);
        }
        // after the raw text ends, tags count again
        let html = format!("<script>x</SCRIPT >{}", tag(MAX_ATTRIBUTES + 1));
        assert!(matches!(cap_attributes(&html), Cow::Owned(_)));
    }
}
