//! The sink URL: where items go.
//!
//! ```text
//! items.jsonl | items.ndjson | items.jl          one JSON object a line
//! items.csv                                      a header row, then one row an item
//! sqlite:///items.db?table=items                 (SQLAlchemy's form: sqlite:////abs/path.db)
//! redis://[user:pw@]host:port[/db]?key=items&type=hash|list|stream   (also redis+cluster://)
//! mysql://user:pw@host:port/db?table=items       MySQL and MariaDB
//! ```

use std::path::PathBuf;

use crate::error::redact;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    JsonLines,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisType {
    /// One hash: a field per item URL, the item as JSON (keyed: a page once).
    Hash,
    /// RPUSH of the item as JSON.
    List,
    /// XADD of the item's fields.
    Stream,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File {
        path: PathBuf,
        format: FileFormat,
    },
    Sqlite {
        path: PathBuf,
        table: String,
    },
    /// `url` is the server URL without the sink's own query keys.
    Redis {
        url: String,
        key: String,
        kind: RedisType,
    },
    Mysql {
        url: String,
        table: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSpec {
    pub target: Target,
    /// The URL as given, password removed: for messages.
    pub display: String,
}

/// Table names: identifiers we can quote safely in SQL on every server.
fn valid_table(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl SinkSpec {
    pub fn parse(url: &str) -> Result<SinkSpec> {
        let display = redact(url).into_owned();
        let bad = |reason: &str| Error::InvalidUrl { url: display.clone(), reason: reason.to_owned() };
        let (scheme, _) = url.split_once("://").unwrap_or(("", ""));
        let scheme = scheme.to_ascii_lowercase();
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let mut take = |key: &str| {
            let i = params.iter().position(|(k, _)| k == key)?;
            Some(params.remove(i).1)
        };
        let table = |t: Option<String>| {
            let t = t.unwrap_or_else(|| "items".to_owned());
            if valid_table(&t) {
                Ok(t)
            } else {
                Err(bad("table= takes letters, digits and _ (at most 64)"))
            }
        };
        let target = match scheme.as_str() {
            "" => {
                let ext = std::path::Path::new(url)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                let format = if matches!(ext.as_deref(), Some("jsonl" | "ndjson" | "jl")) {
                    FileFormat::JsonLines
                } else if ext.as_deref() == Some("csv") {
                    FileFormat::Csv
                } else {
                    return Err(bad(
                        "not a sink: give a .jsonl or .csv file, or a sqlite:///, redis:// or mysql:// URL",
                    ));
                };
                return Ok(SinkSpec { target: Target::File { path: PathBuf::from(url), format }, display });
            }
            "sqlite" => {
                let path = base["sqlite://".len()..].strip_prefix('/').unwrap_or_default();
                if path.is_empty() {
                    return Err(bad("give a file: sqlite:///items.db (or sqlite:////abs/path.db)"));
                }
                Target::Sqlite { path: PathBuf::from(path), table: table(take("table"))? }
            }
            "redis" | "redis+cluster" => {
                let key = take("key").unwrap_or_else(|| "items".to_owned());
                let kind = match take("type").as_deref() {
                    None | Some("hash") => RedisType::Hash,
                    Some("list") => RedisType::List,
                    Some("stream") => RedisType::Stream,
                    Some(_) => return Err(bad("type= is hash, list or stream")),
                };
                if key.is_empty() {
                    return Err(bad("key= must not be empty"));
                }
                let rest: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let Some(k) = params.first() {
                    return Err(bad(&format!("unknown option {:?} (key= and type= are the sink's)", k.0)));
                }
                let url =
                    if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
                return Ok(SinkSpec { target: Target::Redis { url, key, kind }, display });
            }
            "mysql" | "mariadb" => {
                let table = table(take("table"))?;
                let rest: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let base = format!("mysql{}", &base[scheme.len()..]);
                let url = if rest.is_empty() { base } else { format!("{base}?{}", rest.join("&")) };
                return Ok(SinkSpec { target: Target::Mysql { url, table }, display });
            }
            other => return Err(bad(&format!("scheme {other:?}: sinks are files, sqlite, redis and mysql"))),
        };
        if let Some(k) = params.first() {
            return Err(bad(&format!("unknown option {:?}", k.0)));
        }
        Ok(SinkSpec { target, display })
    }

    /// A file sink's path.
    pub fn file_path(&self) -> Option<&std::path::Path> {
        match &self.target {
            Target::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether an item is written once per URL however often it is put (an upsert).
    pub fn is_keyed(&self) -> bool {
        matches!(
            self.target,
            Target::Sqlite { .. } | Target::Mysql { .. } | Target::Redis { kind: RedisType::Hash, .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = |u: &str| SinkSpec::parse(u).unwrap().target;
        assert_eq!(
            t("out/items.jsonl"),
            Target::File { path: "out/items.jsonl".into(), format: FileFormat::JsonLines }
        );
        assert_eq!(t("items.CSV"), Target::File { path: "items.CSV".into(), format: FileFormat::Csv });
        assert_eq!(
            t("sqlite:///items.db?table=cars"),
            Target::Sqlite { path: "items.db".into(), table: "cars".into() }
        );
        assert_eq!(
            t("sqlite:////tmp/x.db"),
            Target::Sqlite { path: "/tmp/x.db".into(), table: "items".into() }
        );
        assert_eq!(
            t("redis://:pw@127.0.0.1:6379/2?key=cars&type=stream"),
            Target::Redis {
                url: "redis://:pw@127.0.0.1:6379/2".into(),
                key: "cars".into(),
                kind: RedisType::Stream
            }
        );
        assert_eq!(
            t("mysql://u:p@127.0.0.1:3306/shop?table=items&pool_max=4"),
            Target::Mysql { url: "mysql://u:p@127.0.0.1:3306/shop?pool_max=4".into(), table: "items".into() }
        );
    }

    #[test]
    fn refusals_name_the_url_without_password() {
        for (url, says) in [
            ("items.txt", "not a sink"),
            ("sqlite://", "give a file"),
            ("sqlite:///x.db?table=a;drop", "table="),
            ("redis://:secret@h:1/0?type=set", "type="),
            ("redis://:secret@h:1/0?lease=3", "unknown option"),
            ("ftp://h/x", "scheme"),
        ] {
            let e = SinkSpec::parse(url).unwrap_err().to_string();
            assert!(e.contains(says) && !e.contains("secret"), "{url}: {e}");
        }
    }
}
