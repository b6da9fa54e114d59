//! Reading CSV input files: a header row naming the columns a command needs (any order, extra
//! columns ignored), an optional UTF-8 byte-order mark, one record a row. The batch file needs
//! `case_number`, `id_number` and `name` (one debtor a row); `case import` more
//! ([`read_table`]). A bad row is reported with its line number; nothing is sent until the
//! whole file is good.

use std::fmt;
use std::path::Path;

use crate::error::CliError;

/// One debtor to search, with the file line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtorRow {
    pub line: u64,
    pub case_number: String,
    pub id_number: String,
    pub name: String,
}

/// Why the file cannot be used; `line` is 1-based when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

const COLUMNS: [&str; 3] = ["case_number", "id_number", "name"];
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads and parses the batch file; any problem is an input error naming the file.
pub fn read_file(path: &Path) -> Result<Vec<DebtorRow>, CliError> {
    let bytes = read_bytes(path)?;
    parse(&bytes).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}

/// Reads a CSV file with `columns`: each row's line and values, in `columns` order.
pub fn read_table(path: &Path, columns: &[&str]) -> Result<Vec<(u64, Vec<String>)>, CliError> {
    let bytes = read_bytes(path)?;
    parse_table(&bytes, columns).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))
}

/// Parses the batch file's CSV text.
pub fn parse(bytes: &[u8]) -> Result<Vec<DebtorRow>, CsvError> {
    Ok(parse_table(bytes, &COLUMNS)?
        .into_iter()
        .map(|(line, mut values)| {
            let name = values.pop().unwrap_or_default();
            let id_number = values.pop().unwrap_or_default();
            let case_number = values.pop().unwrap_or_default();
            DebtorRow {
                line,
                case_number,
                id_number,
                name,
            }
        })
        .collect())
}

/// Parses CSV text with a header naming every one of `columns`; no value may be empty.
pub fn parse_table(bytes: &[u8], columns: &[&str]) -> Result<Vec<(u64, Vec<String>)>, CsvError> {
    let data = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(data);
    let mut lines = LineCounter::new(data);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(e, &mut lines))?
        .clone();
    if headers.is_empty() {
        return Err(CsvError {
            line: None,
            message: format!(
                "the file is empty; it needs a header row {}",
                columns.join(",")
            ),
        });
    }
    let mut positions = vec![0usize; columns.len()];
    for (slot, wanted) in positions.iter_mut().zip(columns) {
        let found: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.eq_ignore_ascii_case(wanted))
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [one] => *slot = *one,
            [] => {
                return Err(CsvError {
                    line: Some(1),
                    message: format!(
                        "the header row has no {wanted:?} column (expected {}, found {})",
                        columns.join(","),
                        headers.iter().collect::<Vec<_>>().join(",")
                    ),
                })
            }
            _ => {
                return Err(CsvError {
                    line: Some(1),
                    message: format!("the header row names {wanted:?} more than once"),
                })
            }
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(e, &mut lines))?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        let values: Vec<String> = positions
            .iter()
            .map(|&i| record.get(i).unwrap_or("").to_string())
            .collect();
        for (value, column) in values.iter().zip(columns) {
            if value.is_empty() {
                return Err(CsvError {
                    line: Some(line),
                    message: format!("{column} is empty"),
                });
            }
        }
        rows.push((line, values));
    }
    if rows.is_empty() {
        return Err(CsvError {
            line: None,
            message: "no records: the file has only a header row".to_string(),
        });
    }
    Ok(rows)
}

/// File line numbers from byte offsets. The csv crate's own line count goes wrong with CRLF
/// line ends (Excel exports) and blank lines, so lines are counted here.
struct LineCounter<'a> {
    data: &'a [u8],
    /// Offset up to which newlines have been counted, and how many there were.
    offset: usize,
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineCounter {
            data,
            offset: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the record the reader reports at `byte`: the reader's offset may
    /// point at line ends (and blank lines) before the record, so those are skipped first.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while let Some(b'\r' | b'\n') = self.data.get(start) {
            start += 1;
        }
        if start < self.offset {
            // Offsets only grow while reading; count afresh if not.
            self.offset = 0;
            self.newlines = 0;
        }
        let counted = self
            .data
            .get(self.offset..start)
            .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
        self.newlines += counted as u64;
        self.offset = start;
        self.newlines + 1
    }
}

fn csv_error(e: csv::Error, lines: &mut LineCounter<'_>) -> CsvError {
    let line = e.position().map(|p| lines.line_at(p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields like the header row, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    };
    CsvError { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, case: &str, id: &str, name: &str) -> DebtorRow {
        DebtorRow {
            line,
            case_number: case.into(),
            id_number: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn plain_file() {
        let text = "case_number,id_number,name\n\
                    (2024)鄂0116执1234号,11010519491231002X,张三\n\
                    (2024)鄂0116执1235号, 91350100M000100Y43 ,\"某某有限公司, 武汉\"\n";
        assert_eq!(
            parse(text.as_bytes()),
            Ok(vec![
                row(2, "(2024)鄂0116执1234号", "11010519491231002X", "张三"),
                row(
                    3,
                    "(2024)鄂0116执1235号",
                    "91350100M000100Y43",
                    "某某有限公司, 武汉"
                ),
            ])
        );
    }

    #[test]
    fn bom_crlf_reordered_columns_and_blank_lines() {
        let text = "\u{FEFF}Name,case_number,id_number,note\r\n\
                    \r\n\
                    张三,(2024)鄂0116执1号,11010519491231002X,x\r\n";
        assert_eq!(
            parse(text.as_bytes()),
            Ok(vec![row(
                3,
                "(2024)鄂0116执1号",
                "11010519491231002X",
                "张三"
            )])
        );
    }

    #[test]
    fn line_numbers_survive_crlf_blank_lines_and_quoted_newlines() {
        let text = "case_number,id_number,name\r\n\r\nc1,i1,n1\r\nc2,i2,\"two\r\nlines\"\r\n\r\nc3,i3,n3\r\nc4,i4\r\n";
        let err = parse(text.as_bytes()).expect_err("bad row");
        assert_eq!(
            err.to_string(),
            "line 8: expected 3 fields like the header row, found 2"
        );
        let good = &text[..text.len() - "c4,i4\r\n".len()];
        let rows = parse(good.as_bytes()).expect("good rows");
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 7]);
        assert_eq!(rows[1].name, "two\r\nlines");
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        let text = "case_number,id_number,name\nc1,i1,n1\nc2,i2\n";
        let err = parse(text.as_bytes()).expect_err("bad row");
        assert_eq!(err.line, Some(3));
        assert_eq!(
            err.to_string(),
            "line 3: expected 3 fields like the header row, found 2"
        );
    }

    #[test]
    fn empty_field_names_the_line_and_column() {
        let text = "case_number,id_number,name\nc1,i1,n1\nc2, ,n2\n";
        let err = parse(text.as_bytes()).expect_err("bad row");
        assert_eq!(err.to_string(), "line 3: id_number is empty");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let mut bytes = b"case_number,id_number,name\nc1,i1,".to_vec();
        bytes.extend_from_slice(&[0xFF, 0xFE]);
        bytes.push(b'\n');
        let err = parse(&bytes).expect_err("bad row");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("field 3 is not valid UTF-8"));
    }

    #[test]
    fn header_problems() {
        let err = parse(b"case,id_number,name\nc,i,n\n").expect_err("bad header");
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("no \"case_number\" column"));
        let err = parse(b"name,case_number,id_number,name\n").expect_err("dup");
        assert!(err.message.contains("more than once"));
        let err = parse(b"").expect_err("empty");
        assert!(err.message.contains("empty"));
        let err = parse(b"\xEF\xBB\xBFcase_number,id_number,name\n").expect_err("no rows");
        assert!(err.message.contains("only a header row"));
    }
}
