//! File sinks: JSON lines or CSV, appended in batches (one `write` a batch). The offset after
//! each item is reported, so that a crawl with a state can truncate the file to what its
//! acknowledged pages wrote: after a kill and a resume each page's item is there once.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::backend::Fault;
use super::item::{Cell, Item};
use super::schema::Column;
use super::spec::FileFormat;

pub struct FileSink {
    path: PathBuf,
    format: FileFormat,
    file: File,
    /// Bytes in the file: where the next batch goes.
    offset: u64,
    /// CSV: the header's names once known (read from the file, or written by `create`).
    columns: Option<Vec<String>>,
}

impl FileSink {
    /// Opens for appending (creating the file and its folder), first cutting it to
    /// `truncate_to` when a resumed crawl says its acknowledged items end there.
    pub fn open(path: &Path, format: FileFormat, truncate_to: Option<u64>) -> io::Result<FileSink> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let mut len = file.metadata()?.len();
        if let Some(mark) = truncate_to.filter(|m| *m < len) {
            file.set_len(mark)?;
            len = mark;
        }
        let columns = match format {
            FileFormat::Csv if len > 0 => Some(read_header(&mut file)?),
            _ => None,
        };
        file.seek(SeekFrom::Start(len))?;
        Ok(FileSink { path: path.to_owned(), format, file, offset: len, columns })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// CSV: the header's columns once there is one; JSON lines take any field.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    pub fn needs_columns(&self) -> bool {
        self.format == FileFormat::Csv && self.columns.is_none()
    }

    /// CSV: writes the header row.
    pub fn create(&mut self, columns: &[Column]) -> Result<(), Fault> {
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let mut buf = Vec::new();
        csv_row(&mut buf, names.iter().map(String::as_str)).map_err(Fault::permanent)?;
        self.append(&buf).map_err(Fault::permanent)?;
        self.columns = Some(names);
        Ok(())
    }

    /// Appends the batch; returns the file's length after each item.
    pub fn write(&mut self, batch: &[Item]) -> Result<Vec<u64>, Fault> {
        let mut buf = Vec::with_capacity(batch.iter().map(|i| i.approx_bytes() + 8).sum());
        let mut ends = Vec::with_capacity(batch.len());
        for item in batch {
            match (self.format, &self.columns) {
                (FileFormat::JsonLines, _) => {
                    item.write_json(&mut buf);
                    buf.push(b'\n');
                }
                (FileFormat::Csv, Some(columns)) => {
                    let cells: Vec<String> = columns.iter().map(|c| Cell::of(item.get(c)).text()).collect();
                    csv_row(&mut buf, cells.iter().map(String::as_str)).map_err(Fault::permanent)?;
                }
                (FileFormat::Csv, None) => return Err(Fault::Permanent("CSV header not written".into())),
            }
            ends.push(self.offset + buf.len() as u64);
        }
        self.append(&buf).map_err(Fault::permanent)?;
        Ok(ends)
    }

    fn append(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)?;
        self.offset += buf.len() as u64;
        Ok(())
    }
}

fn csv_row<'a>(buf: &mut Vec<u8>, cells: impl Iterator<Item = &'a str>) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(buf);
    w.write_record(cells)?;
    w.flush()?;
    Ok(())
}

fn read_header(file: &mut File) -> io::Result<Vec<String>> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(file.take(1 << 20));
    let mut record = csv::StringRecord::new();
    reader.read_record(&mut record).map_err(io::Error::other)?;
    Ok(record.iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn item(url: &str, title: &str) -> Item {
        Item { fields: vec![("url".into(), Value::from(url)), ("title".into(), Value::from(title))] }
    }

    #[test]
    fn csv_header_then_rows_and_truncation() {
        let dir = std::env::temp_dir().join(format!("fc-sink-file-{}", std::process::id()));
        let path = dir.join("items.csv");
        let _ = std::fs::remove_file(&path);
        let mut f = FileSink::open(&path, FileFormat::Csv, None).unwrap();
        assert!(f.needs_columns());
        f.create(&[Column::text("url"), Column::text("title")]).unwrap();
        let ends = f.write(&[item("http://a/1", "one, \"quoted\""), item("http://a/2", "two")]).unwrap();
        assert_eq!(ends.last().copied(), Some(std::fs::metadata(&path).unwrap().len()));
        drop(f);
        // a resumed crawl whose state acknowledged only the first item
        let f = FileSink::open(&path, FileFormat::Csv, Some(ends[0])).unwrap();
        assert_eq!(f.columns().unwrap(), ["url", "title"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "url,title\nhttp://a/1,\"one, \"\"quoted\"\"\"\n");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
