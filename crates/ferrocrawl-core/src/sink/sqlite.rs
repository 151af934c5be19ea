//! The SQLite sink: one table keyed by `url`, written by multi-row upserts (up to 256 rows a
//! statement) in one transaction per batch. WAL, synchronous=NORMAL, like the crawl state.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{params_from_iter, Connection, ErrorCode};
use serde_json::Value;

use super::backend::{quote, statement_chunks, Fault};
use super::item::{Cell, Item};
use super::schema::{Column, ColumnType};

/// SQLite's default limit on the placeholders of one statement (since 3.32).
const MAX_PARAMS: usize = 32_766;

pub struct SqliteSink {
    conn: Connection,
    table: String,
    columns: Option<Vec<String>>,
}

impl SqliteSink {
    pub fn open(path: &Path, table: &str) -> Result<SqliteSink, Fault> {
        let conn = Connection::open(path).map_err(fault)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(fault)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fault)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(fault)?;
        let mut sink = SqliteSink { conn, table: table.to_owned(), columns: None };
        sink.columns = sink.read_columns()?;
        Ok(sink)
    }

    fn read_columns(&self) -> Result<Option<Vec<String>>, Fault> {
        let mut stmt =
            self.conn.prepare(&format!("PRAGMA table_info({})", quote(&self.table))).map_err(fault)?;
        // (cid, name, type, notnull, default, pk)
        let cols: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(1)?, r.get(5)?)))
            .map_err(fault)?
            .collect::<Result<_, _>>()
            .map_err(fault)?;
        if cols.is_empty() {
            return Ok(None);
        }
        if !self.url_is_unique(&cols)? {
            return Err(Fault::Permanent(format!(
                "table {} has no unique `url` column: items are upserted by url",
                self.table
            )));
        }
        Ok(Some(cols.into_iter().map(|(name, _)| name).collect()))
    }

    /// `url` is the primary key alone, or has a unique index of its own.
    fn url_is_unique(&self, cols: &[(String, i64)]) -> Result<bool, Fault> {
        let pk: Vec<&str> = cols.iter().filter(|(_, pk)| *pk > 0).map(|(n, _)| n.as_str()).collect();
        if pk == ["url"] {
            return Ok(true);
        }
        let mut stmt =
            self.conn.prepare(&format!("PRAGMA index_list({})", quote(&self.table))).map_err(fault)?;
        let unique: Vec<String> = stmt
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
            .map_err(fault)?
            .filter_map(Result::ok)
            .filter(|(_, unique)| *unique)
            .map(|(name, _)| name)
            .collect();
        for index in unique {
            let mut stmt =
                self.conn.prepare(&format!("PRAGMA index_info({})", quote(&index))).map_err(fault)?;
            let names: Vec<String> =
                stmt.query_map([], |r| r.get(2)).map_err(fault)?.filter_map(Result::ok).collect();
            if names == ["url"] {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    pub fn create(&mut self, columns: &[Column]) -> Result<(), Fault> {
        let defs: Vec<String> = columns
            .iter()
            .map(|c| {
                let kind = match c.kind {
                    ColumnType::Text => "TEXT",
                    ColumnType::Integer => "INTEGER",
                    ColumnType::Real => "REAL",
                };
                let key = if c.name == "url" { " PRIMARY KEY NOT NULL" } else { "" };
                format!("{} {kind}{key}", quote(&c.name))
            })
            .collect();
        let sql = format!("CREATE TABLE IF NOT EXISTS {} ({})", quote(&self.table), defs.join(", "));
        self.conn.execute_batch(&sql).map_err(fault)?;
        self.columns = self.read_columns()?;
        Ok(())
    }

    pub fn write(&mut self, batch: &[Item]) -> Result<(), Fault> {
        let columns = self.columns.clone().ok_or_else(|| Fault::Permanent("table not created".into()))?;
        let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let updates: Vec<String> =
            names.iter().filter(|n| *n != "\"url\"").map(|n| format!("{n} = excluded.{n}")).collect();
        let conflict = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let row = format!("({})", vec!["?"; names.len()].join(", "));
        let tx = self.conn.transaction().map_err(fault)?;
        for chunk in statement_chunks(batch, names.len(), MAX_PARAMS) {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {} ON CONFLICT(\"url\") {conflict}",
                quote(&self.table),
                names.join(", "),
                vec![row.as_str(); chunk.len()].join(", ")
            );
            let mut stmt = tx.prepare_cached(&sql).map_err(fault)?;
            // strings bound in place; only lists and objects are serialised
            let values = chunk.iter().flat_map(|item| {
                columns.iter().map(|c| match item.get(c) {
                    Some(Value::String(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                    v => ToSqlOutput::Owned(match Cell::of(v) {
                        Cell::Null => Sql::Null,
                        Cell::Int(i) => Sql::Integer(i),
                        Cell::Float(f) => Sql::Real(f),
                        Cell::Text(s) => Sql::Text(s),
                    }),
                })
            });
            stmt.execute(params_from_iter(values)).map_err(fault)?;
        }
        tx.commit().map_err(fault)
    }
}

fn fault(e: rusqlite::Error) -> Fault {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Fault::Transient(e.to_string()),
        _ => Fault::Permanent(e.to_string()),
    }
}
