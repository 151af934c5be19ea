//! Result tree fragments: small documents an XPath function builds instead of parsing, like
//! the `<matches>` of EXSLT `re:match()`. Each is a document of its own, as in lxml, so the
//! parsed page stays immutable and shared.

use html5ever::{ns, LocalName, QualName};

use super::dom::{Document, Element, Node, NodeData, NONE};

impl Document {
    /// `<matches>` holding a `<match>` per string, each with its text (an empty text node for
    /// "", as lxml makes): HTML elements, or XML ones in no namespace when `xml`.
    pub(crate) fn matches(texts: &[String], xml: bool) -> Document {
        let name = |local: &str| {
            let ns = if xml { ns!() } else { ns!(html) };
            NodeData::Element(Element {
                name: QualName::new(None, ns, LocalName::from(local)),
                attrs: Box::new([]),
            })
        };
        let node = |parent: u32, prev_sibling: u32, next_sibling: u32, subtree_end: u32, data: NodeData| {
            Node { parent, prev_sibling, next_sibling, subtree_end, data }
        };
        // preorder: the document (0), <matches> (1), then each <match> (2 + 2i) and its text
        let last = u32::try_from(texts.len() * 2 + 1).expect("a few matches");
        let mut nodes = Vec::with_capacity(texts.len() * 2 + 2);
        nodes.push(node(NONE, NONE, NONE, last, NodeData::Document));
        nodes.push(node(0, NONE, NONE, last, name("matches")));
        for (i, text) in texts.iter().enumerate() {
            let id = u32::try_from(2 + 2 * i).expect("a few matches");
            let prev = if i == 0 { NONE } else { id - 2 };
            let next = if id + 2 > last { NONE } else { id + 2 };
            nodes.push(node(1, prev, next, id + 1, name("match")));
            nodes.push(node(id, NONE, NONE, id + 1, NodeData::Text(text.as_str().into())));
        }
        Document { nodes, base_url: None, xml, ns_decls: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use crate::html::{Document, Item, NodeId};

    #[test]
    fn matches_are_children_of_one_root_with_their_text() {
        for xml in [false, true] {
            let doc = Document::matches(&["ab".into(), String::new(), "<c>".into()], xml);
            let root = doc.root_element().unwrap();
            let kids: Vec<NodeId> = doc.children(root).collect();
            assert_eq!(kids.len(), 3);
            let got: Vec<String> = kids.iter().map(|&k| doc.get(&Item::Node(k))).collect();
            assert_eq!(
                got,
                ["<match>ab</match>", "<match></match>", "<match>&lt;c&gt;</match>"],
                "xml={xml}"
            );
            assert_eq!(doc.string_value(root), "ab<c>");
            assert_eq!(doc.parent(kids[2]), Some(root));
            assert_eq!(doc.prev_sibling(kids[1]), Some(kids[0]));
            assert_eq!(doc.next_sibling(kids[2]), None);
            assert_eq!(doc.subtree_end(NodeId::DOCUMENT).index(), doc.len() - 1);
        }
    }
}
