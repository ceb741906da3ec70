//! The keyword index's tokenizer, one function for indexing and for queries.
//!
//! MariaDB has no n-gram full-text parser, so the index is our own `postings` table and this module
//! decides its terms:
//! - runs of letters and digits outside CJK are lower-cased words (`Rust`, `rust2024`);
//! - runs of CJK characters index every single character and every overlapping pair (`视频网站` →
//!   视, 频, 网, 站, 视频, 频网, 网站).
//!
//! A query needs every term of every query word ([`Query::terms`]): a one-character CJK word its
//! character, a longer one its pairs. Pairs can all occur without the word itself (`视频` and
//! `频网` in different places), so a CJK word of three or more characters is also checked as a
//! substring of the stored text ([`Query::phrases`]); the pairs only narrow the candidates.

use std::collections::BTreeSet;

/// Longest term kept, in bytes (the column's width); longer words are cut at a char boundary.
pub const MAX_TERM_BYTES: usize = 64;
/// Most words one query may have (each adds a join).
pub const MAX_QUERY_WORDS: usize = 8;

/// Whether `c` is written without spaces between words (CJK ideographs, kana, hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B and later
}

/// A maximal run of one script class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// Lower-cased letters and digits.
    Latin(String),
    /// CJK characters, as written.
    Cjk(Vec<char>),
}

/// Splits text into words; everything that is neither a letter, a digit nor CJK separates words.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut latin = String::new();
    let mut cjk = Vec::new();
    for c in text.chars() {
        if is_cjk(c) {
            flush_latin(&mut latin, &mut out);
            cjk.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk, &mut out);
            latin.extend(c.to_lowercase());
        } else {
            flush_latin(&mut latin, &mut out);
            flush_cjk(&mut cjk, &mut out);
        }
    }
    flush_latin(&mut latin, &mut out);
    flush_cjk(&mut cjk, &mut out);
    out
}

fn flush_latin(latin: &mut String, out: &mut Vec<Word>) {
    if !latin.is_empty() {
        out.push(Word::Latin(cut(std::mem::take(latin))));
    }
}

fn flush_cjk(cjk: &mut Vec<char>, out: &mut Vec<Word>) {
    if !cjk.is_empty() {
        out.push(Word::Cjk(std::mem::take(cjk)));
    }
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_TERM_BYTES {
        let mut end = MAX_TERM_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Every term a stored text is indexed under (deduplicated).
pub fn index_terms(text: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for word in words(text) {
        match word {
            Word::Latin(w) => {
                terms.insert(w);
            }
            Word::Cjk(chars) => {
                terms.extend(chars.iter().map(char::to_string));
                terms.extend(chars.windows(2).map(|p| p.iter().collect::<String>()));
            }
        }
    }
    terms
}

/// A parsed keyword query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Terms every match is indexed under.
    pub terms: Vec<String>,
    /// Lower-cased substrings every match's title or description must contain.
    pub phrases: Vec<String>,
}

impl Query {
    /// Parses user keywords; `None` when they hold no word at all (no keyword filter).
    pub fn parse(keywords: &str) -> Result<Option<Self>, String> {
        let words = words(keywords);
        if words.len() > MAX_QUERY_WORDS {
            return Err(format!(
                "at most {MAX_QUERY_WORDS} keywords; this query has {}",
                words.len()
            ));
        }
        let mut terms = BTreeSet::new();
        let mut phrases = Vec::new();
        for word in words {
            match word {
                Word::Latin(w) => {
                    terms.insert(w);
                }
                Word::Cjk(chars) if chars.len() == 1 => {
                    terms.insert(chars[0].to_string());
                }
                Word::Cjk(chars) => {
                    terms.extend(chars.windows(2).map(|p| p.iter().collect::<String>()));
                    if chars.len() > 2 {
                        phrases.push(chars.iter().collect());
                    }
                }
            }
        }
        if terms.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            terms: terms.into_iter().collect(),
            phrases,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_are_lower_cased_and_split_on_punctuation() {
        let terms = index_terms("Rust's FAST-path, rust2024!");
        let want: BTreeSet<String> = ["rust", "s", "fast", "path", "rust2024"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(terms, want);
    }

    #[test]
    fn cjk_runs_index_characters_and_pairs_beside_latin_words() {
        let terms = index_terms("猫咪video合集");
        for t in ["猫", "咪", "猫咪", "video", "合", "集", "合集"] {
            assert!(terms.contains(t), "{t} missing from {terms:?}");
        }
        assert!(!terms.contains("咪v"), "pairs never cross scripts");
    }

    #[test]
    fn queries_use_pairs_for_long_cjk_words_and_check_them_as_phrases() {
        let q = Query::parse("视频网站 Rust").unwrap().unwrap();
        assert_eq!(q.terms, vec!["rust", "网站", "视频", "频网"]);
        assert_eq!(q.phrases, vec!["视频网站".to_string()]);
        let q = Query::parse("猫").unwrap().unwrap();
        assert_eq!(q.terms, vec!["猫"]);
        assert!(q.phrases.is_empty());
    }

    #[test]
    fn empty_and_punctuation_only_queries_mean_no_filter_and_long_ones_are_refused() {
        assert_eq!(Query::parse("").unwrap(), None);
        assert_eq!(Query::parse("  ,.!? ").unwrap(), None);
        assert!(Query::parse("a b c d e f g h i").is_err());
    }

    #[test]
    fn long_words_are_cut_at_a_char_boundary() {
        let long = "é".repeat(100);
        let terms = index_terms(&long);
        let term = terms.iter().next().unwrap();
        assert!(term.len() <= MAX_TERM_BYTES && term.chars().all(|c| c == 'é'));
    }
}
