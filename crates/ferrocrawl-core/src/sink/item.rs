//! An item: the ordered fields of one row. A crawl's item is `{"url": page.url, **page.data}`
//! plus the page fields asked for with `sink_fields=`; a standalone `Sink` takes any mapping.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::crawl::{self, Page};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub fields: Vec<(String, Value)>,
}

/// What a crawl can add to its items besides `url` and the `extract=` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageField {
    Status,
    Depth,
    /// When the page was handed on, ISO 8601 UTC with milliseconds.
    FetchedAt,
}

impl PageField {
    pub const NAMES: [&'static str; 3] = ["status", "depth", "fetched_at"];

    pub fn parse(name: &str) -> Option<PageField> {
        match name {
            "status" => Some(PageField::Status),
            "depth" => Some(PageField::Depth),
            "fetched_at" => Some(PageField::FetchedAt),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The SQL type of its column: the numbers are integers, the time is text.
    pub fn is_integer(self) -> bool {
        matches!(self, PageField::Status | PageField::Depth)
    }
}

impl Item {
    /// A crawled page's item; `None` for a page that carries no data worth a row (a failed
    /// fetch or a non-2xx answer: Scrapy's callbacks do not see those either).
    pub fn from_page(page: &Page, extra: &[PageField]) -> Option<Item> {
        let status = page.status()?;
        if page.error.is_some() || !(200..300).contains(&status) {
            return None;
        }
        let mut fields = Vec::with_capacity(1 + page.data.len() + extra.len());
        fields.push(("url".to_owned(), Value::String(page.url.to_string())));
        for (name, value) in &page.data {
            let value = match value {
                crawl::Value::None => Value::Null,
                crawl::Value::One(s) => Value::String(s.clone()),
                crawl::Value::Many(v) => Value::Array(v.iter().cloned().map(Value::String).collect()),
            };
            fields.push((name.clone(), value));
        }
        for field in extra {
            let value = match field {
                PageField::Status => Value::from(status),
                PageField::Depth => Value::from(page.depth),
                PageField::FetchedAt => Value::String(iso_utc(SystemTime::now())),
            };
            fields.push((field.name().to_owned(), value));
        }
        Some(Item { fields })
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The key of keyed sinks (a table row, a hash field).
    pub fn url(&self) -> Option<&str> {
        self.get("url").and_then(Value::as_str)
    }

    /// One JSON object, fields in order.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(self.approx_bytes() + 16);
        self.write_json(&mut out);
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Appends the JSON object to `out` (no intermediate strings: the file sink's hot path).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing to a Vec cannot fail, and a Value always serialises.
            let _ = serde_json::to_writer(&mut *out, name);
            out.push(b':');
            let _ = serde_json::to_writer(&mut *out, value);
        }
        out.push(b'}');
    }

    /// Roughly the bytes it takes written: what a batch's byte limit counts.
    pub fn approx_bytes(&self) -> usize {
        self.fields.iter().map(|(n, v)| n.len() + value_bytes(v) + 4).sum()
    }
}

fn value_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(|v| value_bytes(v) + 3).sum(),
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + value_bytes(v) + 4).sum(),
        _ => 8,
    }
}

/// A cell of a table or CSV row: text as it is, lists and objects as JSON, booleans as 1/0.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cell {
    pub fn of(v: Option<&Value>) -> Cell {
        match v {
            None | Some(Value::Null) => Cell::Null,
            Some(Value::Bool(b)) => Cell::Int(i64::from(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Some(Value::String(s)) => Cell::Text(s.clone()),
            Some(v) => Cell::Text(v.to_string()),
        }
    }

    /// As text (CSV): numbers in their usual form, NULL empty.
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// `2026-12-01T10:08:07.123Z`. Written here (civil-from-days, H. Hinnant's algorithm)
/// rather than adding a date crate for one format.
pub fn iso_utc(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_087_123);
        assert_eq!(iso_utc(t), "2026-11-18T11:08:07.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(&iso_utc(leap)[..10], "2000-02-29");
    }

    #[test]
    fn json_keeps_field_order() {
        let item = Item {
            fields: vec![
                ("url".into(), Value::from("http://a/\"q\"")),
                ("b".into(), Value::from(vec!["x", "y"])),
                ("a".into(), Value::Null),
            ],
        };
        assert_eq!(item.to_json(), r#"{"url":"http://a/\"q\"","b":["x","y"],"a":null}"#);
        assert_eq!(item.url(), Some("http://a/\"q\""));
    }

    #[test]
    fn cells() {
        assert_eq!(Cell::of(Some(&Value::from(vec!["a"]))), Cell::Text(r#"["a"]"#.into()));
        assert_eq!(Cell::of(Some(&Value::Bool(true))), Cell::Int(1));
        assert_eq!(Cell::of(None), Cell::Null);
        assert_eq!(Cell::of(Some(&Value::from(1.5))).text(), "1.5");
    }
}
