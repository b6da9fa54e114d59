//! Plain-text building blocks: aligned tables (CJK-aware), money in yuan from integer fen,
//! areas, durations, and text made safe for a terminal.

/// How a column's cells are padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table of text cells rendered with columns aligned by display width.
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            columns: columns
                .iter()
                .map(|(name, align)| (name.to_string(), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row. Cells are made terminal-safe; missing cells are empty, extra ones dropped.
    pub fn push(&mut self, cells: Vec<String>) {
        let mut row: Vec<String> = cells.iter().map(|c| sanitize(c)).collect();
        row.resize(self.columns.len(), String::new());
        self.rows.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The header line followed by one line per row, without trailing spaces.
    pub fn lines(&self) -> Vec<String> {
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|(name, _)| display_width(name))
            .collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(display_width(cell));
            }
        }
        let header: Vec<String> = self.columns.iter().map(|(name, _)| name.clone()).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&self.columns)
                    .zip(&widths)
                    .map(|((cell, (_, align)), width)| pad(cell, *width, *align))
                    .collect();
                cells.join("  ").trim_end().to_string()
            })
            .collect()
    }
}

/// Pads `text` with spaces to `width` terminal columns.
pub fn pad(text: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(text)));
    match align {
        Align::Left => format!("{text}{fill}"),
        Align::Right => format!("{fill}{text}"),
    }
}

/// Terminal columns `text` takes: East Asian wide characters (汉字, full-width forms) count 2.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let cp = u32::from(c);
    if c.is_control() {
        return 0;
    }
    let zero = matches!(cp, 0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F);
    if zero {
        return 0;
    }
    let wide = matches!(
        cp,
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD
    );
    if wide {
        2
    } else {
        1
    }
}

/// Text from the network made safe to print: line breaks and tabs become spaces, other control
/// characters (escape sequences) and bidirectional overrides become U+FFFD.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Like [`sanitize`], but keeps line breaks (multi-line error messages).
pub fn sanitize_multiline(text: &str) -> String {
    text.split('\n')
        .map(sanitize)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Groups the digits of a non-negative integer in thousands: `1234567` → `"1,234,567"`.
pub fn group_digits(value: u128) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// An amount in fen as yuan with two decimals and thousands separators, exactly (integer
/// arithmetic only): `1234567` → `"12,345.67"`, `-5` → `"-0.05"`.
pub fn yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", group_digits(abs / 100), abs % 100)
}

/// An amount in minor units of `currency` with its code: `30,000.00 CNY`, `1,200 JPY`, exactly
/// (decimals as the currency has them).
pub fn money_in(minor: i64, currency: &str) -> String {
    let digits = assethub_client::currency::minor_digits(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = u128::from(minor.unsigned_abs());
    let unit = 10u128.pow(digits);
    let whole = group_digits(abs / unit);
    let code = sanitize(currency);
    if digits == 0 {
        format!("{sign}{whole} {code}")
    } else {
        let fraction = abs % unit;
        format!(
            "{sign}{whole}.{fraction:0width$} {code}",
            width = digits as usize
        )
    }
}

/// An area in hundredths of a square metre: `8950` → `"89.50 m²"`.
pub fn area(centi_m2: u64) -> String {
    format!(
        "{}.{:02} m²",
        group_digits(u128::from(centi_m2 / 100)),
        centi_m2 % 100
    )
}

/// A duration in milliseconds, short: `850ms`, `12.3s`, `4m05s`, `2h03m`, `1d02h`.
pub fn duration_ms(ms: u64) -> String {
    const SEC: u64 = 1_000;
    const MIN: u64 = 60 * SEC;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    if ms < SEC {
        format!("{ms}ms")
    } else if ms < MIN {
        format!("{}.{}s", ms / SEC, (ms % SEC) / 100)
    } else if ms < HOUR {
        format!("{}m{:02}s", ms / MIN, (ms % MIN) / SEC)
    } else if ms < DAY {
        format!("{}h{:02}m", ms / HOUR, (ms % HOUR) / MIN)
    } else {
        format!("{}d{:02}h", ms / DAY, (ms % DAY) / HOUR)
    }
}

/// `"1 attempt"` / `"2 attempts"`-style counting.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_from_fen_is_exact() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan(100), "1.00");
        assert_eq!(yuan(123_456), "1,234.56");
        assert_eq!(yuan(-123_456_789), "-1,234,567.89");
        assert_eq!(yuan(99_999), "999.99");
        assert_eq!(yuan(100_000), "1,000.00");
        assert_eq!(money_in(3_000_000, "CNY"), "30,000.00 CNY");
        assert_eq!(money_in(341_574_889, "USD"), "3,415,748.89 USD");
        assert_eq!(money_in(1_200, "JPY"), "1,200 JPY");
        assert_eq!(money_in(-1_234, "KWD"), "-1.234 KWD");
        // Beyond f64's exact range: still exact.
        assert_eq!(yuan(i128::from(i64::MAX)), "92,233,720,368,547,758.07");
        assert_eq!(yuan(i128::from(i64::MIN)), "-92,233,720,368,547,758.08");
        assert_eq!(yuan(9_007_199_254_740_993), "90,071,992,547,409.93");
    }

    #[test]
    fn areas_and_durations() {
        assert_eq!(area(8950), "89.50 m²");
        assert_eq!(area(5), "0.05 m²");
        assert_eq!(area(1_234_567), "12,345.67 m²");
        assert_eq!(duration_ms(0), "0ms");
        assert_eq!(duration_ms(999), "999ms");
        assert_eq!(duration_ms(12_345), "12.3s");
        assert_eq!(duration_ms(245_000), "4m05s");
        assert_eq!(duration_ms(7_380_000), "2h03m");
        assert_eq!(duration_ms(93_600_000), "1d02h");
    }

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("张三"), 4);
        assert_eq!(display_width("（2024）鄂0116执1号"), 19);
        assert_eq!(display_width("¥1.00 m²"), 8);
    }

    #[test]
    fn table_aligns_by_display_width() {
        let mut t = Table::new(&[("NAME", Align::Left), ("AMOUNT", Align::Right)]);
        t.push(vec!["张三".into(), "1.00".into()]);
        t.push(vec!["Bob Smith".into(), "1,000.00".into()]);
        assert_eq!(
            t.lines(),
            vec![
                "NAME         AMOUNT",
                "张三           1.00",
                "Bob Smith  1,000.00",
            ]
        );
    }

    #[test]
    fn network_text_is_defanged() {
        assert_eq!(sanitize("a\x1b[31mb\nc"), "a\u{FFFD}[31mb c");
        assert_eq!(sanitize("x\u{202E}y"), "x\u{FFFD}y");
        let mut t = Table::new(&[("A", Align::Left)]);
        t.push(vec!["\x07bell".into()]);
        assert_eq!(t.lines()[1], "\u{FFFD}bell");
    }
}
