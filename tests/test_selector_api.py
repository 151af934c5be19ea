"""``ferrocrawl.Selector`` API on small handwritten pages: parsel's behaviour, checked against
parsel itself where parsel has the method (get/getall/default, attrib, chaining, re/re_first),
and ferrocrawl's own additions (links, urljoin, text, parse_many, SelectorError positions).

Expected values that parsel also produces were taken from parsel 1.12 (lxml 6); the table in
PARSEL_CASES is checked against parsel at test time, so a parsel change shows up here too.
Tree differences from lxml (tbody, NUL bytes, ...) are in test_selector_differential.py and at
the end of this file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ferrocrawl
import parsel
import pytest

from tests.servers.routes_content import GBK_TEXT

PAGE = """<html><head><title> Hi &amp; bye </title></head><body>
<h1 class="t x">Title <b>bold</b></h1>
<div class="price">Price: 12.50 EUR, was 13.99 EUR</div>
<a href="/a?x=1&amp;y=2" id="l1" class="c">A &lt;1&gt;</a><a href="b.html">B</a>
<img src="i.png"><p>para &amp; more&nbsp;x</p>
<ul id="listvideoListUl"><li><div><a href="video_1"><div>c</div><div>First</div></a></div></li>
<li><div><a href="video_2"><div>c</div><div>Second</div></a></div></li></ul>
</body></html>"""


def fc(html: str = PAGE, **kw: Any) -> ferrocrawl.Selector:
    return ferrocrawl.Selector(text=html, **kw)


def ps(html: str = PAGE) -> parsel.Selector:
    return parsel.Selector(text=html, type="html")


# --- get / getall / default ---------------------------------------------------------------


def test_get_getall_and_default():
    sel = fc()
    assert sel.css("h1::text").get() == "Title "
    assert sel.xpath("//title/text()").get() == " Hi & bye "
    assert sel.css("h2::text").get() is None
    assert sel.css("h2::text").get(default="") == ""
    assert sel.css("h2::text").get("d") == "d"
    assert sel.css("h2::text").getall() == []
    assert sel.css("a").get() == '<a href="/a?x=1&amp;y=2" id="l1" class="c">A &lt;1&gt;</a>'
    assert sel.css("img").get() == '<img src="i.png">'
    # parsel's old names
    assert sel.css("a::attr(href)").extract() == sel.css("a::attr(href)").getall()
    assert sel.css("a::attr(href)").extract_first() == "/a?x=1&y=2"


def test_notes_queries():
    """The shapes the notes use, on a page shaped like theirs."""
    sel = fc()
    hrefs = sel.xpath('//*[@id="listvideoListUl"]/li/div/a/@href').getall()
    assert hrefs == ["video_1", "video_2"]
    assert sel.xpath('//*[@id="listvideoListUl"]/li/div/a/div[2]/text()').get() == "First"
    assert sel.css("ul#listvideoListUl > li a::attr(href)").getall() == hrefs


def test_selector_get_on_one_selector():
    a = fc().css("a")[0]
    assert isinstance(a, ferrocrawl.Selector)
    assert a.get() == a.getall()[0]
    assert a.xpath("./text()").get() == "A <1>"
    assert a.xpath("@href").get() == "/a?x=1&y=2"


def test_xpath_scalars_as_parsel_prints_them():
    sel = fc()
    assert sel.xpath("count(//a)").get() == "4.0"
    assert sel.xpath("count(//a) div 8").get() == "0.5"
    assert sel.xpath("boolean(//h1)").get() == "1"
    assert sel.xpath("boolean(//h2)").get() == "0"
    assert sel.xpath("string(//h1)").get() == "Title bold"
    assert sel.xpath("normalize-space(//title)").getall() == ["Hi & bye"]
    assert sel.xpath("//a/@href = '/a?x=1&y=2'").get() == "1"


def test_selectorlist_is_a_list_of_selectors():
    links = fc().css("a")
    assert isinstance(links, list)
    assert isinstance(links, ferrocrawl.SelectorList)
    assert len(links) == 4
    assert all(isinstance(s, ferrocrawl.Selector) for s in links)
    assert isinstance(links[1:], ferrocrawl.SelectorList)
    assert links[1:].getall() == links.getall()[1:]
    assert [s.get() for s in links] == links.getall()


# --- attrib -------------------------------------------------------------------------------


def test_attrib():
    sel = fc()
    assert sel.css("a").attrib == {"href": "/a?x=1&y=2", "id": "l1", "class": "c"}
    assert list(sel.css("a")[0].attrib) == ["href", "id", "class"]  # source order
    assert sel.css("a").attrib["href"] == "/a?x=1&y=2"  # first element's, as in parsel
    assert sel.css("a")[1].attrib == {"href": "b.html"}
    assert sel.css("h2").attrib == {}
    assert sel.css("a::attr(href)")[0].attrib == {}  # not an element
    assert sel.css("h1::text")[0].attrib == {}
    assert isinstance(sel.css("h1").attrib, dict)


# --- chaining -----------------------------------------------------------------------------


def test_chaining():
    sel = fc()
    assert sel.xpath("//body").css("a").xpath("@href").getall() == [
        "/a?x=1&y=2",
        "b.html",
        "video_1",
        "video_2",
    ]
    assert sel.xpath("//a").css("::attr(href)").getall()[:2] == ["/a?x=1&y=2", "b.html"]
    assert sel.css("li").xpath("./div/a/div[2]/text()").getall() == ["First", "Second"]
    # each selector contributes its results: two <a> parents -> the <img> found twice
    assert sel.css("a").xpath("..").css("img::attr(src)").getall() == ["i.png", "i.png"]
    # an absolute path from a context still starts at the document
    assert sel.css("li").xpath("//title/text()").getall() == [" Hi & bye "] * 2
    assert sel.css("h2").css("a").getall() == []


# --- re / re_first ------------------------------------------------------------------------


def test_re_and_re_first():
    price = fc().css("div.price::text")
    assert price.re(r"\d+\.\d+") == ["12.50", "13.99"]
    assert price.re(r"(\d+)\.(\d+)") == ["12", "50", "13", "99"]  # every group
    assert price.re(r"Price: (?P<extract>\d+\.\d+)") == ["12.50"]  # only `extract`
    assert price.re(re.compile(r"was (\d+\.\d+)")) == ["13.99"]
    assert price.re_first(r"was (?P<extract>[\d.]+)") == "13.99"
    assert price.re_first(r"\d+") == "12"
    assert price.re_first(r"nope") is None
    assert price.re_first(r"nope", default="d") == "d"
    assert price[0].re(r"\d+") == ["12", "50", "13", "99"]
    assert price[0].re_first(r"EUR") == "EUR"


def test_re_on_elements_replaces_entities_like_parsel():
    sel = fc()
    # on an element's HTML: entities replaced except &lt; and &amp;, as in parsel
    assert sel.css("a").re(r'href="([^"]+)"') == ["/a?x=1&amp;y=2", "b.html", "video_1", "video_2"]
    assert sel.css("a").re(r">([^<]*)<")[0] == "A &lt;1>"
    assert sel.css("p").re(r"<p>(.*)</p>") == ["para &amp; more\xa0x"]
    assert sel.css("p").re(r"<p>(.*)</p>", replace_entities=False)[0].startswith("para &amp;")


def test_re_python_syntax_falls_back_to_python_re():
    sel = fc('<script>{"foo":"bar &amp; &quot;baz&quot;"}</script><p>ab abab 10px 20em</p>')
    assert sel.css("script::text").re(r'{"foo":(.*)}') == ['"bar &amp; "baz""']  # a literal {
    assert sel.css("script").re_first(r'{"foo":(.*)}', replace_entities=False) == (
        '"bar &amp; &quot;baz&quot;"'
    )
    assert sel.css("p::text").re(r"\d+(?=px)") == ["10"]  # look-ahead
    assert sel.css("p::text").re(r"(?<!\d)(ab)\1") == ["ab"]  # look-behind, back-reference
    assert sel.css("p::text").re(re.compile(r"(?P<extract>\d+)EM", re.I)) == ["20"]  # flags
    assert sel.css("p::text").re_first(r"(ab)\1x", default="none") == "none"


def test_re_replaces_entities_as_w3lib():
    sel = fc("<p>&amp;eacute; &amp;EACUTE; &amp;apos; &amp;#133; &amp;copy 2020 &amp;lt;</p>")
    assert sel.css("p::text").re(".+") == ["é é  … © 2020 &lt;"]
    assert sel.css("p::text").re(".+", replace_entities=False) == [
        "&eacute; &EACUTE; &apos; &#133; &copy 2020 &lt;"
    ]


def test_invalid_regex_is_an_error():
    with pytest.raises((re.error, ValueError)):
        fc().css("h1::text").re(r"(unclosed")


# Each case runs on ferrocrawl and on parsel; the results must be equal.
PARSEL_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("css get", lambda s: s.css("h1::text").get()),
    ("css get none", lambda s: s.css("h2::text").get()),
    ("css get default", lambda s: s.css("h2::text").get(default="")),
    ("attrib", lambda s: s.css("h1").attrib),
    ("attrib empty", lambda s: s.css("h2").attrib),
    ("attrib of [0]", lambda s: s.css("a")[0].attrib),
    ("attr values", lambda s: s.css("a::attr(href)").getall()),
    ("re", lambda s: s.css("div.price::text").re(r"\d+\.\d+")),
    ("re groups", lambda s: s.css("div.price::text").re(r"(\d+)\.(\d+)")),
    ("re extract", lambda s: s.css("div.price::text").re(r"Price: (?P<extract>\d+\.\d+)")),
    ("re_first extract", lambda s: s.css("div.price::text").re_first(r"was (?P<extract>[\d.]+)")),
    ("re_first default", lambda s: s.css("div.price::text").re_first(r"nope", default="d")),
    ("re on html", lambda s: s.css("a").re(r'href="([^"]+)"')),
    ("re on html, raw", lambda s: s.css("a").re(r'href="([^"]+)"', replace_entities=False)),
    ("re text with entity", lambda s: s.css("a").re(r">(.*?)<")),
    ("re nbsp", lambda s: s.css("p").re(r"<p>(.*)</p>")),
    ("chain css on xpath", lambda s: s.xpath("//a").css("::attr(href)").getall()),
    ("chain three", lambda s: s.xpath("//body").css("a").xpath("@href").getall()),
    ("chain parent", lambda s: s.css("a").xpath("..").css("img::attr(src)").getall()),
    ("chain absolute", lambda s: s.xpath("//h1").xpath("//title/text()").getall()),
    ("text of [0]", lambda s: s.xpath("//a")[0].xpath("./text()").get()),
    ("slice type", lambda s: type(s.css("a")[0:1]).__name__),
    ("element html", lambda s: s.css("a").get()),
    ("void element", lambda s: s.css("img").get()),
    ("count", lambda s: s.xpath("count(//a)").get()),
    ("boolean", lambda s: s.xpath("//a/@href = '/a?x=1&y=2'").get()),
    ("string", lambda s: s.xpath("string(//h1)").get()),
    ("entity text", lambda s: s.css("p::text").get()),
    ("title re", lambda s: s.css("title::text").re(r"\w+")),
    ("descendant text", lambda s: s.css("h1 *::text").getall()),
    ("descendant attr", lambda s: s.css("ul *::attr(id)").getall()),
    ("grouped css", lambda s: s.css("h1::text, img::attr(src)").getall()),
    ("xpath union", lambda s: s.xpath("//h1/@class | //img/@src").getall()),
]


@pytest.mark.parametrize("case", PARSEL_CASES, ids=[name for name, _ in PARSEL_CASES])
def test_same_as_parsel(case):
    _, fn = case
    assert fn(fc()) == fn(ps())


# --- links / urljoin ----------------------------------------------------------------------

LINKS_PAGE = """<html><head><title>T</title><link rel="stylesheet" href="/css.css"></head><body>
<a href="/b#x">1</a> <a href="c">2</a> <a href="/b#y">3</a> <a href="mailto:x@y">m</a>
<a href="javascript:void(0)">j</a> <a>none</a> <map><area href="https://other.example/z"></map>
<a href=" //cdn.example/q ">p</a> <a href="c?q=1#f">q</a> <a href="HTTPS://Site.Example/b">b</a>
</body></html>"""


def test_links_absolute_fragment_free_deduplicated_in_order():
    sel = fc(LINKS_PAGE, base_url="https://site.example/dir/page")
    assert sel.links() == [
        "https://site.example/b",
        "https://site.example/dir/c",
        "https://other.example/z",
        "https://cdn.example/q",
        "https://site.example/dir/c?q=1",
    ]


def test_links_base_tag():
    html = '<head><base href="/root/"></head><a href="x">x</a><a href="https://a.example/y#z">y</a>'
    sel = fc(html, base_url="http://h.example/a/b")
    assert sel.links() == ["http://h.example/root/x", "https://a.example/y"]
    assert sel.urljoin("q?1") == "http://h.example/root/q?1"
    absolute = '<base href="http://b.example/d/"><a href="x">x</a>'
    assert fc(absolute).links() == ["http://b.example/d/x"]
    # the first <base href> counts
    two = '<base href="http://one.example/"><base href="http://two.example/"><a href="x">x</a>'
    assert fc(two).links() == ["http://one.example/x"]


def test_links_without_a_base_keep_only_absolute():
    sel = fc('<a href="rel">r</a><a href="http://abs.example/p">a</a>')
    assert sel.base_url is None
    assert sel.links() == ["http://abs.example/p"]


def test_urljoin_against_base_url():
    sel = fc("<p>x</p>", base_url="https://site.example/dir/page?x=1")
    assert sel.base_url == "https://site.example/dir/page?x=1"
    assert sel.urljoin("other") == "https://site.example/dir/other"
    assert sel.urljoin("/root") == "https://site.example/root"
    assert sel.urljoin("?y=2") == "https://site.example/dir/page?y=2"
    assert sel.urljoin("https://else.example/") == "https://else.example/"


# --- text ---------------------------------------------------------------------------------

TEXT_PAGE = """<html><head><title>T</title><style>p { color: red }</style>
<script>var s = "<p>not text</p>";</script></head><body>
<p>Hello <b>wo</b>rld</p><p>two
   lines<br>br</p><noscript>enable js</noscript><template><p>tpl</p></template>
<ul><li>a</li><li>b</li></ul><script type="application/ld+json">{"a": 1}</script>
<div>x&nbsp;y &amp; z</div></body></html>"""


def test_text_visible_whitespace_normalised():
    sel = fc(TEXT_PAGE)
    body = sel.css("body")[0].text()
    # U+00A0 may stay or become a space; both read the same
    assert body.replace("\xa0", " ") == "Hello world two lines br a b x y & z"
    assert "color" not in sel.text()
    assert "not text" not in sel.text()
    assert '"a"' not in sel.text()
    assert sel.text().endswith(body)
    assert sel.css("ul")[0].text() == "a b"
    assert sel.css("p")[0].text() == "Hello world"  # inline elements do not split words
    assert fc("<p>   </p>").text() == ""


# --- SelectorError ------------------------------------------------------------------------

# (query, character position of the problem). XPath positions are ferrocrawl's own; CSS
# positions are where cssselect (parsel) reports the offending token.
BAD_XPATH = [
    ("//a[", 4),
    ("//a[@x=]", 7),
    ("//a)", 3),
    ("count(", 6),
    ("a >> b", 3),
    ('//a[@title="中文"]]', 16),  # a character index, not a UTF-8 byte offset
]
BAD_CSS = [
    ("p, //a", 3),
    ("a >> b", 3),
    ("div ! p", 4),
    ("a[href=]", 7),
    ("[1]", 2),  # inside [...] the position is the closing bracket (cssparser reports no more)
    ('a[title="中文"] >> b', 15),
]


def _names_query(e: BaseException, query: str) -> bool:
    return query in str(e) or query.replace('"', '\\"') in str(e)  # may be quoted with escapes


def _position(e: BaseException) -> int:
    m = re.search(r"position (\d+)", str(e))
    assert m, f"no position in {e}"
    return int(m.group(1))


@pytest.mark.parametrize(("query", "pos"), BAD_XPATH, ids=[q for q, _ in BAD_XPATH])
def test_bad_xpath_raises_selector_error_with_position(query, pos):
    with pytest.raises(ferrocrawl.SelectorError) as info:
        fc("<a>x</a>").xpath(query)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ferrocrawl.FerrocrawlError)
    assert _names_query(info.value, query)
    assert _position(info.value) == pos


@pytest.mark.parametrize(("query", "pos"), BAD_CSS, ids=[q for q, _ in BAD_CSS])
def test_bad_css_raises_selector_error_with_position(query, pos):
    with pytest.raises(ferrocrawl.SelectorError) as info:
        fc("<a>x</a>").css(query)
    assert isinstance(info.value, ValueError)
    assert _names_query(info.value, query)
    # cssparser stops on the offending token or the one after it (it reads one more to know
    # that a combinator dangles): the position is at the culprit or at most 3 characters on.
    assert pos <= _position(info.value) <= pos + 3


@pytest.mark.parametrize("query", ["a:nope", "a::foo", "p::text span", "a,", "#", "a:not("])
def test_bad_css_raises_selector_error(query):
    with pytest.raises(ValueError) as info:
        fc("<a>x</a>").css(query)
    assert isinstance(info.value, ferrocrawl.SelectorError)
    assert 0 <= _position(info.value) <= len(query)


def test_xpath_variables_from_keyword_arguments():
    sel = fc("<p><a id='x' title='say \"hi\"'>1</a><a id='y'>2</a></p>")
    assert sel.xpath("//a[@id=$aid]/text()", aid="y").getall() == ["2"]
    assert sel.xpath("//a[@title=$t]/@id", t='say "hi"').getall() == ["x"]
    assert sel.xpath("//a[$n]/@id", n=2).getall() == ["y"]  # a number is a position
    assert sel.xpath("count(//a) = $c", c=2.0).get() == "1"
    assert sel.css("p").xpath("a[@id=$aid]/text()", aid="x").getall() == ["1"]
    with pytest.raises(ferrocrawl.SelectorError, match=r"Undefined variable in //a\[@id=\$aid\]"):
        sel.xpath("//a[@id=$aid]")
    with pytest.raises(TypeError, match=r"\$aid must be a str, int, float or bool, not list"):
        sel.xpath("//a[@id=$aid]", aid=["x"])


def test_parsels_xpath_extensions():
    sel = fc('<p class="big  red">1</p><p class="big">2</p><a href="/x.pdf">3</a>')
    assert sel.xpath("//p[has-class('red', 'big')]/text()").getall() == ["1"]
    assert sel.xpath(r'//a[re:test(@href, "\.PDF$", "i")]/text()').getall() == ["3"]
    assert sel.xpath(r're:replace(//a/@href, "(\w+)\.pdf", "", "\1.html")').get() == "/x.html"
    assert sel.xpath("set:difference(//p, //p[has-class('red')])/text()").getall() == ["2"]


def test_re_match_results_are_selectors_of_their_own_document():
    sel = fc('<a href="https://example.org/x?q=1">t</a><a href="/y">u</a>')
    matches = sel.xpath(r're:match(//a/@href, "(\w+)://([^/]+)(/[^?]*)")')
    assert matches.getall() == [
        "<match>https://example.org/x</match>",
        "<match>https</match>",
        "<match>example.org</match>",
        "<match>/x</match>",
    ]
    # each is a selector over the fragment: further queries stay inside it
    assert matches[2].xpath("text()").get() == "example.org"
    assert matches[2].xpath("following-sibling::match/text()").getall() == ["/x"]
    assert matches[0].xpath("name(..)").get() == "matches"
    assert matches[0].xpath("count(//a)").get() == "0.0"
    assert sel.xpath(r'count(re:match(//a[2]/@href, "\w", "g"))').get() == "1.0"
    assert sel.xpath('re:match("none", "x")').getall() == []
    # the page's nodes and the new ones cannot share one result list
    with pytest.raises(ferrocrawl.SelectorError, match=r"re:match\(\) results"):
        sel.xpath('//a | re:match("ab", "a")')


async def test_parse_many_reads_re_match_as_the_strings_get_gives():
    rules = {"m": r're:match(//p, "(\w)=(\w)")', "t": r'xpath:re:match(//p, "(\w)=(\w)")[3]/text()'}
    [row] = await ferrocrawl.parse_many(["<p>k=v</p>"], rules)
    assert row == {"m": ["<match>k=v</match>", "<match>k</match>", "<match>v</match>"], "t": ["v"]}


def test_xpath_errors_read_as_parsels():
    sel = fc("<a>x</a>")
    for query, kind in [
        ("//a[1", "Invalid predicate"),
        ("//a[@x='y", "Unfinished literal"),
        ("foo(1)", "Unregistered function"),
        ("count()", "Invalid number of arguments"),
        ("//a)", "Invalid expression"),
        ("1 | 2", "Invalid type"),
    ]:
        with pytest.raises(ValueError, match=re.escape(f"XPath error: {kind} in {query}")):
            sel.xpath(query)


def test_types_json_text_and_html():
    assert fc("<p>x</p>").type == "html"
    assert fc('  {"a": [1, 2]}').type == "json"  # an object or array is JSON
    assert fc("1").type == "html"  # a scalar is not (parsel: it is more often HTML or text)
    sel = fc('{"a": {"b": ["x", "y"]}, "n": 3}')
    assert sel.root == {"a": {"b": ["x", "y"]}, "n": 3}
    assert sel.jmespath("a.b").getall() == ["x", "y"]
    assert [s.type for s in sel.jmespath("a.b[*]")] == ["text", "text"]
    assert sel.jmespath("n").get() == 3
    assert sel.jmespath("missing").getall() == []
    assert repr(sel.jmespath("n")[0]) == "<Selector query='n' data='3'>"
    with pytest.raises(ValueError, match="Cannot use css on a Selector of type 'json'"):
        sel.css("a")
    # JSON inside HTML, as parsel reads it
    page = fc('<script>{"id": 7}</script>')
    assert page.css("script::text").jmespath("id").get() == 7
    assert page.css("script").jmespath("id").get() == 7
    # type="text": a string, queried as HTML when asked
    text = fc("<b>bold</b>", type="text")
    assert text.get() == "<b>bold</b>"
    assert text.xpath("//b/text()").get() == "bold"
    assert ferrocrawl.Selector(root=[1], type="json").get() == [1]
    assert ferrocrawl.Selector(body=bytearray(b"<p>ok</p>")).css("p::text").get() == "ok"
    with pytest.raises(ValueError, match="Invalid type: xhtml"):
        fc("", type="xhtml")
    with pytest.raises(TypeError, match="text argument should be of type str"):
        ferrocrawl.Selector(b"<p/>")  # type: ignore[arg-type]


def test_xml_documents_and_namespaces():
    feed = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="http://search.yahoo.com/mrss/">
  <Entry m:id="1"><Title>One &amp; two</Title><m:thumb url="a.png"/></Entry>
</feed>"""
    sel = fc(feed)  # the declaration makes it XML, as in parsel
    assert sel.type == "xml"
    assert sel.xpath("//Title").getall() == []  # no prefix: no namespace
    atom = {"a": "http://www.w3.org/2005/Atom"}
    assert sel.xpath("//a:Title/text()", namespaces=atom).get() == "One & two"
    assert sel.xpath("//a:title", namespaces=atom).get() is None  # names keep their case
    with pytest.raises(ValueError, match="Undefined namespace prefix in //m:thumb"):
        sel.xpath("//m:thumb")
    sel.register_namespace("a", atom["a"])
    sel.register_namespace("m", "http://search.yahoo.com/mrss/")
    entry = sel.xpath("//a:Entry")[0]  # results know the registered prefixes
    assert entry.xpath("m:thumb/@url").get() == "a.png"
    assert entry.xpath("@m:id").get() == "1"
    assert entry.xpath("a:Title").get() == "<Title>One &amp; two</Title>"
    assert sel.namespaces == {"a": atom["a"], "m": "http://search.yahoo.com/mrss/"}
    # libxml2's recovery: an end tag closes the innermost open element
    broken = fc('<div><img src="a.jpg"><p>Hello</div>', type="xml")
    assert broken.get() == '<div><img src="a.jpg"><p>Hello</p></img></div>'
    assert fc("<a><b/></a>", type="xml").css("b").get() == "<b/>"


def test_drop_and_remove_namespaces_change_the_document_for_every_selector():
    sel = fc("<body><ul><li>1</li><li>2</li><li>3</li></ul><p>a<b>x</b> c</p></body>")
    items = sel.css("li")
    items[0].drop()
    assert sel.css("li::text").getall() == ["2", "3"]
    assert items[1].get() == "<li>2</li>"  # the other selectors stay valid
    sel.css("b").drop()  # the text after joins the text before, as lxml's drop_tree
    assert sel.xpath("//p/text()").getall() == ["a c"]
    sel.css("li").drop()
    assert sel.css("ul").get() == "<ul></ul>"
    with pytest.raises(ferrocrawl.CannotRemoveElementWithoutRoot):
        sel.css("p::text")[0].drop()
    with pytest.raises(ferrocrawl.CannotRemoveElementWithoutParent):
        sel.css("html").drop()
    with pytest.raises(ferrocrawl.CannotDropElementWithoutParent):
        sel.drop()
    feed = fc(
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="urn:a"><link a:t="x"/></feed>',
        type="xml",
    )
    link = feed.xpath("/*")[0]
    assert feed.xpath("//link").getall() == []
    link.remove_namespaces()  # any selector of the document will do
    assert feed.xpath("//link/@t").getall() == ["x"]


def test_root_attrib_bool_and_dot_on_strings():
    sel = fc('<html lang="en"><a href="">e</a><a href="x">f</a></html>')
    assert sel.attrib == {"lang": "en"}  # parsel's root is the root element
    empty, full = sel.xpath("//a/@href")
    assert (bool(empty), bool(full)) == (False, True)
    assert empty.root == ""
    assert (sel.xpath("count(//a)")[0].root, sel.xpath("1=1")[0].root) == (2.0, True)
    assert sel.root is sel
    assert full.xpath(".").get() == "x"  # "." on a string gives it back
    assert full.xpath("./text()").get() is None
    assert isinstance(ferrocrawl.Selector.selectorlist_cls(), ferrocrawl.SelectorList)


def test_selector_error_from_chained_query_and_list():
    links = fc().css("a")
    with pytest.raises(ferrocrawl.SelectorError):
        links.xpath("//a[")
    with pytest.raises(ferrocrawl.SelectorError):
        links[0].css("a >> b")


# --- hostile HTML -------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_hostile_100k_nested_divs():
    depth = 100_000
    t0 = time.perf_counter()
    sel = fc("<div>" * depth + "deep" + "</div>" * depth)
    assert sel.xpath("//text()").getall() == ["deep"]
    assert sel.text() == "deep"
    n = float(sel.xpath("count(//div)").get())
    assert 1 <= n <= depth  # nesting is capped (parsel/lxml: 2046), never a crash
    assert sel.css("div div div::text").getall() == ["deep"]
    assert len(sel.get()) < 100 * depth
    assert time.perf_counter() - t0 < 20


@pytest.mark.timeout(30)
def test_hostile_10mb_attribute():
    big = "x" * (10 * 1024 * 1024)
    t0 = time.perf_counter()
    sel = fc(f'<a href="{big}">link</a><p title="{big}y">p</p>')
    assert sel.css("a::attr(href)").get() == big
    assert sel.css("a").attrib["href"] == big
    assert sel.xpath("string-length(//p/@title)").get() == f"{len(big) + 1}.0"
    assert sel.xpath("contains(//p/@title, 'y')").get() == "1"
    assert sel.css("p::text").get() == "p"
    assert time.perf_counter() - t0 < 20


@pytest.mark.timeout(60)
def test_hostile_200k_attributes_on_one_element():
    # html5ever checks each attribute name against the earlier ones (quadratic: 14 s here);
    # past 2048 (html/attr_cap.rs) an element's attributes are dropped before parsing
    n = 200_000
    t0 = time.perf_counter()
    sel = fc("<div " + " ".join(f'a{i}="{i}"' for i in range(n)) + ">x</div><p>after</p>")
    assert sel.css("div::text").get() == "x"
    assert sel.xpath("//div/@a2047").get() == "2047"
    assert sel.xpath("//div/@a2048").get() is None
    assert sel.css("p::text").get() == "after"
    assert time.perf_counter() - t0 < 20


@pytest.mark.timeout(30)
def test_hostile_nul_bytes():
    # In text, html5 drops NUL as parsel (which deletes every NUL before parsing) does.
    for html in ("<p>a\x00b</p>", "\x00<p>ab</p>", "<p>a\x00\x00\x00b</p>"):
        assert (
            fc(html).xpath("//p/text()").getall() == ["ab"] == ps(html).xpath("//p/text()").getall()
        )
    # Elsewhere html5 makes it U+FFFD (a documented difference: parsel deletes it).
    assert fc("<p title='a\x00b'>x</p>").css("p::attr(title)").get() == "a\ufffdb"
    assert fc("<script>a\x00b</script>").xpath("//script/text()").get() == "a\ufffdb"
    assert fc("<!--a\x00b-->").xpath("//comment()").get() == "<!--a\ufffdb-->"
    big = fc("\x00" * 1_000_000 + "<p>x</p>")
    assert big.css("p::text").getall() == ["x"]


# --- tree differences from lxml, on pages small enough to read ----------------------------


def test_tbody_is_inserted():
    html = "<table><tr><td>1</td></tr></table>"
    assert ps(html).xpath("//table/tr/td/text()").getall() == ["1"]
    assert fc(html).xpath("//table/tr/td/text()").getall() == []
    assert fc(html).xpath("//table/tbody/tr/td/text()").getall() == ["1"]
    assert fc(html).css("table td::text").getall() == ps(html).css("table td::text").getall()


def test_newline_after_pre_is_dropped():
    html = "<pre>\nline\n</pre>"
    assert ps(html).xpath("//pre/text()").get() == "\nline\n"
    assert fc(html).xpath("//pre/text()").get() == "line\n"


def test_link_inside_link_is_split():
    html = '<p><a href="1"><em>e<a href="2">T</a></em></a></p>'
    assert ps(html).xpath("count(//a//a)").get() == "1.0"
    sel = fc(html)
    assert sel.xpath("count(//a//a)").get() == "0.0"
    assert sel.css("p").get() == '<p><a href="1"><em>e</em></a><em><a href="2">T</a></em></p>'


# --- responses ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["gbk-header", "gbk-meta", "gb2312-http-equiv"])
async def test_gbk_page_via_response_selector(server, case):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url(f"/charset/{case}"))
        sel = r.selector()
        assert sel.css("title::text").get() == GBK_TEXT
        assert sel.xpath("//p/text()").get() == GBK_TEXT
        assert sel.base_url == r.url
        sel2 = await r.html()
        assert sel2.css("title::text").get() == GBK_TEXT


async def test_gbk_sniffed_page_via_response_selector(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/charset/gbk-sniff"))
        assert r.selector().css("p::text").getall() == [GBK_TEXT] * 20


async def test_response_selector_links_are_absolute(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/html5k"))
        sel = r.selector()
        assert sel.css("title::text").get() == "Page 5k"
        links = sel.links()
        assert links
        assert links[0] == server.url("/p/0.html")
        assert links == [server.url(h) for h in sel.css("a::attr(href)").getall()]


# --- parse_many ---------------------------------------------------------------------------

BATCH_QUERIES = {
    "title": "title::text",
    "links": "//a/@href",
    "second": '//*[@id="listvideoListUl"]/li[2]//div[2]/text()',
    "count": "count(//a)",
    "prices": "div.price::text",
}


async def batch(docs: Sequence[str | bytes], queries: Mapping[str, str], **kw: Any) -> list[Any]:
    """The batch API in one place, so a change of its shape is one edit."""
    return await ferrocrawl.parse_many(docs, queries, **kw)


def per_page(html: str, queries: Mapping[str, str]) -> dict[str, list[str]]:
    sel = fc(html)
    out = {}
    for name, q in queries.items():
        is_xpath = q.startswith(("/", "(", "count(", "xpath:"))
        out[name] = (sel.xpath(q.removeprefix("xpath:")) if is_xpath else sel.css(q)).getall()
    return out


def _docs() -> list[str]:
    docs = [PAGE, LINKS_PAGE, TEXT_PAGE, "<p>no title</p>", ""]
    docs += [f"<title>t{i}</title><a href='/{i}'>{i}</a>" * (i % 3 + 1) for i in range(40)]
    return docs


async def test_parse_many_same_as_per_page_calls():
    docs = _docs()
    want = [per_page(d, BATCH_QUERIES) for d in docs]
    assert await batch(docs, BATCH_QUERIES) == want
    assert await batch(docs, BATCH_QUERIES, threads=2) == want
    assert await batch(iter(docs), BATCH_QUERIES, threads=1) == want


async def test_parse_many_bytes_and_empty():
    assert await batch([], BATCH_QUERIES) == []
    got = await batch([PAGE.encode(), "<title>中文</title>".encode("gbk")], {"t": "title::text"})
    assert got == [{"t": [" Hi & bye "]}, {"t": ["中文"]}]


async def test_parse_many_bad_query_raises():
    with pytest.raises(ferrocrawl.SelectorError):
        await batch(_docs(), {"ok": "title::text", "bad": "//a["})
    # an expression that compiles but fails on evaluation fails each page, not the batch
    got = await batch(["<a>x</a>", "<p>y</p>"], {"n": "count('a')"})
    assert len(got) == 2
    assert all(isinstance(g, ferrocrawl.SelectorError) for g in got)


def test_replace_entities_flag_matches_parsel():
    html = "<p>x=&amp;quot;1 y=&amp;#65;</p>"
    for flag in (True, False):
        got = fc(html).css("p::text").re(r"=(\S+)", replace_entities=flag)
        assert got == ps(html).css("p::text").re(r"=(\S+)", replace_entities=flag)
    assert fc(html).css("p::text").re_first(r"=(\S+)", replace_entities=False) == "&quot;1"
