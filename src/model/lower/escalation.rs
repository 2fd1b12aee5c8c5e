//! Lowering the escalation: the framework's stages under the school's names, the actions a
//! rule requires, support plans, penalty-notice settings and limits.

use super::*;

impl Lowerer {
    /// The framework's six stages, each under the school's own name(s) where it gave one.
    pub(super) fn stages(&mut self, policy: &Node<ast::PolicyAst>) -> Vec<Stage> {
        let mut declared: Vec<Stage> = Vec::new();
        let mut ids: HashSet<&str> = HashSet::new();
        for item in &policy.node.items {
            let ast::Item::Stages(entries) = &item.node else {
                continue;
            };
            for entry in entries {
                let e = &entry.node;
                let framework_name = e.framework.as_ref().unwrap_or(&e.id);
                let Some(framework) = FrameworkStage::from_keyword(&framework_name.node) else {
                    self.unknown(
                        &framework_name.loc,
                        "framework stage",
                        &framework_name.node,
                        FrameworkStage::keywords().map(String::from).collect(),
                    );
                    continue;
                };
                if !ids.insert(e.id.node.as_str()) {
                    self.error(
                        &e.id.loc,
                        ModelError::Duplicate {
                            what: "a stage",
                            name: e.id.node.clone(),
                        },
                    );
                    continue;
                }
                declared.push(Stage {
                    id: e.id.node.clone(),
                    framework,
                    text: e.text.as_ref().map(|t| t.node.clone()),
                    loc: Some(entry.loc.clone()),
                });
            }
        }
        let mut stages = Vec::new();
        for &framework in FrameworkStage::ALL {
            let mine: Vec<&Stage> = declared
                .iter()
                .filter(|s| s.framework == framework)
                .collect();
            if mine.is_empty() {
                stages.push(Stage {
                    id: framework.keyword().to_string(),
                    framework,
                    text: None,
                    loc: None,
                });
            } else {
                stages.extend(mine.into_iter().cloned());
            }
        }
        stages
    }

    /// How often a rule fires again: a rising edge unless the policy says otherwise; a
    /// number of school weeks must be at least one.
    pub(super) fn repeat(&mut self, written: Option<&Sp<ast::RepeatAst>>) -> Repeat {
        let Some(r) = written else {
            return Repeat::RisingEdge;
        };
        let weeks = match r.node {
            ast::RepeatAst::OncePer(_) => None,
            ast::RepeatAst::Every { school_weeks } | ast::RepeatAst::NotWithin { school_weeks } => {
                Some(school_weeks)
            }
        };
        if weeks == Some(0) {
            self.error(
                &r.loc,
                ModelError::EmptyWindow {
                    unit: "school weeks",
                },
            );
        }
        match r.node {
            ast::RepeatAst::OncePer(p) => Repeat::OncePer(p),
            ast::RepeatAst::Every { school_weeks } => Repeat::Every { school_weeks },
            ast::RepeatAst::NotWithin { school_weeks } => Repeat::NotWithin { school_weeks },
        }
    }

    pub(super) fn stage_ref(&mut self, name: &Sp<String>) -> Option<StageRef> {
        let found = self.stage_ranks.get(&name.node).copied().or_else(|| {
            let fw = FrameworkStage::from_keyword(&name.node)?;
            self.stages.iter().position(|s| s.framework == fw)
        });
        match found.and_then(|rank| self.stages.get(rank).map(|s| (rank, s))) {
            Some((rank, stage)) => Some(StageRef {
                id: stage.id.clone(),
                framework: stage.framework,
                rank,
            }),
            None => {
                let mut candidates: Vec<String> = if self.diagnostics.len() < HELP_UP_TO {
                    self.stages.iter().map(|s| s.id.clone()).collect()
                } else {
                    Vec::new()
                };
                candidates.extend(FrameworkStage::keywords().map(String::from));
                candidates.sort();
                candidates.dedup();
                self.unknown(&name.loc, "stage", &name.node, candidates);
                None
            }
        }
    }

    pub(super) fn plan(&mut self, plan: &ast::PlanAst, loc: &Loc) -> Option<Plan> {
        let stage = self.stage_ref(&plan.stage);
        let mut review = None;
        let mut target = None;
        let mut escalate_to = None;
        let (mut on_open, mut on_miss, mut on_met) = (Vec::new(), Vec::new(), Vec::new());
        let mut every = None;
        for item in &plan.items {
            match &item.node {
                ast::PlanItem::Review {
                    school_weeks,
                    until,
                } => {
                    if school_weeks.node == 0 {
                        self.error(
                            &school_weeks.loc,
                            ModelError::EmptyWindow {
                                unit: "school weeks",
                            },
                        );
                    }
                    if let Some(u) = until
                        && u.node < school_weeks.node
                    {
                        self.error(
                            &u.loc,
                            ModelError::ReversedDates {
                                what: "the review period",
                                start: format!("{} school weeks", school_weeks.node),
                                end: format!("{} school weeks", u.node),
                            },
                        );
                    }
                    let weeks = (school_weeks.node, until.as_ref().map(|u| u.node));
                    self.once(&mut review, weeks, "review after", &item.loc);
                }
                ast::PlanItem::Target(e) => {
                    if let Some(c) = self.condition(e) {
                        self.once(&mut target, PlanTarget::Condition(c), "target", &item.loc);
                    }
                }
                ast::PlanItem::Judged { criterion, by } => {
                    if self.roles.contains(&by.node) {
                        let judged = PlanTarget::Judged {
                            criterion: criterion.node.clone(),
                            by: by.node.clone(),
                            loc: item.loc.clone(),
                        };
                        self.once(&mut target, judged, "target", &item.loc);
                    } else {
                        let candidates = self.for_help(&self.roles);
                        self.unknown(&by.loc, "role", &by.node, candidates);
                    }
                }
                ast::PlanItem::EscalateTo(s) => {
                    if let Some(s) = self.stage_ref(s) {
                        self.once(&mut escalate_to, s, "escalate to", &item.loc);
                    }
                }
                ast::PlanItem::Every {
                    school_weeks,
                    actions,
                } => {
                    if let Some(n) = school_weeks.as_ref().filter(|n| n.node == 0) {
                        self.error(
                            &n.loc,
                            ModelError::EmptyWindow {
                                unit: "school weeks",
                            },
                        );
                    }
                    let periodic = PlanEvery {
                        school_weeks: school_weeks.as_ref().map_or(1, |n| n.node.max(1)),
                        actions: self.actions(actions),
                        loc: item.loc.clone(),
                    };
                    self.once(&mut every, periodic, "every", &item.loc);
                }
                ast::PlanItem::On { event, actions } => {
                    let lowered = self.actions(actions);
                    match event {
                        ast::PlanEvent::Open => on_open.extend(lowered),
                        ast::PlanEvent::Miss => on_miss.extend(lowered),
                        ast::PlanEvent::Met => on_met.extend(lowered),
                    }
                }
            }
        }
        if review.is_none() {
            self.error(
                loc,
                ModelError::PlanIncomplete {
                    plan: plan.name.node.clone(),
                    what: "review",
                },
            );
        }
        // A plan with no target at all ("monitored for a period of 6 weeks") is written as
        // the document words it: its review is a task, and `check` warns (AT230).
        let wrote_target = plan.items.iter().any(|i| {
            matches!(
                i.node,
                ast::PlanItem::Target(_) | ast::PlanItem::Judged { .. }
            )
        });
        if target.is_none() && !wrote_target {
            target = Some(PlanTarget::Unstated);
        }
        let stage = stage?;
        let escalate_to = match escalate_to {
            Some(s) => Some(s),
            None => {
                let next = self.stages.get(stage.rank + 1).map(|s| StageRef {
                    id: s.id.clone(),
                    framework: s.framework,
                    rank: stage.rank + 1,
                });
                if next.is_none() {
                    self.error(
                        &plan.stage.loc,
                        ModelError::NoNextStage {
                            stage: stage.id.clone(),
                        },
                    );
                }
                next
            }
        };
        Some(Plan {
            name: plan.name.node.clone(),
            stage,
            review_after_weeks: review?.0,
            review_until_weeks: review?.1,
            target: target?,
            escalate_to,
            on_open,
            on_miss,
            on_met,
            every,
            loc: loc.clone(),
        })
    }

    pub(super) fn penalty_item(
        &mut self,
        item: &Node<ast::PenaltyItem>,
        into: &mut PenaltyNotices,
    ) {
        let loc = item.loc.clone();
        match &item.node {
            ast::PenaltyItem::Threshold {
                sessions,
                window,
                codes,
                ..
            } => {
                let window = self.window(&window.node, &window.loc);
                let codes = codes.as_ref().map(|c| self.code_set(&c.node));
                let value = PenaltyThreshold {
                    sessions: sessions.node,
                    codes,
                    window,
                    loc: loc.clone(),
                    origin: Origin::School,
                };
                self.once(&mut into.threshold, value, "threshold", &loc);
            }
            ast::PenaltyItem::Limit { notices, years } => {
                let value = PenaltyLimit {
                    notices: notices.node,
                    years: years.node,
                    loc: loc.clone(),
                    origin: Origin::School,
                };
                self.once(&mut into.limit, value, "limit", &loc);
            }
            ast::PenaltyItem::Fine {
                second,
                pence,
                within_days,
            } => {
                let fine = Fine {
                    pence: pence.node,
                    within_days: within_days.node,
                    loc,
                    origin: Origin::School,
                };
                if *second {
                    into.second_fines.push(fine)
                } else {
                    into.fines.push(fine)
                }
            }
        }
    }

    pub(super) fn limit(&mut self, item: &Node<ast::LimitAst>, into: &mut Limits) {
        let l = &item.node;
        let Some(name) = LimitName::from_keyword(&l.name.node) else {
            self.unknown(
                &l.name.loc,
                "limit",
                &l.name.node,
                LimitName::keywords().map(String::from).collect(),
            );
            return;
        };
        let expected = match name {
            LimitName::RegisterOpen => "minutes",
            LimitName::SessionsPerYear => "sessions",
        };
        if let Some(unit) = &l.unit
            && unit.node != expected
        {
            self.error(
                &unit.loc,
                ModelError::WrongUnit {
                    name: l.name.node.clone(),
                    expected,
                    unit: unit.node.clone(),
                },
            );
        }
        let value = (l.value.node, item.loc.clone(), Origin::School);
        match name {
            LimitName::RegisterOpen => self.once(
                &mut into.register_open_minutes,
                value,
                "register_open",
                &item.loc,
            ),
            LimitName::SessionsPerYear => self.once(
                &mut into.sessions_per_year,
                value,
                "sessions_per_year",
                &item.loc,
            ),
        }
    }

    pub(super) fn actions(&mut self, actions: &[Sp<ast::ActionAst>]) -> Vec<Action> {
        actions.iter().filter_map(|a| self.action(a)).collect()
    }

    fn action(&mut self, action: &Sp<ast::ActionAst>) -> Option<Action> {
        let a = &action.node;
        let Some(verb) = Verb::from_keyword(&a.verb.node) else {
            self.unknown(
                &a.verb.loc,
                "action",
                &a.verb.node,
                Verb::keywords().map(String::from).collect(),
            );
            return None;
        };
        let by = match &a.by {
            Some(role) if self.roles.contains(&role.node) => Some(role.node.clone()),
            Some(role) => {
                let candidates = self.for_help(&self.roles);
                self.unknown(&role.loc, "role", &role.node, candidates);
                None
            }
            None => None,
        };
        let needs = |what: &'static str| ModelError::MissingTarget {
            verb: a.verb.node.clone(),
            what,
        };
        let kind = match verb {
            Verb::Contact
            | Verb::HomeVisit
            | Verb::Review
            | Verb::Support
            | Verb::PenaltyWarning
            | Verb::Detention
            | Verb::Certificate
            | Verb::Sticker
            | Verb::Reward => {
                if let Some(t) = &a.target {
                    self.error(
                        &t.loc,
                        ModelError::UnexpectedTarget {
                            verb: a.verb.node.clone(),
                            target: t.node.clone(),
                        },
                    );
                }
                match verb {
                    Verb::Contact => ActionKind::Contact,
                    Verb::HomeVisit => ActionKind::HomeVisit,
                    Verb::Review => ActionKind::Review,
                    Verb::Support => ActionKind::Support,
                    Verb::Detention => ActionKind::Detention,
                    Verb::Certificate => ActionKind::Certificate,
                    Verb::Sticker => ActionKind::Sticker,
                    Verb::Reward => ActionKind::Reward,
                    _ => ActionKind::PenaltyWarning,
                }
            }
            Verb::Letter | Verb::Meeting => {
                let Some(t) = &a.target else {
                    self.error(
                        &action.loc,
                        needs(if verb == Verb::Letter {
                            "a letter id"
                        } else {
                            "a meeting id"
                        }),
                    );
                    return None;
                };
                let (declared, what) = if verb == Verb::Letter {
                    (&self.letters, "letter")
                } else {
                    (&self.meetings, "meeting")
                };
                if !declared.contains(&t.node) {
                    let candidates = self.for_help(declared);
                    self.unknown(&t.loc, what, &t.node, candidates);
                    return None;
                }
                if verb == Verb::Letter {
                    ActionKind::Letter(t.node.clone())
                } else {
                    ActionKind::Meeting(t.node.clone())
                }
            }
            Verb::Notify | Verb::Refer => {
                let Some(t) = &a.target else {
                    self.error(&action.loc, needs("a recipient, e.g. `local_authority`"));
                    return None;
                };
                let recipient = if let Some(p) = Party::from_keyword(&t.node) {
                    Recipient::Party(p)
                } else if self.roles.contains(&t.node) {
                    Recipient::Role(t.node.clone())
                } else {
                    let mut candidates: Vec<String> = Party::keywords().map(String::from).collect();
                    candidates.extend(self.for_help(&self.roles));
                    self.unknown(&t.loc, "recipient", &t.node, candidates);
                    return None;
                };
                if verb == Verb::Notify {
                    ActionKind::Notify(recipient)
                } else {
                    ActionKind::Refer(recipient)
                }
            }
            Verb::Consider => {
                let Some(t) = &a.target else {
                    self.error(
                        &action.loc,
                        needs("what to consider, e.g. `penalty_notice`"),
                    );
                    return None;
                };
                match Matter::from_keyword(&t.node) {
                    Some(m) => ActionKind::Consider(m),
                    None => {
                        self.unknown(
                            &t.loc,
                            "matter to consider",
                            &t.node,
                            Matter::keywords().map(String::from).collect(),
                        );
                        return None;
                    }
                }
            }
        };
        Some(Action {
            kind,
            note: a.note.as_ref().map(|n| n.node.clone()),
            by,
            loc: action.loc.clone(),
        })
    }
}
