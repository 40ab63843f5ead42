//! The land-class table (GB/T 21010-2017 with the 三调 working codes), loaded from
//! `data/land_classes.tsv` — the one place the engine learns what a `DLBM` code means.

use std::sync::OnceLock;

/// What a land class counts as in the redline metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LandCategory {
    /// Cultivated land (耕地: 0101, 0102, 0103); also agricultural.
    Cultivated,
    /// Agricultural land (农用地) that is not cultivated.
    Agricultural,
    /// Construction land (建设用地, "J").
    Construction,
    /// Unused land (未利用地, "W").
    Unused,
}

impl LandCategory {
    fn from_letter(letter: &str) -> Option<Self> {
        match letter {
            "C" => Some(Self::Cultivated),
            "N" => Some(Self::Agricultural),
            "J" => Some(Self::Construction),
            "W" => Some(Self::Unused),
            _ => None,
        }
    }

    /// True for cultivated and other agricultural land (the "N" total of the summaries).
    pub fn is_agricultural(self) -> bool {
        matches!(self, Self::Cultivated | Self::Agricultural)
    }

    /// The letter used in the table and the summaries: C, N, J or W.
    pub fn letter(self) -> char {
        match self {
            Self::Cultivated => 'C',
            Self::Agricultural => 'N',
            Self::Construction => 'J',
            Self::Unused => 'W',
        }
    }
}

/// A land-class code (`DLBM`, e.g. `0101`, `1107A`), kept inline in eight bytes: every parcel
/// carries one, and the 24-byte inline string it was took 15 MiB more at a million parcels.
/// Codes are printable ASCII of 1 to [`ClassCode::MAX_LEN`] bytes (GB/T 21010 codes and the
/// 三调 working codes have four or five; a job's own codes are checked to fit).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassCode([u8; ClassCode::MAX_LEN]);

impl ClassCode {
    /// The longest code kept.
    pub const MAX_LEN: usize = 8;

    /// The code, or `None` for text that is empty, longer than [`ClassCode::MAX_LEN`] bytes,
    /// or not printable ASCII.
    pub fn new(code: &str) -> Option<ClassCode> {
        let bytes = code.as_bytes();
        let fits =
            (1..=Self::MAX_LEN).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic);
        fits.then(|| {
            let mut inline = [0; Self::MAX_LEN];
            inline[..bytes.len()].copy_from_slice(bytes);
            ClassCode(inline)
        })
    }

    /// The code as text.
    #[inline]
    pub fn as_str(&self) -> &str {
        // The padding is zero bytes after the code, the high bytes of a little-endian word
        // (a loop over the bytes, at every lookup of a parcel's class, was 1 % of a run).
        let padding = u64::from_le_bytes(self.0).leading_zeros() as usize / 8;
        let len = Self::MAX_LEN - padding;
        // Only ASCII is ever stored (`new`): the fallback is never taken.
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }
}

impl std::ops::Deref for ClassCode {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ClassCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for ClassCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for ClassCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for ClassCode {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ClassCode {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One land class: its code, Chinese name and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandClass {
    /// The DLBM code, e.g. `0101`.
    pub code: ClassCode,
    /// The Chinese name, e.g. `水田`.
    pub name: String,
    /// What it counts as.
    pub category: LandCategory,
}

/// The first-level group of a class code: its first two characters (`0101` → `01`); a shorter
/// code is its own group rather than a panic.
pub fn first_level(code: &str) -> &str {
    code.char_indices()
        .nth(2)
        .map_or(code, |(end, _)| &code[..end])
}

impl LandClass {
    /// The first-level group: the first two characters of the code (`01` … `12`).
    pub fn group(&self) -> &str {
        first_level(&self.code)
    }

    /// True for `0101` 水田 (paddy), counted separately in the balance ledger.
    pub fn is_paddy(&self) -> bool {
        self.code == "0101"
    }
}

/// The table of valid land classes, keyed by code.
#[derive(Debug, Clone)]
pub struct LandClassTable {
    classes: crate::FastMap<String, LandClass>,
}

const TABLE_TSV: &str = include_str!("../data/land_classes.tsv");

impl LandClassTable {
    /// The built-in table (GB/T 21010-2017 + 三调 codes), shared and parsed once.
    pub fn builtin() -> &'static LandClassTable {
        static TABLE: OnceLock<LandClassTable> = OnceLock::new();
        TABLE.get_or_init(|| Self::parse(TABLE_TSV))
    }

    /// Parses a table in the `land_classes.tsv` format (`code<TAB>C|N|J|W<TAB>name`, `#` comments).
    /// Lines that do not fit the format are skipped; the built-in table is checked by a test.
    pub fn parse(text: &str) -> LandClassTable {
        let classes = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let text = cols.next()?.trim();
                let code = ClassCode::new(text).filter(|_| text.len() >= 2)?;
                let category = LandCategory::from_letter(cols.next()?.trim())?;
                let name = cols.next().unwrap_or("").trim().to_string();
                let class = LandClass {
                    code,
                    name,
                    category,
                };
                Some((text.to_string(), class))
            })
            .collect();
        LandClassTable { classes }
    }

    /// The class of a code; leading/trailing blanks are ignored. `None` means unknown: a data
    /// error for the feature that carries it.
    pub fn get(&self, code: &str) -> Option<&LandClass> {
        self.classes.get(code.trim())
    }

    /// Changes the category of a code (a job's override), adding the code when it is new.
    pub fn set_category(&mut self, code: ClassCode, category: LandCategory) {
        self.classes
            .entry(code.to_string())
            .and_modify(|c| c.category = category)
            .or_insert_with(|| LandClass {
                code,
                name: String::new(),
                category,
            });
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when the table has no classes.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Every class, sorted by code.
    pub fn iter_sorted(&self) -> Vec<&LandClass> {
        let mut all: Vec<_> = self.classes.values().collect();
        all.sort_by_key(|c| c.code);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The construction rule of docs/metrics.md §2, written out independently of the table:
    /// `^(05|06|07|08|09|100[1-5]|100[7-9]|1109|1201)` plus the merged 三调 codes and 1107A.
    fn spec_is_construction(code: &str) -> bool {
        let prefix2 = ["05", "06", "07", "08", "09"];
        let exact4 = [
            "1001", "1002", "1003", "1004", "1005", "1007", "1008", "1009", "1109", "1201",
        ];
        prefix2.iter().any(|p| code.starts_with(p))
            || exact4.iter().any(|p| code.starts_with(p))
            || code == "1107A"
    }

    #[test]
    fn every_line_of_the_table_parses() {
        let rows = TABLE_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(LandClassTable::builtin().len(), rows);
        assert!(rows > 90);
    }

    #[test]
    fn table_matches_the_spec_rules() {
        let table = LandClassTable::builtin();
        for class in table.iter_sorted() {
            let code = class.code.as_str();
            let expect_cultivated = matches!(code, "0101" | "0102" | "0103");
            assert_eq!(
                class.category == LandCategory::Cultivated,
                expect_cultivated,
                "{code}"
            );
            assert_eq!(
                class.category == LandCategory::Construction,
                spec_is_construction(code),
                "{code}"
            );
        }
        let unused = [
            "0404", "1101", "1102", "1105", "1106", "1108", "1110", "1204", "1205", "1206", "1207",
            "1208",
        ];
        for code in unused {
            assert_eq!(
                table.get(code).map(|c| c.category),
                Some(LandCategory::Unused),
                "{code}"
            );
        }
        for code in [
            "1006", "1103", "1104", "1104A", "1107", "1202", "1203", "0201K", "1104K",
        ] {
            assert_eq!(
                table.get(code).map(|c| c.category),
                Some(LandCategory::Agricultural)
            );
        }
    }

    #[test]
    fn unknown_codes_and_groups() {
        let table = LandClassTable::builtin();
        assert!(table.get("9999").is_none());
        assert!(table.get("").is_none());
        let paddy = table
            .get(" 0101 ")
            .map(|c| (c.group().to_string(), c.is_paddy()));
        assert_eq!(paddy, Some(("01".to_string(), true)));
        assert_eq!(table.get("08H2A").map(|c| c.group()), Some("08"));
    }

    #[test]
    fn class_codes_are_inline_ascii_of_one_to_eight_bytes() {
        let code = ClassCode::new("1107A").unwrap();
        assert_eq!((code.as_str(), code.len()), ("1107A", 5));
        assert_eq!(code, "1107A");
        assert_eq!(format!("{code} {code:?}"), "1107A \"1107A\"");
        assert_eq!(ClassCode::new("12345678").unwrap().as_str(), "12345678");
        for bad in ["", "123456789", "01 1", "０１０１", "01\0"] {
            assert_eq!(ClassCode::new(bad), None, "{bad:?}");
        }
        assert!(ClassCode::new("0101") < ClassCode::new("0102"));
        assert!(
            ClassCode::new("01") < ClassCode::new("0101"),
            "ordered as text"
        );
        assert_eq!(std::mem::size_of::<ClassCode>(), 8);
    }

    #[test]
    fn overrides_change_membership() {
        let mut table = LandClassTable::builtin().clone();
        let code = |c| ClassCode::new(c).unwrap();
        table.set_category(code("1107A"), LandCategory::Agricultural);
        table.set_category(code("1299"), LandCategory::Unused);
        assert_eq!(
            table.get("1107A").map(|c| c.category),
            Some(LandCategory::Agricultural)
        );
        assert_eq!(
            table.get("1299").map(|c| c.category),
            Some(LandCategory::Unused)
        );
    }
}
