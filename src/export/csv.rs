//! CSV: UTF-8 with a byte order mark, so Excel shows Korean as Korean.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Cell;
use crate::domain::report::Words;

pub struct CsvSink {
    writer: csv::Writer<BufWriter<File>>,
    path: PathBuf,
}

impl CsvSink {
    pub fn create(dir: &Path, words: &Words) -> anyhow::Result<Self> {
        let path = dir.join("report.csv");
        let mut file = BufWriter::with_capacity(
            256 * 1024,
            File::create(&path).context("creating the CSV file")?,
        );
        file.write_all("\u{feff}".as_bytes())?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(words.headers)?;
        Ok(Self { writer, path })
    }

    pub fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        let fields = row.iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Int(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Text(s) => neutralize(s),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        });
        self.writer.write_record(fields)?;
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<PathBuf> {
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("flushing the CSV file: {}", e.error()))?;
        file.flush()?;
        file.get_ref().sync_all()?;
        Ok(self.path)
    }
}

/// Text that Excel would run as a formula (`=`, `+`, `-`, `@` first) gets a
/// leading apostrophe: an inspector's note must not become a command.
fn neutralize(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{Locale, ReportKind};

    #[test]
    fn starts_with_a_bom_and_neutralizes_formulas() {
        let dir = tempfile::tempdir().unwrap();
        let words = ReportKind::Results.words(Locale::Ko);
        let mut sink = CsvSink::create(dir.path(), &words).unwrap();
        let mut row = vec![
            Cell::Int(1),
            Cell::Text("=HYPERLINK(\"x\")".into()),
            Cell::Number(1.5),
        ];
        row.resize(words.headers.len(), Cell::Empty);
        sink.write_row(&row).unwrap();
        let path = sink.finish().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with("\u{feff}일정 ID,"));
        let expected = "\r\n1,\"'=HYPERLINK(\"\"x\"\")\",1.5,,";
        assert!(text.contains(expected), "{text}");
    }
}
