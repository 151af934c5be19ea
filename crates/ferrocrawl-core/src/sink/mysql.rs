//! The MySQL / MariaDB sink: one table keyed by `url`, written by multi-row
//! `INSERT ... ON DUPLICATE KEY UPDATE` statements (one per batch, split only at the
//! protocol's 65 535 parameters), over a small mysql_async pool. An upsert makes a batch
//! safe to send again after a lost reply or a restart: a page is in the table once.

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Value as Sql};

use super::backend::{statement_chunks, Fault};
use super::item::{Cell, Item};
use super::schema::{Column, ColumnType};

/// The binary protocol's limit on the placeholders of one statement.
const MAX_PARAMS: usize = 65_535;
/// The key column: ASCII (a crawled URL always is), so 3 072 characters fit InnoDB's key.
pub const MAX_URL: usize = 3072;

pub struct MysqlSink {
    pool: Pool,
    table: String,
    columns: Option<Vec<String>>,
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl MysqlSink {
    /// Connects (bad credentials or a missing database fail here, before any fetch) and
    /// reads the table's columns if it exists.
    pub async fn open(url: &str, table: &str) -> Result<MysqlSink, Fault> {
        let opts = Opts::from_url(url).map_err(|e| Fault::Permanent(format!("bad MySQL URL: {e}")))?;
        let constraints = PoolConstraints::new(1, 2).expect("1 <= 2");
        let opts = OptsBuilder::from_opts(opts).pool_opts(PoolOpts::default().with_constraints(constraints));
        let pool = Pool::new(opts);
        let mut sink = MysqlSink { pool, table: table.to_owned(), columns: None };
        // Every failure to open is final: nothing has been written, the caller has not started.
        sink.columns = sink.read_columns().await.map_err(|f| Fault::Permanent(f.reason().to_owned()))?;
        Ok(sink)
    }

    async fn read_columns(&self) -> Result<Option<Vec<String>>, Fault> {
        let mut conn = self.pool.get_conn().await.map_err(fault)?;
        let columns: Vec<String> = conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (&self.table,),
            )
            .await
            .map_err(fault)?;
        if columns.is_empty() {
            return Ok(None);
        }
        // Without a unique key on url alone, ON DUPLICATE KEY UPDATE would insert duplicates.
        let unique: Option<String> = conn
            .exec_first(
                "SELECT INDEX_NAME FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 \
                 GROUP BY INDEX_NAME HAVING COUNT(*) = 1 AND MAX(COLUMN_NAME) = 'url'",
                (&self.table,),
            )
            .await
            .map_err(fault)?;
        if unique.is_none() {
            return Err(Fault::Permanent(format!(
                "table {} has no unique key on `url` alone: items are upserted by url",
                self.table
            )));
        }
        Ok(Some(columns))
    }

    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    pub async fn create(&mut self, columns: &[Column]) -> Result<(), Fault> {
        let defs: Vec<String> = columns
            .iter()
            .map(|c| {
                let kind = match (c.name.as_str(), c.kind) {
                    ("url", _) => "VARCHAR(3072) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY",
                    (_, ColumnType::Text) => "LONGTEXT",
                    (_, ColumnType::Integer) => "BIGINT",
                    (_, ColumnType::Real) => "DOUBLE",
                };
                format!("{} {kind}", ident(&c.name))
            })
            .collect();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ({}) DEFAULT CHARSET = utf8mb4",
            ident(&self.table),
            defs.join(", ")
        );
        let mut conn = self.pool.get_conn().await.map_err(fault)?;
        conn.query_drop(sql).await.map_err(fault)?;
        drop(conn);
        self.columns = self.read_columns().await?;
        Ok(())
    }

    pub async fn write(&mut self, batch: &[Item]) -> Result<(), Fault> {
        let columns = self.columns.clone().ok_or_else(|| Fault::Permanent("table not created".into()))?;
        let names: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let mut updates: Vec<String> =
            names.iter().filter(|n| *n != "`url`").map(|n| format!("{n} = VALUES({n})")).collect();
        if updates.is_empty() {
            updates.push("`url` = `url`".into());
        }
        let row = format!("({})", vec!["?"; names.len()].join(", "));
        let mut conn = self.pool.get_conn().await.map_err(fault)?;
        for chunk in statement_chunks(batch, names.len(), MAX_PARAMS) {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {} ON DUPLICATE KEY UPDATE {}",
                ident(&self.table),
                names.join(", "),
                vec![row.as_str(); chunk.len()].join(", "),
                updates.join(", ")
            );
            let params: Vec<Sql> = chunk
                .iter()
                .flat_map(|item| {
                    columns.iter().map(|c| match Cell::of(item.get(c)) {
                        Cell::Null => Sql::NULL,
                        Cell::Int(i) => Sql::Int(i),
                        Cell::Float(f) => Sql::Double(f),
                        Cell::Text(s) => Sql::Bytes(s.into_bytes()),
                    })
                })
                .collect();
            // Kept in the connection's statement cache (32, LRU): chunk sizes are powers of
            // two, so a table needs at most ~10 statements whatever the batch sizes.
            conn.exec_drop(sql, Params::Positional(params)).await.map_err(fault)?;
        }
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.pool.disconnect().await;
    }
}

/// Connection trouble, deadlocks, lock waits and a server going away are worth another try;
/// bad credentials, a missing database or column, a value too long are not.
fn fault(e: mysql_async::Error) -> Fault {
    use mysql_async::{DriverError, Error};
    let transient = match &e {
        Error::Io(_) => true,
        Error::Driver(d) => matches!(d, DriverError::ConnectionClosed | DriverError::PoolDisconnected),
        Error::Server(s) => matches!(s.code, 1040 | 1053 | 1205 | 1213 | 1927 | 2006 | 2013),
        _ => false,
    };
    let reason = format!("MySQL: {e}");
    if transient {
        Fault::Transient(reason)
    } else {
        Fault::Permanent(reason)
    }
}
