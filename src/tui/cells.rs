//! Screen cells: how many columns a text takes on a terminal, and text cut
//! or padded to a number of columns.
//!
//! A CJK ideograph or a fullwidth form takes two columns, a combining mark
//! none; counting chars instead would push every column after a wide name
//! to the right, and put the cursor of the filter bar off its char.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The columns `s` takes, measured as ratatui lays text out: a grapheme
/// (a char with its combining marks, an emoji with its variation selector)
/// at a time. (Control chars are cleaned out before anything is drawn.)
pub fn width(s: &str) -> usize {
    if plain(s) {
        return s.len();
    }
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Printable ASCII only (what nearly every cell holds): each byte is a
/// grapheme one column wide, so measuring and cutting need no grapheme
/// segmentation, which took half of a frame's time when every visible
/// cell went through it.
#[inline]
fn plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// The columns one char takes on its own (0 for controls and combining
/// marks).
pub fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The longest start of `s` that fits in `w` columns (whole graphemes).
pub fn take(s: &str, w: usize) -> &str {
    if plain(s) {
        return s.get(..w.min(s.len())).unwrap_or(s);
    }
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true) {
        used += g.width();
        if used > w {
            return &s[..i];
        }
    }
    s
}

/// The longest end of `s` that fits in `w` columns (whole graphemes).
fn take_end(s: &str, w: usize) -> &str {
    if plain(s) {
        return s.get(s.len().saturating_sub(w)..).unwrap_or(s);
    }
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true).rev() {
        used += g.width();
        if used > w {
            return &s[i + g.len()..];
        }
    }
    s
}

/// `s` in exactly `w` columns: cut to its start (or its end when `right`,
/// as numbers are), padded with spaces on the right (on the left when
/// `right`). A wide char cut in half leaves a space.
pub fn fit(s: &str, w: usize, right: bool) -> String {
    let t = if right { take_end(s, w) } else { take(s, w) };
    let gap = " ".repeat(w.saturating_sub(width(t)));
    if right {
        format!("{gap}{t}")
    } else {
        format!("{t}{gap}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_zero_width_chars() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(take("日本語", 5), "日本");
        assert_eq!(take("ab", 5), "ab");
        assert_eq!(take_end("日本語", 5), "本語");
    }

    /// The printable-ASCII shortcut measures and cuts as the grapheme
    /// walk does.
    #[test]
    fn plain_text_takes_the_same_as_graphemes() {
        let slow_width = |s: &str| -> usize { s.graphemes(true).map(UnicodeWidthStr::width).sum() };
        let slow_take = |s: &str, w: usize| -> String {
            let mut used = 0;
            for (i, g) in s.grapheme_indices(true) {
                used += g.width();
                if used > w {
                    return s[..i].to_string();
                }
            }
            s.to_string()
        };
        let printable: String = (0x20u8..0x7f).map(char::from).collect();
        for s in [
            "",
            "a",
            "curl",
            "10.0.0.1:80->10.0.0.2:5000",
            printable.as_str(),
        ] {
            assert!(plain(s));
            assert_eq!(width(s), slow_width(s));
            for w in 0..s.len() + 3 {
                assert_eq!(take(s, w), slow_take(s, w), "{s:?} in {w}");
                let end = take_end(s, w);
                assert!(s.ends_with(end) && end.len() == w.min(s.len()));
            }
        }
        // Anything else takes the grapheme walk: a CR LF pair is one
        // grapheme, a tab and a DEL are not printable.
        for s in ["a\r\nb", "a\tb", "x\u{7f}", "é"] {
            assert!(!plain(s));
        }
    }

    #[test]
    fn fit_pads_and_cuts_to_columns() {
        assert_eq!(fit("日本語", 5, false), "日本 ");
        assert_eq!(fit("日本語", 5, true), " 本語");
        assert_eq!(fit("ab", 4, false), "ab  ");
        assert_eq!(fit("12", 4, true), "  12");
        assert_eq!(fit("abcdef", 3, false), "abc");
        assert_eq!(fit("abcdef", 3, true), "def");
        // An emoji with its variation selector takes two columns, an
        // Arabic lam-alef ligature one.
        assert_eq!(width("\u{2764}\u{fe0f}"), 2);
        assert_eq!(fit("\u{2764}\u{fe0f}x", 2, false), "\u{2764}\u{fe0f}");
        assert_eq!(fit("\u{2764}\u{fe0f}x", 1, false), " ");
        for s in [
            "日本語",
            "a日b本",
            "ｆｕｌｌ",
            "e\u{301}tat",
            "\u{2764}\u{fe0f}ok\u{2764}\u{fe0f}",
            "\u{644}\u{627}\u{644}\u{627}",
        ] {
            for w in 0..8 {
                assert_eq!(width(&fit(s, w, false)), w, "{s:?} in {w}");
                assert_eq!(width(&fit(s, w, true)), w, "{s:?} in {w}");
            }
        }
    }
}
