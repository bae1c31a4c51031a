//! XLSX with rust_xlsxwriter: a summary sheet, then the rows sheet written
//! in constant-memory mode (rows go to a temporary file as they come), with
//! a bold frozen header row, column widths, and real number and date cells.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use super::{Cell, SummaryLine};
use crate::domain::report::Words;

pub struct XlsxSink {
    workbook: Workbook,
    row: u32,
    date: Format,
    path: PathBuf,
}

/// Excel's last row.
const MAX_ROWS: u32 = 1_048_576;

impl XlsxSink {
    pub fn create(dir: &Path, words: &Words, summary: &[SummaryLine]) -> anyhow::Result<Self> {
        let mut workbook = Workbook::new();
        workbook
            .set_tempdir(dir)
            .context("using the temporary directory")?;
        let bold = Format::new().set_bold();
        let date = Format::new()
            .set_num_format("yyyy-mm-dd hh:mm")
            .set_align(FormatAlign::Left);
        let rate = Format::new().set_num_format("0.0%");

        let sheet = workbook.add_worksheet();
        sheet.set_name(words.summary_sheet)?;
        sheet.set_column_width(0, 28)?;
        sheet.set_column_width(1, 24)?;
        for (i, (label, value)) in summary.iter().enumerate() {
            let r = i as u32;
            sheet.write_string_with_format(r, 0, label, &bold)?;
            match value {
                Cell::Empty => {}
                Cell::Int(n) => {
                    sheet.write_number(r, 1, *n as f64)?;
                }
                Cell::Number(x) => {
                    sheet.write_number_with_format(r, 1, *x, &rate)?;
                }
                Cell::Text(s) => {
                    sheet.write_string(r, 1, s)?;
                }
                Cell::DateTime(t) => {
                    sheet.write_datetime_with_format(r, 1, t, &date)?;
                }
            }
        }

        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(words.rows_sheet)?;
        for (c, h) in words.headers.iter().enumerate() {
            // Wide enough for the header and typical values; dates need 17.
            let width = (h.chars().count() as f64 * 2.0).clamp(12.0, 40.0);
            sheet.set_column_width(c as u16, width)?;
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Self {
            workbook,
            row: 1,
            date,
            path: dir.join("report.xlsx"),
        })
    }

    pub fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        if self.row >= MAX_ROWS {
            anyhow::bail!(
                "more rows than an Excel sheet holds (1,048,576); choose a shorter period"
            );
        }
        let r = self.row;
        let sheet = self.workbook.worksheet_from_index(1)?;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Int(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Cell::Number(x) => {
                    sheet.write_number(r, c, *x)?;
                }
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::DateTime(t) => {
                    sheet.write_datetime_with_format(r, c, t, &self.date)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.workbook
            .save(&self.path)
            .context("saving the workbook")?;
        Ok(self.path)
    }
}
