//! `text()`: the visible text of a subtree, whitespace-normalised. Text inside `script`,
//! `style`, `noscript` and `template` is skipped; block-level elements and `<br>` separate
//! words, inline elements (`<b>`, `<span>`, `<a>`, ...) do not.

use super::dom::{Document, NodeData, NodeId};

/// Elements that do not break a word: `a<b>b</b>c` reads `abc`.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins",
    "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u", "var",
];

const HIDDEN: &[&str] = &["script", "style", "noscript", "template"];

impl Document {
    /// Visible text of `id` and its descendants, runs of whitespace collapsed to one space.
    pub fn text(&self, id: NodeId) -> String {
        let mut raw = String::new();
        let mut ends: Vec<NodeId> = Vec::new(); // block elements still open
        let end = self.subtree_end(id).index();
        let mut i = id.index();
        while i <= end {
            let node = NodeId::from_index(i);
            while ends.last().is_some_and(|&e| e < node) {
                ends.pop();
                raw.push(' ');
            }
            match self.data(node) {
                NodeData::Text(t) => raw.push_str(t),
                NodeData::Element(e) => {
                    let name = e.name();
                    if e.is_html() && HIDDEN.contains(&name) {
                        i = self.subtree_end(node).index() + 1;
                        continue;
                    }
                    if !(e.is_html() && INLINE.contains(&name)) {
                        raw.push(' ');
                        ends.push(self.subtree_end(node));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text() {
        let doc = Document::parse(
            "<title>T</title><style>p{}</style><script>x()</script><p>Hello <b>wo</b>rld</p><p>two\n  lines<br>br</p>\
             <noscript>n</noscript><template>t</template><ul><li>a</li><li>b</li></ul>",
            None,
        );
        assert_eq!(doc.text(NodeId::DOCUMENT), "T Hello world two lines br a b");
        assert_eq!(doc.text(doc.root_element().unwrap()), "T Hello world two lines br a b");
    }
}
