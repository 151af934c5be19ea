//! What a query returns: a node, an attribute, or (from XPath expressions like `count(//a)`)
//! a plain string, number or boolean. Items hold ids, not borrows, so the binding can keep
//! them beside an `Arc<Document>`.

use std::io;

use html5ever::serialize::{HtmlSerializer, Serialize, SerializeOpts, Serializer, TraversalScope};

use super::dom::{Document, NodeData, NodeId};

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An element, text, comment, processing instruction or the document node.
    Node(NodeId),
    /// Attribute `index` (source order) of element `owner`.
    Attr {
        owner: NodeId,
        index: u32,
    },
    String(String),
    Number(f64),
    Bool(bool),
}

impl Item {
    /// The node a further query on this item starts from (an attribute's element).
    pub fn context_node(&self) -> Option<NodeId> {
        match self {
            Item::Node(id) | Item::Attr { owner: id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// Python's `str(float)`: `3.0`, `0.5`, `1e+16`, `nan`, `inf`.
pub fn python_float_str(n: f64) -> String {
    if n.is_nan() {
        return "nan".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = n.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Shortest round-trip digits in scientific form, then Python's exponent style.
        let s = format!("{n:e}");
        let (mantissa, exp) = s.split_once('e').expect("`{:e}` has an exponent");
        let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{n}");
    if s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

impl Document {
    /// parsel's `.get()`: outer HTML of an element (or of a comment), the text of a text node,
    /// an attribute's value, and `str()` of a scalar (`"1"`/`"0"` for booleans, `"3.0"` for
    /// numbers).
    pub fn get(&self, item: &Item) -> String {
        match item {
            Item::Node(id) => match self.data(*id) {
                NodeData::Text(t) => t.to_string(),
                // parsel's XML root is the root element
                NodeData::Document if self.is_xml() => self.outer_xml(self.root_element().unwrap_or(*id)),
                _ if self.is_xml() => self.outer_xml(*id),
                _ => self.outer_html(*id),
            },
            Item::Attr { owner, index } => self.attr_value(*owner, *index).to_string(),
            Item::String(s) => s.clone(),
            Item::Number(n) => python_float_str(*n),
            Item::Bool(b) => if *b { "1" } else { "0" }.into(),
        }
    }

    /// Value of attribute `index` of element `owner` ("" if there is none).
    pub fn attr_value(&self, owner: NodeId, index: u32) -> &str {
        self.element(owner).and_then(|e| e.attrs.get(index as usize)).map_or("", |a| &a.value)
    }

    /// parsel's `.attrib`: an element's attributes in source order (empty for other items).
    pub fn attrib(&self, item: &Item) -> Vec<(&str, &str)> {
        match item {
            Item::Node(id) => self.element(*id).map(|e| e.attrs().collect()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The XPath string-value of an item (text of an element's descendants).
    pub fn item_string_value(&self, item: &Item) -> String {
        match item {
            Item::Node(id) => self.string_value(*id),
            _ => self.get(item),
        }
    }

    /// The node serialised as HTML, itself included (children only for the document node).
    pub fn outer_html(&self, id: NodeId) -> String {
        let mut out = Vec::new();
        let mut ser = HtmlSerializer::new(&mut out, SerializeOpts::default());
        SubTree { doc: self, id }
            .serialize(&mut ser, TraversalScope::IncludeNode)
            .expect("writing to a Vec never fails");
        String::from_utf8(out).expect("the serializer writes UTF-8")
    }
}

/// A node and its descendants, serialised without recursion: ids of a subtree are a range,
/// so the open elements to close are on an explicit stack.
struct SubTree<'a> {
    doc: &'a Document,
    id: NodeId,
}

impl Serialize for SubTree<'_> {
    fn serialize<S: Serializer>(&self, ser: &mut S, _scope: TraversalScope) -> io::Result<()> {
        let doc = self.doc;
        let mut open: Vec<NodeId> = Vec::new();
        let first = if self.id == NodeId::DOCUMENT { 1 } else { self.id.index() };
        for id in (first..=doc.subtree_end(self.id).index()).map(NodeId::from_index) {
            while let Some(&top) = open.last() {
                if doc.subtree_end(top) >= id {
                    break;
                }
                open.pop();
                ser.end_elem(doc.element(top).expect("only elements are opened").name.clone())?;
            }
            match doc.data(id) {
                NodeData::Element(e) => {
                    ser.start_elem(e.name.clone(), e.attrs.iter().map(|a| (&a.name, &*a.value)))?;
                    open.push(id);
                }
                NodeData::Text(t) => ser.write_text(t)?,
                NodeData::Comment(c) => ser.write_comment(c)?,
                NodeData::Doctype { name } => ser.write_doctype(name)?,
                NodeData::ProcessingInstruction { target, data } => {
                    ser.write_processing_instruction(target, data)?;
                }
                // HTML never has one; its name stays visible as text would
                NodeData::EntityRef(name) => ser.write_text(&format!("&{name};"))?,
                NodeData::Document | NodeData::Removed => {}
            }
        }
        while let Some(top) = open.pop() {
            ser.end_elem(doc.element(top).expect("only elements are opened").name.clone())?;
        }
        Ok(())
    }
}
