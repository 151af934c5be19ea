//! The columns of a table or CSV file, and the check that an item fits them. A target that
//! exists keeps its columns; a missing one is created with the crawl's fields (or, for a
//! standalone `Sink`, those of its first items).

use serde_json::Value;

use super::item::{Item, PageField};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Real,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
}

impl Column {
    pub fn text(name: &str) -> Column {
        Column { name: name.to_owned(), kind: ColumnType::Text }
    }
}

/// A crawl's columns: `url`, the `extract=` names (text; lists as JSON), the page fields.
pub fn crawl_columns(extract: &[String], extra: &[PageField]) -> Vec<Column> {
    let mut columns = vec![Column::text("url")];
    columns.extend(extract.iter().filter(|n| *n != "url").map(|n| Column::text(n)));
    columns.extend(extra.iter().map(|f| Column {
        name: f.name().to_owned(),
        kind: if f.is_integer() { ColumnType::Integer } else { ColumnType::Text },
    }));
    columns
}

/// The columns for items given without a plan: every field name in first-seen order, typed
/// by its first non-null value, `url` first.
pub fn columns_of<'a>(items: impl IntoIterator<Item = &'a Item>) -> Vec<Column> {
    let mut columns = vec![Column::text("url")];
    for item in items {
        for (name, value) in &item.fields {
            let kind = match value {
                Value::Number(n) if n.is_i64() || n.is_u64() => Some(ColumnType::Integer),
                Value::Number(_) => Some(ColumnType::Real),
                Value::Bool(_) => Some(ColumnType::Integer),
                Value::Null => None,
                _ => Some(ColumnType::Text),
            };
            match columns.iter_mut().find(|c| &c.name == name) {
                Some(c) if c.name != "url" && c.kind == ColumnType::Text && kind.is_some() => {
                    // typed by the first value that says something
                    c.kind = kind.unwrap_or(ColumnType::Text);
                }
                Some(_) => {}
                None => columns.push(Column { name: name.clone(), kind: kind.unwrap_or(ColumnType::Text) }),
            }
        }
    }
    columns
}

/// The first field of `item` that `columns` lacks.
pub fn missing<'a>(columns: &[String], item: &'a Item) -> Option<&'a str> {
    item.fields.iter().map(|(n, _)| n.as_str()).find(|n| !columns.iter().any(|c| c == n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_items_make_the_columns() {
        let a = Item { fields: vec![("name".into(), Value::Null), ("url".into(), "u".into())] };
        let b = Item {
            fields: vec![("name".into(), "x".into()), ("n".into(), 3.into()), ("f".into(), 0.5.into())],
        };
        let cols = columns_of([&a, &b]);
        let kinds: Vec<_> = cols.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("url", ColumnType::Text),
                ("name", ColumnType::Text),
                ("n", ColumnType::Integer),
                ("f", ColumnType::Real)
            ]
        );
        assert_eq!(missing(&["url".into(), "name".into()], &b), Some("n"));
    }
}
