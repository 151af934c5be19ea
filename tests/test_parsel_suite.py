"""parsel's own ``TestSelector`` (tests/parsel_suite/, vendored) run on ``ferrocrawl.Selector``.

``EXCLUDED``: the tests that inspect lxml objects directly (skipped, with the reason).
``NOT_YET``: the tests ferrocrawl fails, with the reason (issue #12); strict xfails, so one that
starts passing fails the suite until it is taken off the list. Both are in the README's
"differences from parsel" table. Keys are test names, or test ids for a parametrized case.
"""

from __future__ import annotations

import ferrocrawl
import pytest

from tests.parsel_suite import parsel_test_selector as upstream

XML = "XML (type='xml', namespaces) is not supported yet"
DROP = "drop() would change the shared, immutable tree: not supported yet"
HEAD = "html5ever always adds <head>: `<html><head></head><body>...`"

EXCLUDED: dict[str, str] = {
    "test_make_links_absolute": "calls lxml's HtmlElement.make_links_absolute() on .root",
    "test_bodies_with_comments_only": "reads lxml's .root.base",
    "test_configure_base_url": "reads lxml's .root.base",
    "test_html_root": "passes an lxml element as root",
    "test_etree_root_invalid_type": "expects .root to be an lxml element",
    "test_xml_syntax_error_reraised": "monkeypatches lxml.etree.fromstring",
    "test_xml_syntax_error_with_encoding_error_recovers": "monkeypatches lxml.etree.fromstring",
}

NOT_YET: dict[str, str] = {
    "test_differences_parsing_xml_vs_html": XML,
    "test_namespaces_simple": XML,
    "test_namespaces_adhoc": XML,
    "test_namespaces_adhoc_variables": XML,
    "test_namespaces_multiple": XML,
    "test_namespaces_multiple_adhoc": XML,
    "test_remove_namespaces": XML,
    "test_remove_namespaces_embedded": XML,
    "test_remove_attributes_namespaces": XML,
    "test_xml_entity_expansion": XML,
    "test_xml_keeps_c1_character_references_literal": XML,
    "test_remove_root_element_selector_xml": XML,
    "test_huge_tree_warning_skips_other_errors": XML,
    'test_detected_type[<?xml version="1.0"?><Doc/>-xml]': XML,
    'test_detected_type[\\n <?xml version="1.0"?><Doc/>-xml]': XML,
    'test_detected_type[\\ufeff<?xml version="1.0"?><Doc/>-xml]': XML,
    "test_detected_xml_type_parsing": XML,
    "test_explicit_type_beats_json[xml]": XML,
    "test_explicit_type_beats_json_root[xml]": XML,
    "test_unsupported_declared_encoding": XML,
    "test_remove_selector_list": DROP,
    "test_remove_selector": DROP,
    "test_remove_pseudo_element_selector_list": DROP,
    "test_remove_pseudo_element_selector": DROP,
    "test_remove_root_element_selector": DROP,
    "test_mixed_nested_selectors": "CSS `#1`: cssparser refuses an id starting with a digit",
    "test_selector_over_text": HEAD + "; and XML",
    "test_replacement_null_char_from_body": HEAD,
    "test_deep_nesting": "libxml2 stops at depth 256 and warns; html5ever flattens at 512",
}


class TestParselSelector(upstream.TestSelector):
    sscls = ferrocrawl.Selector  # type: ignore[assignment]

    @pytest.fixture(autouse=True)
    def _expectations(self, request: pytest.FixtureRequest) -> None:
        names = (request.node.name, request.node.originalname)
        if reason := next((EXCLUDED[n] for n in names if n in EXCLUDED), None):
            pytest.skip(f"inspects lxml objects: {reason}")
        if reason := next((NOT_YET[n] for n in names if n in NOT_YET), None):
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))

    # It records the warning with catch_warnings(record=True), which our filterwarnings=error
    # would turn into an exception first.
    @pytest.mark.filterwarnings("always::UserWarning")
    def test_text_and_root_warning(self) -> None:
        super().test_text_and_root_warning()
