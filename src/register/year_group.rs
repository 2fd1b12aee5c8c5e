//! Year groups as MIS write them (`N1`, `Nursery 2`, `Rec`, `Reception`, `Year 5`, `Y5`,
//! `Yr 5`, `5`), and the few that could mean more than one thing (`N`, `Nursery`, `0`), which
//! are read with a warning saying how. Also the UPN shape, to tell a pupils file keyed by UPN.

use super::pupils::{Pupils, YearGroup};

/// A year group and, when the text could mean more than one thing, how it was read.
pub(crate) fn parse(text: &str) -> Option<(YearGroup, Option<&'static str>)> {
    let squeezed: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '_'))
        .flat_map(char::to_uppercase)
        .collect();
    let s = squeezed.as_str();
    let plain = |g| Some((g, None));
    match s {
        "R" | "REC" | "RECEPTION" | "YR" | "YEARR" => return plain(YearGroup::Reception),
        "N1" | "NURSERY1" | "F1" => return plain(YearGroup::Nursery(1)),
        "N2" | "NURSERY2" | "F2" => return plain(YearGroup::Nursery(2)),
        // Nursery without a number is either nursery year; no year-group test includes
        // either, so the choice changes nothing a rule decides.
        "N" | "NURSERY" | "NUR" => {
            return Some((
                YearGroup::Nursery(2),
                Some("nursery (`N1` or `N2`), taken as `N2`"),
            ));
        }
        // Some MIS number reception 0, others use 0 for nursery.
        "0" | "Y0" | "YEAR0" => {
            return Some((
                YearGroup::Reception,
                Some("reception (`R`); some MIS write nursery as `0`"),
            ));
        }
        _ => {}
    }
    let digits = ["YEAR", "YR", "Y", "NC"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u8 = digits.parse().ok()?;
    (1..=14).contains(&n).then_some((YearGroup::Year(n), None))
}

/// A UPN's shape (data-formats.md §1.3): 13 characters, a letter, eleven digits and a digit or
/// letter (a temporary UPN ends in one). The check letter is not checked: the shape only
/// tells a pupils file keyed by UPN from one keyed by the school's own ids.
pub(crate) fn looks_like_upn(id: &str) -> bool {
    let b = id.trim().as_bytes();
    b.len() == 13
        && b[0].is_ascii_alphabetic()
        && b[1..12].iter().all(u8::is_ascii_digit)
        && b[12].is_ascii_alphanumeric()
}

impl Pupils {
    /// The pupil whose `upn` (or, for a file keyed by UPN, whose id) is `upn`.
    pub fn by_upn(&self, upn: &str) -> Option<&super::Pupil> {
        let upn = upn.trim().to_ascii_uppercase();
        self.upns.get(&upn).and_then(|i| self.list.get(*i))
    }

    /// The pupils of a file keyed by UPN with those ids pseudonymised with `key` (as a CTF's
    /// UPNs are); ids that are not UPNs, and the `upn` column, stay as they are.
    pub(crate) fn pseudonymised(&self, key: Option<&str>) -> Pupils {
        let (mut list, mut upns, warnings) = self.clone().into_parts();
        for (i, pupil) in list.iter_mut().enumerate() {
            if looks_like_upn(&pupil.id) {
                upns.entry(pupil.id.trim().to_ascii_uppercase())
                    .or_insert(i);
                pupil.id = super::pseudonym(&pupil.id, key);
            }
        }
        Pupils::of(list, upns, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_groups_as_mis_write_them() {
        for (text, group) in [
            ("Year 5", YearGroup::Year(5)),
            ("Y5", YearGroup::Year(5)),
            ("Yr 5", YearGroup::Year(5)),
            ("yr5", YearGroup::Year(5)),
            ("5", YearGroup::Year(5)),
            ("NC 11", YearGroup::Year(11)),
            ("Year 14", YearGroup::Year(14)),
            ("Rec", YearGroup::Reception),
            ("Reception", YearGroup::Reception),
            ("R", YearGroup::Reception),
            ("N1", YearGroup::Nursery(1)),
            ("Nursery 2", YearGroup::Nursery(2)),
        ] {
            assert_eq!(parse(text), Some((group, None)), "{text}");
        }
        // These could mean more than one thing: read, with a warning.
        for text in ["N", "Nursery", "0"] {
            assert!(parse(text).is_some_and(|(_, w)| w.is_some()), "{text}");
        }
        for text in ["Year 15", "15", "Y", "Year Five", "5a", ""] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn a_upn_has_its_shape() {
        assert!(looks_like_upn("B801200005001"));
        assert!(looks_like_upn("B80120000501A"));
        assert!(!looks_like_upn("P0001"));
        assert!(!looks_like_upn("B8012000050011"));
    }
}
