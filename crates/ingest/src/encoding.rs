//! DBF text encodings: the `.cpg` file, the DBF language-driver byte, and user overrides.

use encoding_rs::{Encoding, BIG5, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_8, WINDOWS_1252};

/// The encoding chosen for a DBF file and where the choice came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbfEncoding {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// `override`, `.cpg`, `language driver 0x4D`, or `default`.
    pub source: &'static str,
}

/// An encoding from a name as it appears in `.cpg` files, job files and on the command line:
/// `UTF-8`, `936`, `CP936`, `GBK`, `GB2312`, `GB18030`, `1252`, `latin1`, `BIG5` … `ANSI` is not
/// an encoding (it means "the writer's code page") and gives `None`.
pub fn encoding_by_name(name: &str) -> Option<&'static Encoding> {
    let key: String = name
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    let key = key
        .strip_prefix("ANSI")
        .filter(|k| !k.is_empty())
        .unwrap_or(&key);
    match key {
        "UTF8" | "65001" => Some(UTF_8),
        "936" | "CP936" | "GBK" | "GB2312" | "GB231280" | "EUCCN" | "MS936" | "WINDOWS936" => {
            Some(GBK)
        }
        "GB18030" | "54936" => Some(GB18030),
        "1252" | "CP1252" | "WINDOWS1252" | "LATIN1" | "ISO88591" | "88591" => Some(WINDOWS_1252),
        "950" | "CP950" | "BIG5" => Some(BIG5),
        "932" | "CP932" | "SHIFTJIS" | "SJIS" => Some(SHIFT_JIS),
        "949" | "CP949" | "EUCKR" => Some(EUC_KR),
        "ANSI" | "" => None,
        _ => Encoding::for_label(name.trim().as_bytes()),
    }
}

/// The encoding a DBF language-driver id (header byte 29) stands for, where it names one.
pub(crate) fn encoding_of_language_driver(ldid: u8) -> Option<&'static Encoding> {
    match ldid {
        0x4D | 0x7A => Some(GBK),       // 936 Chinese (PRC)
        0x4F | 0x78 => Some(BIG5),      // 950 Chinese (Taiwan)
        0x13 | 0x7B => Some(SHIFT_JIS), // 932 Japanese
        0x4E | 0x79 => Some(EUC_KR),    // 949 Korean
        0x03 | 0x57 | 0x58 | 0x59 => Some(WINDOWS_1252),
        _ => None,
    }
}

/// Whether a `.cpg` text deliberately names no encoding (`ANSI`: the writer's code page; empty).
pub(crate) fn names_none(name: &str) -> bool {
    let name = name.trim().trim_start_matches('\u{feff}').trim();
    matches!(name.to_ascii_uppercase().as_str(), "ANSI" | "")
}

/// Chooses the encoding: an override, else a `.cpg` that names one, else the language driver,
/// else UTF-8 (whose decoding failures then become data issues that suggest an override).
pub(crate) fn choose(
    override_name: Option<&'static Encoding>,
    cpg: Option<&str>,
    ldid: u8,
) -> DbfEncoding {
    if let Some(encoding) = override_name {
        return DbfEncoding {
            encoding,
            source: "override",
        };
    }
    if let Some(encoding) = cpg.and_then(encoding_by_name) {
        return DbfEncoding {
            encoding,
            source: ".cpg",
        };
    }
    if let Some(encoding) = encoding_of_language_driver(ldid) {
        return DbfEncoding {
            encoding,
            source: "language driver",
        };
    }
    DbfEncoding {
        encoding: UTF_8,
        source: "default",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_found_in_cpg_files() {
        for name in [
            "936", "CP936", "cp936", "GBK", "GB2312", "ANSI 936", " gbk\r\n",
        ] {
            assert_eq!(encoding_by_name(name), Some(GBK), "{name}");
        }
        assert_eq!(encoding_by_name("UTF-8"), Some(UTF_8));
        assert_eq!(encoding_by_name("GB18030"), Some(GB18030));
        assert_eq!(encoding_by_name("ANSI"), None);
        assert_eq!(encoding_by_name("no-such-thing"), None);
    }

    #[test]
    fn choice_order() {
        assert_eq!(choose(Some(GB18030), Some("UTF-8"), 0x4D).encoding, GB18030);
        assert_eq!(choose(None, Some("UTF-8"), 0x4D).encoding, UTF_8);
        assert_eq!(choose(None, Some("ANSI"), 0x4D).source, "language driver");
        assert_eq!(choose(None, None, 0x00).source, "default");
    }
}
