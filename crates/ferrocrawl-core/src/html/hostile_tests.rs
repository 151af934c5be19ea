//! Hostile input: pathological HTML must parse in bounded time without overflowing the stack,
//! and no selector string, however malformed, may panic. (cargo-fuzz needs nightly; these
//! seeded random tests run on stable in `cargo test`.)

use std::time::{Duration, Instant};

use super::*;

fn assert_quick(what: &str, started: Instant) {
    // Generous for debug builds on a shared 2-core machine; release is ~0.1 s.
    assert!(started.elapsed() < Duration::from_secs(20), "{what} took {:?}", started.elapsed());
}

#[test]
fn deeply_nested_tags_are_bounded() {
    for html in [
        "<div>".repeat(100_000),
        "<b>".repeat(100_000),
        "<table><tr><td>".repeat(30_000),
        "<svg><g>".repeat(50_000),
    ] {
        let started = Instant::now();
        let doc = Document::parse(&html, None);
        assert_quick("parse", started);
        assert!(doc.len() < 2 * MAX_DEPTH, "nesting is capped: {} nodes", doc.len());
        let mut out = Vec::new();
        xpath("//*[last()]/ancestor::*").unwrap().select(&doc, &mut out).unwrap();
        assert!(out.len() <= MAX_DEPTH + 4);
        out.clear();
        css("div div div, g > g").unwrap().select(&doc, NodeId::DOCUMENT, &mut out);
        let _ = doc.get(&Item::Node(NodeId::DOCUMENT));
        let _ = doc.text(NodeId::DOCUMENT);
        assert_quick("queries", started);
    }
}

#[test]
fn nesting_below_the_cap_is_kept_and_text_beyond_it_survives() {
    let base = Some(url::Url::parse("http://e.example/").unwrap());
    let nested = |depth| {
        format!("{}<a href='/x'>deep</a>{}<p>next</p>", "<div>".repeat(depth), "</div>".repeat(depth))
    };
    let doc = Document::parse(&nested(MAX_DEPTH - 20), base.clone());
    assert_eq!(doc.links(None), ["http://e.example/x"]);
    let mut out = Vec::new();
    xpath("count(//a/ancestor::div)").unwrap().select(&doc, &mut out).unwrap();
    assert_eq!(out, [Item::Number((MAX_DEPTH - 20) as f64)]);
    // Past the cap the <a> start tag is dropped (its text stays) and the end tags of the
    // dropped <div>s are swallowed, so what follows is still in place.
    let doc = Document::parse(&nested(5_000), base);
    assert_eq!(doc.text(NodeId::DOCUMENT), "deep next");
    out.clear();
    xpath("/html/body/p/text()").unwrap().select(&doc, &mut out).unwrap();
    assert_eq!(out.len(), 1);
}

#[test]
fn huge_attribute() {
    let value = "x".repeat(10_000_000);
    let html = format!("<a id=big href=\"{value}\">t</a><p>after</p>");
    let started = Instant::now();
    let doc = Document::parse(&html, None);
    let mut out = Vec::new();
    xpath("string-length(//a/@href)").unwrap().select(&doc, &mut out).unwrap();
    assert_eq!(out, [Item::Number(1e7)]);
    out.clear();
    css("#big + p::text").unwrap().select(&doc, NodeId::DOCUMENT, &mut out);
    assert_eq!(doc.get(&out[0]), "after");
    assert_quick("10 MB attribute", started);
}

#[test]
fn nul_bytes() {
    let doc = Document::parse("<p a='\0'>x\0y</p><\0b>\0</\0b><!--\0-->", None);
    let mut out = Vec::new();
    xpath("//p/text()").unwrap().select(&doc, &mut out).unwrap();
    assert_eq!(doc.get(&out[0]), "xy", "NULs in text are dropped, as browsers do");
    out.clear();
    xpath("//p/@a").unwrap().select(&doc, &mut out).unwrap();
    assert_eq!(doc.get(&out[0]), "\u{fffd}");
    assert!(doc.outer_html(NodeId::DOCUMENT).contains("<p a=\"\u{fffd}\">xy</p>"));
}

/// xorshift64*: deterministic, dependency-free randomness for the no-panic tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const PAGE: &str =
    "<html><head><title>t</title></head><body><div id=a class='x y'><p>1</p><p lang=en>2<b>3</b></p>\
    <!--c--></div><ul><li>a</li><li>b</li></ul><a href='/l'>l</a><svg><rect/></svg></body></html>";

fn random_expr(rng: &mut Rng, atoms: &[&str]) -> String {
    let len = 1 + rng.next() % 12;
    (0..len).map(|_| rng.pick(atoms)).collect()
}

#[test]
fn random_xpath_never_panics() {
    let atoms = [
        "/",
        "//",
        ".",
        "..",
        "@",
        "*",
        "(",
        ")",
        "[",
        "]",
        ",",
        "|",
        "+",
        "-",
        "=",
        "!=",
        "<",
        ">=",
        " and ",
        " or ",
        " div ",
        " mod ",
        "'s'",
        "\"",
        "1",
        "0.5",
        "-1",
        "p",
        "div",
        "li",
        "text()",
        "node()",
        "comment()",
        "processing-instruction('x')",
        "child::",
        "ancestor::",
        "preceding::",
        "following-sibling::",
        "self::",
        "attribute::",
        "namespace::",
        "count(",
        "last()",
        "position()",
        "substring(",
        "translate(",
        "id(",
        "sum(",
        "round(",
        "string(",
        "concat(",
        "lang(",
        "name(",
        "$v",
        "::",
        ":",
        "x:y",
        "\u{e9}",
        "\0",
        " ",
    ];
    let doc = Document::parse(PAGE, None);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for _ in 0..20_000 {
        let expr = random_expr(&mut rng, &atoms);
        if let Ok(compiled) = XPath::parse(&expr) {
            out.clear();
            let _ = compiled.select(&doc, &mut out);
            for item in &out {
                let _ = doc.get(item);
            }
        } else if let Err(e) = XPath::parse(&expr) {
            assert!(e.position <= expr.len(), "{expr:?}: {e}");
        }
    }
}

#[test]
fn random_css_never_panics() {
    let atoms = [
        "a",
        "p",
        "div",
        "*",
        ".x",
        "#a",
        " ",
        ">",
        "+",
        "~",
        ",",
        "[",
        "]",
        "=",
        "^=",
        "\"",
        "'",
        "(",
        ")",
        ":nth-child(",
        "2n+1",
        ":not(",
        ":has(",
        ":is(",
        ":scope",
        ":first-child",
        "::text",
        "::attr(",
        "href",
        "::",
        ":",
        "\\",
        "\0",
        "\u{e9}",
        "li",
        "-",
        "n",
    ];
    let doc = Document::parse(PAGE, None);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut out = Vec::new();
    for _ in 0..20_000 {
        let expr = random_expr(&mut rng, &atoms);
        match CssQuery::parse(&expr) {
            Ok(q) => {
                out.clear();
                q.select(&doc, NodeId::DOCUMENT, &mut out);
            }
            Err(e) => assert!(e.position <= expr.len(), "{expr:?}: {e}"),
        }
    }
}
