//! Writing report files: rows of typed cells into an XLSX workbook (rows
//! streamed to disk in constant memory, a summary sheet first) or a CSV
//! with a UTF-8 byte order mark. Blocking code: run it off the executor.

mod csv;
mod xlsx;

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::domain::report::{ReportFormat, Words};

/// One cell of a report row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    Number(f64),
    Text(String),
    /// Local wall-clock time of the site (Excel has no time zones).
    DateTime(NaiveDateTime),
}

/// A summary line: a label and its value.
pub type SummaryLine = (String, Cell);

/// A file being written.
pub enum Sink {
    Xlsx(Box<xlsx::XlsxSink>),
    Csv(Box<csv::CsvSink>),
}

impl Sink {
    /// Starts a file in `dir` with the header row (and, for XLSX, the
    /// summary sheet first, so it is what Excel opens on).
    pub fn create(
        format: ReportFormat,
        dir: &Path,
        words: &Words,
        summary: &[SummaryLine],
    ) -> anyhow::Result<Self> {
        Ok(match format {
            ReportFormat::Xlsx => {
                Self::Xlsx(Box::new(xlsx::XlsxSink::create(dir, words, summary)?))
            }
            ReportFormat::Csv => Self::Csv(Box::new(csv::CsvSink::create(dir, words)?)),
        })
    }

    pub fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        match self {
            Self::Xlsx(s) => s.write_row(row),
            Self::Csv(s) => s.write_row(row),
        }
    }

    /// Completes the file; returns its path.
    pub fn finish(self) -> anyhow::Result<PathBuf> {
        match self {
            Self::Xlsx(s) => s.finish(),
            Self::Csv(s) => s.finish(),
        }
    }
}
