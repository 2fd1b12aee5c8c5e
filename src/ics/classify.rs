//! What an event is, by its summary's wording: the one place the words schools and councils
//! use for term dates are listed.

/// What an event says about the school's days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    TermStart,
    TermEnd,
    /// An event as long as the term (`Autumn Term`).
    TermSpan,
    Inset,
    BankHoliday,
    HalfTerm,
    Holiday,
    Closed,
    /// Anything else (sports day, parents' evening): not used.
    Other,
}

impl Kind {
    pub fn closes(self) -> bool {
        matches!(
            self,
            Kind::Inset | Kind::BankHoliday | Kind::HalfTerm | Kind::Holiday | Kind::Closed
        )
    }

    /// The `.calendar` keyword of a closure.
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Inset => "inset",
            Kind::BankHoliday => "bank_holiday",
            Kind::HalfTerm => "half_term",
            Kind::Holiday => "holiday",
            Kind::Closed => "closed",
            Kind::TermStart | Kind::TermEnd | Kind::TermSpan | Kind::Other => "term",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Kind::Inset => "INSET day",
            Kind::BankHoliday => "bank holiday",
            Kind::HalfTerm => "half term",
            Kind::Holiday => "holiday",
            Kind::Closed => "closure",
            Kind::TermStart | Kind::TermEnd | Kind::TermSpan | Kind::Other => "term",
        }
    }
}

/// The summary in lower case, words separated by single spaces, padded with a space each side
/// so a phrase is matched as whole words (` end ` is not in ` weekend `).
fn words(summary: &str) -> String {
    let mut out = String::from(" ");
    for word in summary
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_lowercase().replace('\'', ""));
        out.push(' ');
    }
    out
}

fn any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| text.contains(&format!(" {p} ")))
}

const INSET: &[&str] = &[
    "inset",
    "insets",
    "training day",
    "training days",
    "staff development",
    "staff training",
    "teacher training",
    "teacher day",
    "professional development",
    "non pupil day",
    "non pupil days",
    "pupil free",
    "pd day",
];
const BANK_HOLIDAY: &[&str] = &[
    "bank holiday",
    "good friday",
    "easter monday",
    "christmas day",
    "boxing day",
    "new years day",
    "new year day",
    "may day",
];
const HALF_TERM: &[&str] = &["half term", "halfterm", "half terms"];
const STARTS: &[&str] = &[
    "start",
    "starts",
    "starting",
    "begin",
    "begins",
    "first day",
    "opens",
    "return",
    "returns",
    "back",
    "reopens",
];
const ENDS: &[&str] = &[
    "end",
    "ends",
    "last day",
    "finish",
    "finishes",
    "close",
    "closes",
    "break up",
    "breaks up",
];
const HOLIDAY: &[&str] = &["holiday", "holidays", "break", "vacation", "recess"];
const CLOSED: &[&str] = &[
    "school closed",
    "closure",
    "closed",
    "polling day",
    "election",
];
const YEAR_GROUPS: &[&str] = &[
    "year",
    "years",
    "yr",
    "yrs",
    "reception",
    "nursery",
    "sixth form",
    "y7",
    "y12",
    "only",
];
const SEASONS: &[(&str, &str)] = &[
    ("autumn", "autumn"),
    ("michaelmas", "autumn"),
    ("spring", "spring"),
    ("lent", "spring"),
    ("summer", "summer"),
    ("trinity", "summer"),
];

/// Where the first of `phrases` is in `text` (`usize::MAX` when none is).
fn first(text: &str, phrases: &[&str]) -> usize {
    phrases
        .iter()
        .filter_map(|p| text.find(&format!(" {p} ")))
        .min()
        .unwrap_or(usize::MAX)
}

/// What `summary` says, in the order that settles mixed wording: an INSET day on the first
/// day of term is an INSET day; `Half term holiday` is a half term; `Term ends, Christmas
/// holiday begins` ends a term.
pub fn classify(summary: &str) -> Kind {
    let w = words(summary);
    let term = any(&w, &["term", "terms", "school"]);
    if any(&w, INSET) {
        Kind::Inset
    } else if any(&w, BANK_HOLIDAY) {
        Kind::BankHoliday
    } else if any(&w, HALF_TERM) {
        Kind::HalfTerm
    } else if (term || some_year_groups(summary)) && first(&w, STARTS) < first(&w, ENDS) {
        // `Term ends, holiday begins`: the first of the two words says which.
        Kind::TermStart
    } else if term && any(&w, ENDS) {
        Kind::TermEnd
    } else if any(&w, HOLIDAY) {
        Kind::Holiday
    } else if any(&w, CLOSED) {
        Kind::Closed
    } else if any(&w, &["term"]) && season(summary).is_some() {
        Kind::TermSpan
    } else {
        Kind::Other
    }
}

/// `autumn`, `spring` or `summer` when the summary names the term.
pub fn season(summary: &str) -> Option<&'static str> {
    let w = words(summary);
    SEASONS
        .iter()
        .find(|(word, _)| any(&w, &[word]))
        .map(|(_, name)| *name)
}

/// The event is for some year groups only (`Years 7 and 12 only`, `Reception start`).
pub fn some_year_groups(summary: &str) -> bool {
    let w = words(summary);
    any(&w, YEAR_GROUPS) && !any(&w, &["all", "whole school", "everyone"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording() {
        let cases = [
            ("Autumn Term Starts", Kind::TermStart),
            ("First day of term", Kind::TermStart),
            ("Start of Spring Term", Kind::TermStart),
            ("Term starts for Years 7 and 12 only", Kind::TermStart),
            ("Last day of term", Kind::TermEnd),
            ("End of Summer Term (1.30pm finish)", Kind::TermEnd),
            ("Autumn term ends - Christmas holiday begins", Kind::TermEnd),
            ("INSET Day - school closed to pupils", Kind::Inset),
            ("Staff Development Day", Kind::Inset),
            ("Training day", Kind::Inset),
            ("Bank Holiday", Kind::BankHoliday),
            ("Early May Bank Holiday", Kind::BankHoliday),
            ("Good Friday", Kind::BankHoliday),
            ("October Half Term", Kind::HalfTerm),
            ("Half-term holiday", Kind::HalfTerm),
            ("Christmas Holiday", Kind::Holiday),
            ("Easter Holidays", Kind::Holiday),
            ("School closed - polling day", Kind::Closed),
            ("Autumn Term", Kind::TermSpan),
            ("Parents' evening", Kind::Other),
            ("Sports day", Kind::Other),
            ("Christmas jumper day", Kind::Other),
            ("Weekend residential", Kind::Other),
        ];
        for (summary, kind) in cases {
            assert_eq!(classify(summary), kind, "{summary}");
        }
    }

    #[test]
    fn year_groups() {
        assert!(some_year_groups("Term starts for Years 7 and 12 only"));
        assert!(some_year_groups("Reception children start"));
        assert!(!some_year_groups("Term starts for all pupils"));
        assert!(!some_year_groups("Autumn term starts"));
    }
}
