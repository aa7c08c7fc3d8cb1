//! Text normalisation for Vietnamese names: NFC, one tone-mark convention, and an
//! accent-insensitive search key.
//!
//! Vietnamese is written with two conventions for where the tone mark sits in the syllables
//! `oa`, `oe` and `uy` ("Hoà" and "Hòa"). Names are stored in NFC with the newer convention
//! (mark on the first vowel: "Hòa"), and search compares keys with every mark removed.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The accent-insensitive search key of `text`: lower case, marks removed, `đ` → `d`, runs of
/// whitespace and punctuation collapsed to one space.
pub fn search_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !key.is_empty() {
                key.push(' ');
            }
            pending_space = false;
            key.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    key
}

/// `text` with every mark removed and `đ` → `d`, keeping case and spacing ("Lào Cai" → "Lao Cai").
pub fn ascii_name(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .collect()
}

/// The official unit types that prefix Vietnamese names, longest first.
const TYPE_PREFIXES: [&str; 9] = [
    "thành phố",
    "thị trấn",
    "đặc khu",
    "thị xã",
    "phường",
    "huyện",
    "quận",
    "tỉnh",
    "xã",
];

/// Splits a full official name into its unit type (lower case) and the bare name:
/// "Thành phố Hà Nội" → ("thành phố", "Hà Nội"). Names without a known prefix keep an empty type.
pub fn split_unit_type(full_name: &str) -> (String, String) {
    let name = normalise_name(full_name);
    for prefix in TYPE_PREFIXES {
        let len = prefix.len();
        if name.len() > len
            && name.is_char_boundary(len)
            && name[..len].to_lowercase() == prefix
            && name[len..].starts_with(' ')
        {
            return (prefix.to_string(), name[len..].trim().to_string());
        }
    }
    (String::new(), name)
}

/// `text` in NFC with tone marks placed by the newer convention ("Hoà" → "Hòa", "Thuỷ" → "Thủy").
pub fn normalise_name(text: &str) -> String {
    let decomposed: Vec<char> = text.trim().nfd().collect();
    let mut out: Vec<char> = Vec::with_capacity(decomposed.len());
    let mut i = 0;
    while i < decomposed.len() {
        out.push(decomposed[i]);
        if let Some(moved) = old_style_tone_at(&decomposed, i) {
            // decomposed[i] is the first vowel, decomposed[i + 1] the second, then the mark.
            out.push(moved.mark);
            out.push(decomposed[i + 1]);
            i += 3;
            continue;
        }
        i += 1;
    }
    out.into_iter().nfc().collect()
}

struct MovedTone {
    mark: char,
}

/// Where `chars[i..]` is an old-style `oa`/`oe`/`uy` ending a syllable with the tone on the second
/// vowel, the tone mark to move onto the first vowel.
fn old_style_tone_at(chars: &[char], i: usize) -> Option<MovedTone> {
    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{309}', '\u{303}', '\u{323}'];
    let first = chars[i].to_ascii_lowercase();
    let second = chars.get(i + 1)?.to_ascii_lowercase();
    let mark = *chars.get(i + 2)?;
    let pair = matches!((first, second), ('o', 'a') | ('o', 'e') | ('u', 'y'));
    let preceded_by_q = i > 0 && chars[i - 1].eq_ignore_ascii_case(&'q');
    let ends_syllable = chars.get(i + 3).is_none_or(|c| !c.is_alphabetic());
    (pair && TONES.contains(&mark) && ends_syllable && !preceded_by_q).then_some(MovedTone { mark })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_key(input: &str, expected: &str) {
        assert_eq!(search_key(input), expected, "search key of {input:?}");
    }

    #[test]
    fn search_keys_ignore_marks_and_case() {
        check_key("Lào Cai", "lao cai");
        check_key("Thành phố Hồ Chí Minh", "thanh pho ho chi minh");
        check_key("Đồng Tháp", "dong thap");
        check_key("Bà Rịa - Vũng Tàu", "ba ria vung tau");
        check_key("Hoà", "hoa");
        check_key("Hòa", "hoa");
    }

    fn check_name(input: &str, expected: &str) {
        assert_eq!(normalise_name(input), expected, "normalised {input:?}");
    }

    #[test]
    fn unit_types_split_off() {
        for (full, kind, name) in [
            ("Thành phố Hà Nội", "thành phố", "Hà Nội"),
            ("Tỉnh Lào Cai", "tỉnh", "Lào Cai"),
            ("Phường Ba Đình", "phường", "Ba Đình"),
            ("Đặc khu Bạch Long Vĩ", "đặc khu", "Bạch Long Vĩ"),
            ("Thị trấn Phố Lu", "thị trấn", "Phố Lu"),
            ("Xã Hoà Bình", "xã", "Hòa Bình"),
            ("Xã", "", "Xã"),
        ] {
            assert_eq!(
                split_unit_type(full),
                (kind.to_string(), name.to_string()),
                "{full}"
            );
        }
        assert_eq!(ascii_name("Đồng Tháp"), "Dong Thap");
    }

    #[test]
    fn names_follow_one_tone_convention() {
        check_name("Hoà Bình", "Hòa Bình");
        check_name("Hòa Bình", "Hòa Bình");
        check_name("Thuỷ Nguyên", "Thủy Nguyên");
        check_name("Khoẻ", "Khỏe");
        check_name("Quý", "Quý");
        check_name("Hoàng", "Hoàng");
        check_name("Phường Hoà Khánh", "Phường Hòa Khánh");
    }
}
