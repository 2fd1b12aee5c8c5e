//! The files `attend init` writes besides the calendar: the starting policy, its two letter
//! templates and `attend.toml`. Each says in comments what its parts are for and what a school
//! changes; the policy is in `attend fmt`'s canonical form and checks with no finding.

use chrono::NaiveDate;

use crate::model::Phase;
use crate::syntax::dsl::quote;

/// What `attend init` was told or inferred.
pub struct Answers {
    pub name: String,
    pub phase: Phase,
    pub urn: Option<u32>,
    /// The day the policy is written: its ratification date until the board's is written in.
    pub today: NaiveDate,
}

/// Register times, target and the pastoral role, which differ between a primary-like and a
/// secondary-like school day.
struct PhaseDefaults {
    am: &'static str,
    pm: &'static str,
    target: &'static str,
    /// The role, besides the office and the attendance lead, who knows the pupil best.
    pastoral: (&'static str, &'static str),
}

fn defaults(phase: Phase) -> PhaseDefaults {
    match phase {
        Phase::Nursery | Phase::Primary | Phase::Middle | Phase::Special => PhaseDefaults {
            am: "session am opens 08:40 late_after 08:55 closes 09:10",
            pm: "session pm opens 13:00 closes 13:30",
            target: "96%",
            pastoral: ("class_teacher", "Class teacher"),
        },
        Phase::Secondary | Phase::AllThrough | Phase::AlternativeProvision => PhaseDefaults {
            am: "session am opens 08:30 late_after 08:40 closes 09:00",
            pm: "session pm opens 13:15 closes 13:45",
            target: "95%",
            pastoral: ("head_of_year", "Head of year"),
        },
    }
}

/// The policy file's text.
pub fn policy(answers: &Answers) -> String {
    let d = defaults(answers.phase);
    let (pastoral, pastoral_name) = d.pastoral;
    let name = &answers.name;
    let today = answers.today;
    // A year on; 29 February's review falls on 28 February.
    let review = today
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(today);
    let phase = answers.phase.keyword();
    let urn = match answers.urn {
        Some(urn) => format!(
            "\n  # The school's unique reference number (URN), as Get Information about Schools lists it:\n  \
             # it names the school in a trust's `attend check --summary`.\n  urn {urn}\n"
        ),
        None => String::new(),
    };
    let urn_hint = if answers.urn.is_some() {
        ""
    } else {
        "  # Write the school's unique reference number (URN) above this comment, as `urn 123456`:\n  \
         # it names the school in a trust's `attend check --summary`.\n  #\n"
    };
    let under_age = if answers.phase == Phase::Nursery {
        "\n  # Children below compulsory school age (the term after their fifth birthday) are not\n  \
         # subject to penalty notices: the national framework's trigger leaves them out."
    } else {
        ""
    };
    format!(
        r#"# The attendance policy of {comment_name}, started by `attend init` on {today}.
#
# Each statement below is a starting point that works as written: read the comment above it,
# change what it tells you to (names, times, thresholds, who does what), then run
# `attend check attendance.policy`. Aim for no errors and no warnings: `attend explain CODE`
# says what a finding means and how to fix it. `attend fmt --write attendance.policy` lays the
# file out again after an edit. attend's docs/language.md describes every statement.
policy {quoted} {{
  # Inherit the national framework: the definitions of persistent absence (10% or more of
  # sessions missed) and severe absence (50% or more), the penalty-notice threshold, the
  # return to the local authority after 10 school days of unexplained absence and deletion
  # from roll. Keep this line: without it the policy must state each of them itself.{under_age}
  extends national
{urn}
{urn_hint}  # The school's phase: nursery, primary, middle, secondary, all_through, special or
  # alternative_provision. `attend init --phase {phase}` chose the register times and the
  # roles below for it.
  phase {phase}

  # The attendance the school aims for over the year.
  target {target}

  # The date the governing board ratified this policy and the date it is next reviewed:
  # change both when the board ratifies it. A policy is judged by the law in force on the
  # date it was ratified.
  ratified {today}
  review {review}

  # The law and guidance the policy follows. Add the local authority's code of conduct for
  # penalty notices, if it has one, as `cites policy "..."`.
  cites regulations "The School Attendance (Pupil Registration) (England) Regulations 2024"
  cites guidance "Working together to improve school attendance"

  # Who does what: an action's `by ROLE` names one of these, and a letter is signed with its
  # description. Write the names and contact details of the people who hold each role.
  # `champion` is the senior leader the guidance asks every school to name as its attendance
  # champion.
  roles {{
    champion "Senior attendance champion: name, role and contact details"
    attendance_lead "Attendance lead"
    office "School office"
    {pastoral} "{pastoral_name}"
  }}

  # What the policy says in prose on each topic the guidance asks every policy to cover.
  # Rewrite each in your school's words: these describe common practice, not yours.
  procedures {{
    reporting_absence "Parents and carers tell the school office by 9.30am on each day of absence, by telephone or email, giving the reason and the expected date of return."
    following_up "The school office contacts the family on the first day of an unexplained absence; the attendance lead follows up continued absence with calls, letters and home visits."
    support "The attendance lead meets the family to understand the barriers to attendance and agrees support with them, in school and from other services, before any formal step."
    leave_requests "Leave in term time is granted only in exceptional circumstances, on a written request to the headteacher in advance."
    penalty_notices "When a pupil of compulsory school age misses 10 sessions without authorisation within 10 school weeks, the headteacher considers, with the local authority, whether a penalty notice is the right step, as the national framework requires."
    working_with_la "The school works with the local authority's attendance team: it seeks advice on pupils whose attendance concerns it, and tells the authority of any pupil absent without authorisation for 10 school days in a row."
  }}

  # The letters the rules below send, by name, and their templates: Markdown in which
  # {{{{ pupil.first_name }}}} and the like are filled in for each pupil. Paths are relative to
  # this file; change the wording in letters/.
  letters {{
    concern "letters/concern.md"
    three-day "letters/three-day.md"
  }}

  # The meetings the rules below arrange, by name, with what each is for.
  meetings {{
    attendance "Meeting with parents or carers and the attendance lead about barriers to attendance"
  }}

  # Register times: when each register opens, when arrival is marked late (`L`) and when it
  # closes (arriving after that is `U`). The guidance asks that a register stays open no
  # longer than 30 minutes, and the same time for both sessions. The term dates are in
  # school.calendar: attend.toml gives it to `attend check`, and `attend run` takes
  # `--calendar school.calendar`.
  calendar {{
    {am}
    {pm}
  }}

  # Attendance bands over the year to date, highest first, covering 0% to 100% with no gap
  # or overlap: `..` leaves the upper end out, `..=` keeps it in, `<..` leaves the lower end
  # out. A pupil in a band is at its stage of the support-first framework (expect, monitor,
  # listen, facilitate, formalise, enforce; a `stages {{ ... }}` block can give them your
  # school's names) and, on entering it, gets the actions after `on enter:`, at most once a
  # term. `from 20 possible sessions` waits for two school weeks of marks, so that one absence
  # in the first days does not move a pupil. Move the boundaries to your school's, but keep
  # persistent absence at 90% and severe absence at 50%, as the national definitions are.
  bands attendance over year_to_date from 20 possible sessions {{
    band expected "96% or more" 96% ..= 100% stage expect
    band monitor "93% to below 96%" 93% .. 96% stage monitor
    band concern "above 90% to below 93%" 90% <.. 93% stage listen
      on enter: letter concern by attendance_lead
      once per term
    band persistent "persistent absence: above 50% to 90%" 50% <..= 90% stage facilitate
      on enter: meeting attendance by attendance_lead
      once per term
    band severe "severe absence: 50% or less" 0% ..= 50% stage formalise
      on enter: notify local_authority "severe absence" by attendance_lead
      once per term
  }}

  # The ladder for unexplained absence, counted in school days in a row marked `N` (no
  # reason yet) or `O` (unauthorised). Day 1 is the first-day contact the guidance expects;
  # day 10 is the return the law requires to the local authority. Change who takes each step,
  # and add steps (`day 2: ...`) as your school works.
  escalation "unexplained absence" days marked {{N, O}} {{
    day 1: contact "first-day call, text or email to parents or carers" by office
    day 3: contact "call to ask the reason and the expected return date" by {pastoral},
           letter three-day by attendance_lead
    day 5: home_visit "to see the pupil and talk with the family" by attendance_lead
    day 10: notify local_authority "absent for 10 school days without a reason" by attendance_lead
  }}
}}
"#,
        comment_name = name,
        quoted = quote(name),
        target = d.target,
        am = d.am,
        pm = d.pm,
    )
}

/// The letter sent when a pupil enters the `concern` band.
pub const CONCERN_LETTER: &str = r#"{# The letter `concern` of attendance.policy, sent when a pupil's attendance enters the band
   `concern`. Change the wording to your school's. Each {{ name }} is filled in for the pupil:
   pupil.name, pupil.first_name, carer.name, carer.address, school.name, school.contact, date,
   attendance, possible, present, unauthorised, evidence, signed_by (the responsible role's
   description in the policy's `roles`). This comment is not printed. -#}
# Attendance concern

{{ carer.name }}{% for line in carer.address %}\
{{ line }}{% endfor %}

{{ date }}

Dear {{ carer.name }}, parent/carer of {{ pupil.name }},

We are writing because we are concerned about {{ pupil.first_name }}'s attendance at
{{ school.name }}.

| | |
|---|---|
| Possible sessions this year | {{ possible }} |
| Sessions attended | {{ present }} |
| Attendance | {{ attendance }} |
| Unauthorised absences (sessions) | {{ unauthorised }} |

Every session matters. We would like to understand anything that makes it hard for
{{ pupil.first_name }} to come to school, and to agree with you how we can work together to
improve attendance. Please contact the school so that we can talk about the support available.

Yours sincerely,

{{ signed_by }}\
{{ school.name }}

<small>Pupil reference: {{ pupil.id }}. What our records show: {{ evidence }}</small>
"#;

/// The letter the unexplained-absence ladder sends on its third day.
pub const THREE_DAY_LETTER: &str = r#"{# The letter `three-day` of attendance.policy, sent on the third school day in a row of
   unexplained absence (the `escalation` ladder's `day 3`). Change the wording to your
   school's; concern.md lists the {{ names }} a letter can use. This comment is not printed. -#}
# Absence without a reason: three days

{{ carer.name }}{% for line in carer.address %}\
{{ line }}{% endfor %}

{{ date }}

Dear {{ carer.name }}, parent/carer of {{ pupil.name }},

{{ pupil.first_name }} has been absent from {{ school.name }} for three school days and we
have not received a reason that allows us to authorise the absence.

Please contact the school as soon as possible to explain the absence and tell us when
{{ pupil.first_name }} will return.

Yours sincerely,

{{ signed_by }}\
{{ school.name }}

<small>Pupil reference: {{ pupil.id }}. What our records show: {{ evidence }}</small>
"#;

/// `attend.toml`: the settings `attend check` reads in this folder and below.
pub const CONFIG: &str = r#"# Settings for `attend check` run in this folder or below it (attend's docs/check.md).

# The least severe finding that fails a check (exit status 1): "error" (the default),
# "warning" or "info". Once the policy checks with no warning, "warning" makes a new one
# fail the check.
deny = "error"

# The term dates every policy here is checked against: the calendar `attend init` wrote, with
# placeholder dates to replace with your school's. `attend run` takes it as
# `--calendar school.calendar`.
calendar = "school.calendar"

# Rules to ignore in the files a glob names, by code or name, with the reason in a comment:
# "drafts/*.policy" = ["AT107"]  # drafts need not state every procedure yet
[per-file-ignores]
"#;
