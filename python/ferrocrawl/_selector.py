"""``SelectorList``: parsel's list of selectors, a real ``list`` with the query methods; and
the parts of ``Selector`` that are Python's own: ``re`` for patterns Rust's regex refuses,
and ``jmespath``."""

from __future__ import annotations

import json
import re as _re
from collections.abc import Mapping
from re import Pattern
from typing import Any, SupportsIndex, cast, overload

from ._ferrocrawl import Selector


class SelectorList(list[Selector]):
    __slots__ = ()

    def __getstate__(self) -> None:
        raise TypeError("can't pickle SelectorList objects")

    @overload
    def __getitem__(self, i: SupportsIndex) -> Selector: ...
    @overload
    def __getitem__(self, i: slice) -> SelectorList: ...
    def __getitem__(self, i: SupportsIndex | slice) -> Selector | SelectorList:
        if isinstance(i, slice):
            return SelectorList(super().__getitem__(i))
        return cast(Selector, super().__getitem__(i))

    def css(self, query: str) -> SelectorList:
        return SelectorList(x for s in self for x in s.css(query))

    def drop(self) -> None:
        """Removes every selected element from the document (parsel's ``drop()``)."""
        for s in self:
            s.drop()

    def jmespath(self, query: str, **kwargs: Any) -> SelectorList:
        return SelectorList(x for s in self for x in s.jmespath(query, **kwargs))

    def xpath(
        self, query: str, namespaces: Mapping[str, str] | None = None, **variables: Any
    ) -> SelectorList:
        return SelectorList(x for s in self for x in s.xpath(query, namespaces, **variables))

    def get(self, default: Any = None) -> Any:
        for s in self:
            return s.get()
        return default

    def getall(self) -> list[Any]:
        return [s.get() for s in self]

    extract_first = get
    extract = getall

    def re(self, regex: str | Pattern[str], replace_entities: bool = True) -> list[str]:
        return [x for s in self for x in s.re(regex, replace_entities)]

    def re_first(
        self, regex: str | Pattern[str], default: Any = None, replace_entities: bool = True
    ) -> Any:
        for s in self:
            for x in s.re(regex, replace_entities):
                return x
        return default

    @property
    def attrib(self) -> dict[str, str]:
        """The first selector's attributes, as in parsel."""
        return self[0].attrib if self else {}


def _python_re(regex: str | Pattern[str], text: str) -> list[str]:
    """parsel's ``extract_regex`` with Python's ``re``, for a pattern Rust's ``regex`` cannot
    run (look-around, back-references, an unescaped ``{``) or one with flags. The entities
    are replaced by the caller, in Rust."""
    if isinstance(regex, str):
        regex = _re.compile(regex)
    if "extract" in regex.groupindex:
        m = regex.search(text)
        found = m.group("extract") if m else None
        return [] if found is None else [found]
    return [x for m in regex.findall(text) for x in ((m,) if isinstance(m, str) else m)]


def _jmespath(selector: Selector, query: str, **kwargs: Any) -> SelectorList:
    """parsel's ``Selector.jmespath``: the query on the JSON value (or on the JSON in the
    text), each result a selector; ``jmespath`` is imported when first used."""
    try:
        import jmespath  # type: ignore[import-untyped]
    except ImportError as e:
        msg = "Selector.jmespath() needs the jmespath package: pip install ferrocrawl[jmespath]"
        raise ImportError(msg) from e

    root = selector.root
    if selector.type == "json":
        data = root
    else:
        text = root if isinstance(root, str) else selector.xpath("text()").get()
        try:
            data = json.loads(text) if text is not None else None
        except ValueError:
            data = None
    result = jmespath.search(query, data, **kwargs)
    if result is None:
        result = []
    elif not isinstance(result, list):
        result = [result]
    return SelectorList(Selector._from_value(x, query) for x in result)


Selector.selectorlist_cls = SelectorList  # type: ignore[attr-defined]
