//! Finding the CJK font a notice is printed in: a configured path (`[notices] font`), or
//! Debian's packages at their usual paths. The font is not bundled (CJK fonts are 5-20 MB);
//! the PDF embeds only the subset of glyphs a notice uses. No rendering here.

use skrifa::MetadataProvider as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where Debian's CJK fonts live, in order of preference.
pub const CANDIDATES: [&str; 6] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// The largest font file read (the biggest Noto CJK collection is about 30 MB).
pub const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    #[error(
        "no CJK font found (looked at {0}): install Debian's fonts-wqy-microhei (or fonts-noto-cjk), \
         or set [notices] font to a TrueType/OpenType font with Chinese glyphs"
    )]
    NotFound(String),
    #[error("cannot read the font {path}: {why}")]
    Unreadable { path: String, why: String },
}

/// A CJK font loaded in memory (the first face of a collection).
#[derive(Clone)]
pub struct CjkFont {
    pub(crate) data: Arc<Vec<u8>>,
    path: PathBuf,
}

impl std::fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFont").field("path", &self.path).finish()
    }
}

impl CjkFont {
    /// The configured font, or the first of [`CANDIDATES`] present.
    pub fn locate(configured: Option<&Path>) -> Result<Self, FontError> {
        if let Some(path) = configured {
            return Self::load(path);
        }
        match CANDIDATES.iter().map(Path::new).find(|p| p.is_file()) {
            Some(path) => Self::load(path),
            None => Err(FontError::NotFound(CANDIDATES.join(", "))),
        }
    }

    /// Loads a font file and checks it holds the glyphs of a notice's title.
    pub fn load(path: &Path) -> Result<Self, FontError> {
        let unreadable = |why: String| FontError::Unreadable {
            path: path.display().to_string(),
            why,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| unreadable(e.to_string()))?
            .len();
        if size > MAX_FONT_BYTES {
            return Err(unreadable(format!("{size} bytes, more than any CJK font")));
        }
        let data = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        let font = Self {
            data: Arc::new(data),
            path: path.to_path_buf(),
        };
        font.krilla()
            .ok_or_else(|| unreadable("not a TrueType/OpenType font".into()))?;
        let face = skrifa::FontRef::from_index(&font.data, 0)
            .map_err(|e| unreadable(format!("not a TrueType/OpenType font ({e})")))?;
        // The notice's words must not come out as empty boxes.
        let missing: Vec<char> = "协助执行通知书查询冻结查封"
            .chars()
            .filter(|c| face.charmap().map(*c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(unreadable(format!(
                "it has no glyphs for {}",
                missing.iter().collect::<String>()
            )));
        }
        Ok(font)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The width of `text` at `size` points (advance widths; missing glyphs count one em).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = skrifa::FontRef::from_index(&self.data, 0) else {
            return size * text.chars().count() as f32;
        };
        let metrics = face.glyph_metrics(
            skrifa::instance::Size::new(size),
            skrifa::instance::LocationRef::default(),
        );
        let charmap = face.charmap();
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size)
            })
            .sum()
    }

    pub(crate) fn krilla(&self) -> Option<krilla::text::Font> {
        krilla::text::Font::new(self.data.clone().into(), 0)
    }
}
