//! Bounds of every text field a caller sends: the most characters it may hold and the class of
//! characters it may hold, checked at the edge before any parser sees the value, so a value
//! can neither be huge nor carry control characters, bidirectional overrides, path traversal
//! or markup into the ledger, the audit, an error text or an agency. Also the most entries of
//! a repeated enum field, and how long an error text may be.
//!
//! A leaf module: pure checks on `&str`, no I/O, nothing of the hub imported. Validators turn a
//! refusal into a field violation ([`crate::validate::bounded`]); whether a field is required
//! and what its value means (a case number's year, an identity number's check digit) stays
//! with them. An empty value is within every bound.

/// Most bytes of an error message the hub sends (`grpc-message`, a batch item's message).
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;
/// Most field violations one error carries; the message says how many more there were.
pub const MAX_FIELD_VIOLATIONS: usize = 10;

/// `text` cut to at most `max_bytes` bytes on a character boundary, ending in `…` when cut.
pub fn cut(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let room = max_bytes.saturating_sub('…'.len_utf8());
    let end = (0..=room)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &text[..end])
}

/// Most entries of a repeated enum field (`kinds`, `states`): there are a handful of values,
/// and repeating one is harmless, but not a hundred thousand times.
pub const MAX_ENUM_ENTRIES: usize = 16;

/// What characters a field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Case numbers and rulings (`(2024)鄂0116执1234号之一`): letters (Chinese included),
    /// digits and the brackets case numbers are written with: `()（）〔〕[]`.
    CaseNumber,
    /// Identity numbers and credit codes: ASCII letters and digits.
    IdNumber,
    /// Names of people and companies, officers: letters, digits and combining marks of any
    /// script, spaces (not line breaks) and `·・.,'’&-‐()（）`.
    Name,
    /// An asset as a search reported it (`bank-gongxin:6236…`, `realty-wuhan:鄂(2021)…号`,
    /// `pay-xinfu:2088…:BALANCE`): letters, digits and `:-_.#()（）`, never `..`.
    AssetRef,
    /// Accounts and order ids: ASCII letters, digits and `-`.
    Account,
    /// Opaque keys (idempotency keys, method names): printable ASCII without spaces.
    Key,
    /// Free text (reasons, audit filters): anything but control characters, bidirectional
    /// overrides and other invisible format characters.
    Text,
}

/// A field's bound: at most `max_chars` characters of `class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub max_chars: usize,
    pub class: Class,
}

impl Bound {
    const fn new(max_chars: usize, class: Class) -> Self {
        Self { max_chars, class }
    }

    /// `Ok` when `value` is within the bound, else what a caller should be told (never the
    /// value itself). Stops reading at the first character past the bound.
    pub fn check(&self, value: &str) -> Result<(), String> {
        if value.chars().nth(self.max_chars).is_some() {
            return Err(format!("is longer than {} characters", self.max_chars));
        }
        if value.chars().all(|c| self.class.allows(c)) && !self.class.forbids_text(value) {
            Ok(())
        } else {
            Err(format!("may hold only {}", self.class.describe()))
        }
    }
}

pub const CASE_NUMBER: Bound = Bound::new(40, Class::CaseNumber);
pub const RULING: Bound = Bound::new(48, Class::CaseNumber);
pub const ID_NUMBER: Bound = Bound::new(18, Class::IdNumber);
pub const DEBTOR_NAME: Bound = Bound::new(100, Class::Name);
pub const OFFICER: Bound = Bound::new(64, Class::Name);
pub const ASSET_REF: Bound = Bound::new(160, Class::AssetRef);
pub const ACCOUNT: Bound = Bound::new(64, Class::Account);
pub const ORDER_ID: Bound = Bound::new(80, Class::Account);
pub const IDEMPOTENCY_KEY: Bound = Bound::new(128, Class::Key);
pub const CURRENCY: Bound = Bound::new(3, Class::Account);
pub const REASON: Bound = Bound::new(200, Class::Text);
/// An off-line agency's reference (文书号 / 回执号) and where a written answer is kept.
pub const AGENCY_REF: Bound = Bound::new(128, Class::Text);
pub const DOCUMENT: Bound = Bound::new(200, Class::Text);
/// Audit list filters: at most what the audit stores of a field (256 bytes).
pub const AUDIT_FILTER: Bound = Bound::new(256, Class::Text);
pub const AUDIT_METHOD: Bound = Bound::new(120, Class::Key);

impl Class {
    fn allows(self, c: char) -> bool {
        match self {
            Self::CaseNumber => c.is_alphanumeric() || "()（）〔〕[]".contains(c),
            Self::IdNumber => c.is_ascii_alphanumeric(),
            Self::Name => {
                c.is_alphanumeric()
                    || unicode_normalization::char::is_combining_mark(c)
                    || (c.is_whitespace() && !c.is_control() && !is_line_break(c))
                    || "·・.,'’&-‐()（）".contains(c)
            }
            Self::AssetRef => c.is_alphanumeric() || ":-_.#()（）".contains(c),
            Self::Account => c.is_ascii_alphanumeric() || c == '-',
            Self::Key => c.is_ascii_graphic(),
            Self::Text => !c.is_control() && !is_invisible_format(c),
        }
    }

    /// Sequences refused even though each character is allowed.
    fn forbids_text(self, value: &str) -> bool {
        self == Self::AssetRef && value.contains("..")
    }

    fn describe(self) -> &'static str {
        match self {
            Self::CaseNumber => "letters, digits and the brackets ()（）〔〕[]",
            Self::IdNumber => "ASCII letters and digits",
            Self::Name => "letters, digits, spaces and ·・.,'’&-‐()（）",
            Self::AssetRef => "letters, digits and :-_.#()（）, without '..'",
            Self::Account => "ASCII letters, digits and '-'",
            Self::Key => "printable ASCII characters without spaces",
            Self::Text => "text without control or invisible formatting characters",
        }
    }
}

/// Line and paragraph separators, which are whitespace but not control characters.
fn is_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// Format characters that change how text reads without showing: soft hyphen, Arabic letter
/// mark, zero-width characters, bidirectional marks, embeddings, overrides and isolates,
/// invisible operators, the byte-order mark and interlinear annotation marks.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{61C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

#[cfg(test)]
mod tests;
