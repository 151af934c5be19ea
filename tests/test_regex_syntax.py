"""Regexes are written in Python's ``re`` syntax everywhere, Rust included: the patterns the two
engines read differently (Rust's ``regex`` and fancy-regex versus ``re``) give Python's matches.

Each pattern runs in Rust as EXSLT ``re:match(text, pattern, "g")`` (every match, as
``re.findall`` for a pattern without groups) and through ``.re()`` (which runs it in Rust
unless it needs backtracking), and is compared with ``re.findall`` in the same process.
"""

from __future__ import annotations

import re
import warnings

import ferrocrawl
import pytest

TEXT = 'a{"foo":12} [x] a&&b a--b ~~ tail\nend\n {} x{2} aa{,2} $5 $6% abba 2024-01-31'

PATTERNS = [
    r'{"foo":\d+}',  # a { that repeats nothing is a literal
    r"\{[^}]*\}",
    r"a{2}",
    r"a{,2}\{",  # Python's {,n} is {0,n}
    r"x\{2}",
    r"[[\]x]+",  # [ inside a class is a literal
    r"[]x[]+",  # ] first in a class too
    r"[a&&b]+",  # && is no intersection
    r"[%--]+",  # a range ending at -
    r"[~]+",
    r"end\n\Z",  # \Z is the end of the text
    r"\d{4}-\d{2}-\d{2}",
    r"(?<=\$)\d+(?!%)",  # look-around: fancy-regex
    r"(?i)A(?=A)",
    r"\w+(?= *\n)",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_rust_matches_what_python_matches(pattern: str) -> None:
    sel = ferrocrawl.Selector(text="<p></p>")
    with warnings.catch_warnings():
        # Python warns that [[, && and -- in a class may mean set operations one day
        warnings.simplefilter("ignore", FutureWarning)
        compiled = re.compile(pattern)
    want = compiled.findall(TEXT)
    # re:match with "g" yields each match's first group: keep patterns without groups
    assert compiled.groups == 0
    got = sel.xpath('re:match($text, $pattern, "g")/text()', text=TEXT, pattern=pattern).getall()
    assert got == want
    assert ferrocrawl.Selector(text=TEXT, type="text").re(pattern, replace_entities=False) == want


def test_back_references_and_named_groups() -> None:
    sel = ferrocrawl.Selector(text="<p></p>")
    text = "say 'hi' and \"yo\" abba"
    found = sel.xpath(r're:match($t, "([\x27\x22])(.*?)\1")/text()', t=text).getall()
    assert found == ["'hi'", "'", "hi"]
    assert sel.xpath(r're:test("abba", "(?P<a>a)(b)\2(?P=a)")').get() == "1"


def test_runaway_backtracking_is_an_error_not_a_hang() -> None:
    sel = ferrocrawl.Selector(text="<p></p>")
    with pytest.raises(ferrocrawl.SelectorError, match="could not run to the end"):
        sel.xpath(r're:test($t, "(x+x+)+\1y")', t="x" * 40)
