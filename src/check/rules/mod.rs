//! The rule catalogue: one file per rule, registered in [`RULES`], the one list the checker,
//! `attend rules`, `attend explain` and the documentation read.

mod at001_cites_revoked_registration_regulations;
mod at002_ten_day_absence_not_reported;
mod at003_deletion_from_roll_on_wrong_grounds;
mod at004_penalty_threshold_not_national;
mod at005_penalty_threshold_omits_unauthorised_code;
mod at006_penalty_notice_limit_not_national;
mod at007_penalty_fine_not_national_amount;
mod at008_penalty_fine_not_pre_2024_amount;
mod at009_enforcement_below_compulsory_school_age;
mod at010_school_year_too_short;
mod at011_sessions_on_bank_holiday;
mod at012_term_time_holiday_authorised;
mod at013_legal_step_not_on_penalty_threshold;
mod at014_third_penalty_notice_within_three_years;
mod at101_persistent_absence_not_national;
mod at102_severe_absence_not_national;
mod at103_register_open_longer_than_limit;
mod at104_register_open_period_not_stated;
mod at105_register_open_period_differs;
mod at106_enforcement_before_support;
mod at107_policy_omits_required_content;
mod at108_severe_absence_without_local_authority;
mod at110_definition_counts_days_not_share;
mod at111_schedule_disagrees_with_national_share;
mod at112_band_days_disagree_with_percentages;
mod at115_school_week_shorter_than_expected;
mod at201_attendance_in_no_band;
mod at202_attendance_in_several_bands;
mod at203_stages_share_one_band;
mod at204_stage_eases_as_attendance_falls;
mod at205_rows_overlap_with_different_stages;
mod at206_trigger_never_fires;
mod at207_trigger_always_shadowed;
mod at208_escalation_steps_out_of_order;
mod at209_escalation_step_duplicated;
mod at210_definitions_disagree;
mod at211_terms_overlap;
mod at212_action_misses_definition_boundary;
mod at213_band_never_reached;
mod at214_afternoon_register_opens_before_lunch_ends;
mod at230_plan_target_left_to_staff;
mod at231_condition_left_to_staff;
mod at240_ladder_stages_not_nested;
mod at241_ladder_stage_repeated;
mod at242_ladder_exit_never_holds;
mod at243_ladder_holds_national_measure;
mod at301_bands_without_evidence_guard;
mod at302_letter_never_sent;
mod at303_meeting_never_held;
mod at304_actions_repeat_as_attendance_bobs;
mod at305_trigger_without_evidence_guard;
mod at306_trigger_looked_at_every_few_weeks;
mod at320_band_wording_ambiguous;
mod common;
#[cfg(test)]
mod testing;

use super::Rule;

/// Every rule, in code order.
pub static RULES: &[&Rule] = &[
    &at001_cites_revoked_registration_regulations::RULE,
    &at002_ten_day_absence_not_reported::RULE,
    &at003_deletion_from_roll_on_wrong_grounds::RULE,
    &at004_penalty_threshold_not_national::RULE,
    &at005_penalty_threshold_omits_unauthorised_code::RULE,
    &at006_penalty_notice_limit_not_national::RULE,
    &at007_penalty_fine_not_national_amount::RULE,
    &at008_penalty_fine_not_pre_2024_amount::RULE,
    &at009_enforcement_below_compulsory_school_age::RULE,
    &at010_school_year_too_short::RULE,
    &at011_sessions_on_bank_holiday::RULE,
    &at012_term_time_holiday_authorised::RULE,
    &at013_legal_step_not_on_penalty_threshold::RULE,
    &at014_third_penalty_notice_within_three_years::RULE,
    &at101_persistent_absence_not_national::RULE,
    &at102_severe_absence_not_national::RULE,
    &at103_register_open_longer_than_limit::RULE,
    &at104_register_open_period_not_stated::RULE,
    &at105_register_open_period_differs::RULE,
    &at106_enforcement_before_support::RULE,
    &at107_policy_omits_required_content::RULE,
    &at108_severe_absence_without_local_authority::RULE,
    &at110_definition_counts_days_not_share::RULE,
    &at111_schedule_disagrees_with_national_share::RULE,
    &at112_band_days_disagree_with_percentages::RULE,
    &at115_school_week_shorter_than_expected::RULE,
    &at201_attendance_in_no_band::RULE,
    &at202_attendance_in_several_bands::RULE,
    &at203_stages_share_one_band::RULE,
    &at204_stage_eases_as_attendance_falls::RULE,
    &at205_rows_overlap_with_different_stages::RULE,
    &at206_trigger_never_fires::RULE,
    &at207_trigger_always_shadowed::RULE,
    &at208_escalation_steps_out_of_order::RULE,
    &at209_escalation_step_duplicated::RULE,
    &at210_definitions_disagree::RULE,
    &at211_terms_overlap::RULE,
    &at212_action_misses_definition_boundary::RULE,
    &at213_band_never_reached::RULE,
    &at214_afternoon_register_opens_before_lunch_ends::RULE,
    &at230_plan_target_left_to_staff::RULE,
    &at231_condition_left_to_staff::RULE,
    &at240_ladder_stages_not_nested::RULE,
    &at241_ladder_stage_repeated::RULE,
    &at242_ladder_exit_never_holds::RULE,
    &at243_ladder_holds_national_measure::RULE,
    &at301_bands_without_evidence_guard::RULE,
    &at302_letter_never_sent::RULE,
    &at303_meeting_never_held::RULE,
    &at304_actions_repeat_as_attendance_bobs::RULE,
    &at305_trigger_without_evidence_guard::RULE,
    &at306_trigger_looked_at_every_few_weeks::RULE,
    &at320_band_wording_ambiguous::RULE,
];

/// The rule with this code (`AT001`, any case) or name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// The closest code or name to a misspelt one, for "did you mean".
pub fn suggest(unknown: &str) -> Option<&'static str> {
    let candidates = RULES.iter().flat_map(|r| [r.code, r.name]);
    crate::diagnostic::did_you_mean(unknown, candidates)
}
