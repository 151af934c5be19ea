"""parsel's own ``TestSelector`` and ``TestExslt`` (tests/parsel_suite/, vendored) run on
``ferrocrawl.Selector``.

``EXCLUDED``: the tests that inspect lxml objects directly (skipped, with the reason; listed in
the README's "differences from parsel" table). Every other test must pass. Keys are test
names, or test ids for a parametrized case.
"""

from __future__ import annotations

import ferrocrawl
import pytest

from tests.parsel_suite import parsel_test_selector as upstream

EXCLUDED: dict[str, str] = {
    "test_make_links_absolute": "calls lxml's HtmlElement.make_links_absolute() on .root",
    "test_bodies_with_comments_only": "reads lxml's .root.base",
    "test_configure_base_url": "reads lxml's .root.base",
    "test_html_root": "passes an lxml element as root",
    "test_etree_root_invalid_type": "expects .root to be an lxml element",
    "test_xml_syntax_error_reraised": "monkeypatches lxml.etree.fromstring",
    "test_xml_syntax_error_with_encoding_error_recovers": "monkeypatches lxml.etree.fromstring",
    # TestExslt
    "test_drop_with_xml_type": "calls lxml's getparent() on .root",
}


# The suite names parsel's exceptions for what drop() refuses; ferrocrawl raises its own, of
# the same names (in ferrocrawl's exception tree).
upstream.CannotRemoveElementWithoutRoot = ferrocrawl.CannotRemoveElementWithoutRoot  # type: ignore[misc]
upstream.CannotRemoveElementWithoutParent = ferrocrawl.CannotRemoveElementWithoutParent  # type: ignore[misc]


class Expectations:
    @pytest.fixture(autouse=True)
    def _expectations(self, request: pytest.FixtureRequest) -> None:
        names = (request.node.name, request.node.originalname)
        if reason := next((EXCLUDED[n] for n in names if n in EXCLUDED), None):
            pytest.skip(f"inspects lxml objects: {reason}")


class TestParselSelector(Expectations, upstream.TestSelector):
    sscls = ferrocrawl.Selector  # type: ignore[assignment]

    # These record a warning with catch_warnings(record=True), which our filterwarnings=error
    # would turn into an exception first.
    @pytest.mark.filterwarnings("always::UserWarning")
    def test_text_and_root_warning(self) -> None:
        super().test_text_and_root_warning()

    @pytest.mark.filterwarnings("always::UserWarning")
    def test_deep_nesting(self) -> None:
        super().test_deep_nesting()

    @pytest.mark.filterwarnings("always::UserWarning")
    def test_huge_tree_warning_skips_other_errors(self) -> None:
        super().test_huge_tree_warning_skips_other_errors()


class TestParselExslt(Expectations, upstream.TestExslt):
    sscls = ferrocrawl.Selector  # type: ignore[assignment]
