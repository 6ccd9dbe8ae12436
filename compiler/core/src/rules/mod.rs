//! The hosting-guide rules: every plan is checked against the questions of CHT's hosting
//! guide (backups, disaster recovery, alerting, restarts, certificates, encryption, privacy,
//! segregation of environments, scale, support).
//!
//! [`RULES`] is the registry: one entry per rule, with its diagnostic code (`R0101`...), the
//! guide question it answers, the plan fields it reads and its check function. [`run`] applies
//! every rule to every environment of a plan, gives each finding a severity from the kind of
//! environment it concerns, applies the plan's `allow` blocks and returns diagnostics plus a
//! [`RuleReport`] that says, per environment, which rules pass, fail or are allowed. The
//! report feeds `hostplan check --explain-policy`, the estimate report and the environments'
//! READMEs.
//!
//! Findings point at the plan: the primary label is the environment, and secondary labels
//! point at the policy or environment field that is missing or too weak, in the user's files
//! (a field set in the standard library is shown at the plan line that chose the preset).

mod alerting;
mod backup;
mod capacity;
mod operations;
mod privacy;
pub mod report;
mod security;
mod segregation;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use hostplan_diagnostics::{codes, CodeInfo, Diagnostic, FileId, Label, Severity, Span};

use crate::model::{EnvKind, Environment, Plan};

pub use capacity::{project, Projection};

/// A question of the CHT hosting guide that a rule answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Question {
    Backups,
    DisasterRecovery,
    Alerting,
    PowerFailures,
    Updates,
    Security,
    Privacy,
    Segregation,
    Scale,
    Support,
}

impl Question {
    /// The question's title as the guide writes it.
    pub fn title(self) -> &'static str {
        match self {
            Question::Backups => "Backups",
            Question::DisasterRecovery => "Disaster Recovery",
            Question::Alerting => "Alerting",
            Question::PowerFailures => "Power failures and unplanned restarts",
            Question::Updates => "Updates",
            Question::Security => "Security",
            Question::Privacy => "Privacy",
            Question::Segregation => "Segregation of environments",
            Question::Scale => "Scale",
            Question::Support => "Support",
        }
    }

    /// The question in the guide's words (the seed page "Hosting", section "Considerations
    /// when hosting", and its introduction for segregation).
    pub fn text(self) -> &'static str {
        match self {
            Question::Backups => "What happens to the CHT data if there's a hard drive failure?",
            Question::DisasterRecovery => {
                "What happens if there is a flood at the facility and on-site active and backup data are destroyed?"
            }
            Question::Alerting => "How will alerts be sent in the case of downtime or degraded service?",
            Question::PowerFailures => "Will the server cleanly restart such that the CHT resumes service correctly?",
            Question::Updates => {
                "By definition TLS certificates expire and software needs to be updated - how will the deployment get these updates on a regular basis?"
            }
            Question::Security => {
                "While the TLS certificate will protect data on the LAN, is the server hard drive encrypted in the event of property theft?"
            }
            Question::Privacy => {
                "The CHT inherently carries sensitive patient medical information in the database. Are there sufficient measures in place to protect this sensitive data?"
            }
            Question::Segregation => {
                "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."
            }
            Question::Scale => "What happens when the hardware deployed needs to be upgraded to increase capacity?",
            Question::Support => "Support in case of downtime by setting up various lines of support.",
        }
    }
}

/// How a rule's findings get their severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityRule {
    /// From the environment's kind: an error in production, a warning in test and staging,
    /// silent in development; `strict = true` moves the environment one step stricter. A
    /// finding about two environments takes the stricter of the two.
    ByKind,
    /// Always an error: the rule only fires on real patient data, which needs the same
    /// protection in every kind of environment.
    Always,
}

/// How a rule is checked.
#[derive(Clone, Copy)]
pub enum Check {
    /// Once per environment. Returns whether the rule applies to the environment at all (a
    /// rule about backups does not apply to an environment without backups), which the
    /// report shows; a rule that does not apply never has findings.
    Environment(fn(&Ctx<'_>, usize, &Environment, &mut Vec<Finding>) -> bool),
    /// Once per plan, for rules about several environments together. Applies everywhere.
    Plan(fn(&Ctx<'_>, &mut Vec<Finding>)),
}

/// One hosting-guide rule.
pub struct Rule {
    pub code: &'static CodeInfo,
    pub question: Question,
    pub severity: SeverityRule,
    /// The fields the rule reads, as keys of [`crate::model::Policy::spans`] (`backup.offsite`) or, with an
    /// `environment.` prefix, of [`Environment::spans`]. The policy report lists, for each
    /// part of a policy, the rules it satisfies.
    pub reads: &'static [&'static str],
    pub check: Check,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("code", &self.code.code)
            .field("question", &self.question)
            .finish()
    }
}

/// Every rule, in code order.
pub static RULES: &[Rule] = &[
    Rule {
        code: &codes::R0101,
        question: Question::Backups,
        severity: SeverityRule::ByKind,
        reads: &["backup"],
        check: Check::Environment(backup::missing_backup),
    },
    Rule {
        code: &codes::R0102,
        question: Question::DisasterRecovery,
        severity: SeverityRule::ByKind,
        reads: &["backup.offsite", "backup.offsite_region"],
        check: Check::Environment(backup::onsite_only_backup),
    },
    Rule {
        code: &codes::R0103,
        question: Question::DisasterRecovery,
        severity: SeverityRule::ByKind,
        reads: &["backup.encrypted"],
        check: Check::Environment(backup::unencrypted_backup),
    },
    Rule {
        code: &codes::R0104,
        question: Question::Backups,
        severity: SeverityRule::ByKind,
        reads: &["backup.every", "backup.keep"],
        check: Check::Environment(backup::sparse_backup_schedule),
    },
    Rule {
        code: &codes::R0105,
        question: Question::Alerting,
        severity: SeverityRule::ByKind,
        reads: &["alerting.email", "alerting.webhook"],
        check: Check::Environment(alerting::missing_alert_channel),
    },
    Rule {
        code: &codes::R0106,
        question: Question::Alerting,
        severity: SeverityRule::ByKind,
        reads: &["alerting.on"],
        check: Check::Environment(alerting::missing_alert_condition),
    },
    Rule {
        code: &codes::R0107,
        question: Question::PowerFailures,
        severity: SeverityRule::ByKind,
        reads: &["restart"],
        check: Check::Environment(operations::manual_restart),
    },
    Rule {
        code: &codes::R0108,
        question: Question::PowerFailures,
        severity: SeverityRule::ByKind,
        reads: &["start_on_boot"],
        check: Check::Environment(operations::boot_start_disabled),
    },
    Rule {
        code: &codes::R0109,
        question: Question::Updates,
        severity: SeverityRule::ByKind,
        reads: &["tls", "tls.mode", "tls.renew_before"],
        check: Check::Environment(security::manual_certificate_renewal),
    },
    Rule {
        code: &codes::R0110,
        question: Question::Updates,
        severity: SeverityRule::ByKind,
        reads: &["tls.mode"],
        check: Check::Environment(security::self_signed_certificate),
    },
    Rule {
        code: &codes::R0111,
        question: Question::Security,
        severity: SeverityRule::ByKind,
        reads: &["encryption"],
        check: Check::Environment(security::unencrypted_disk),
    },
    Rule {
        code: &codes::R0112,
        question: Question::Privacy,
        severity: SeverityRule::Always,
        reads: &["environment.data"],
        check: Check::Environment(privacy::real_data_weak_policy),
    },
    Rule {
        code: &codes::R0113,
        question: Question::Privacy,
        severity: SeverityRule::Always,
        reads: &["environment.data", "environment.kind"],
        check: Check::Environment(privacy::real_data_outside_production),
    },
    Rule {
        code: &codes::R0114,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["environment.secrets"],
        check: Check::Plan(segregation::shared_secret),
    },
    Rule {
        code: &codes::R0115,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["environment.couchdb.volume"],
        check: Check::Plan(segregation::shared_data_volume),
    },
    Rule {
        code: &codes::R0116,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["environment.namespace"],
        check: Check::Plan(segregation::shared_namespace),
    },
    Rule {
        code: &codes::R0117,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["environment.domain"],
        check: Check::Plan(segregation::shared_domain),
    },
    Rule {
        code: &codes::R0118,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["backup.location"],
        check: Check::Plan(segregation::shared_backup_location),
    },
    Rule {
        code: &codes::R0119,
        question: Question::Scale,
        severity: SeverityRule::ByKind,
        reads: &["environment.couchdb.disk", "environment.infra"],
        check: Check::Environment(capacity::undersized_storage),
    },
    Rule {
        code: &codes::R0120,
        question: Question::Scale,
        severity: SeverityRule::ByKind,
        reads: &["environment.scale"],
        check: Check::Environment(capacity::replication_limit_exceeded),
    },
    Rule {
        code: &codes::R0121,
        question: Question::Privacy,
        severity: SeverityRule::ByKind,
        reads: &["admin_from"],
        check: Check::Environment(security::unrestricted_admin_access),
    },
    Rule {
        code: &codes::R0122,
        question: Question::Privacy,
        severity: SeverityRule::ByKind,
        reads: &["environment.target"],
        check: Check::Environment(security::public_port),
    },
    Rule {
        code: &codes::R0123,
        question: Question::Alerting,
        severity: SeverityRule::ByKind,
        reads: &["environment.monitor", "environment.infra"],
        check: Check::Environment(operations::colocated_watchdog),
    },
    Rule {
        code: &codes::R0124,
        question: Question::Segregation,
        severity: SeverityRule::ByKind,
        reads: &["environment.kind"],
        check: Check::Environment(operations::missing_test_environment),
    },
    Rule {
        code: &codes::R0125,
        question: Question::Support,
        severity: SeverityRule::ByKind,
        reads: &[],
        check: Check::Environment(operations::unattended_environment),
    },
    Rule {
        code: &codes::R0126,
        question: Question::Updates,
        severity: SeverityRule::ByKind,
        reads: &["update_window"],
        check: Check::Environment(operations::unscheduled_updates),
    },
];

/// Finds a rule by its code (`R0102`) or name (`onsite-only-backup`).
pub fn rule(key: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|it| it.code.code.eq_ignore_ascii_case(key) || it.code.name.eq_ignore_ascii_case(key))
}

/// How strongly a finding is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Computed and shown by `--explain-policy`, but not reported as a diagnostic.
    Silent,
    Warning,
    Error,
}

impl Level {
    /// The level of rules in an environment of this kind.
    pub fn of(kind: EnvKind, strict: bool) -> Level {
        match (kind, strict) {
            (EnvKind::Development, false) => Level::Silent,
            (EnvKind::Development, true) | (EnvKind::Test | EnvKind::Staging, false) => {
                Level::Warning
            }
            (EnvKind::Test | EnvKind::Staging, true) | (EnvKind::Production, _) => Level::Error,
        }
    }

    /// The level of rules in an environment.
    pub fn of_environment(environment: &Environment) -> Level {
        Level::of(environment.kind, environment.strict)
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Silent => "silent",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    fn severity(self) -> Option<Severity> {
        match self {
            Level::Silent => None,
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// A rule's finding, before the engine gives it a severity and applies `allow` blocks.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The environment the finding belongs to, as an index into [`Plan::environments`].
    pub environment: usize,
    /// For findings about two environments, the other one; an `allow` in either suppresses it.
    pub other: Option<usize>,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Finding {
    /// A finding about one environment, with the environment's head as its primary label.
    pub fn new(
        environment_idx: usize,
        environment: &Environment,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Finding {
        Finding {
            environment: environment_idx,
            other: None,
            message: message.into(),
            primary: Label::new(environment.head, label),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_secondary(mut self, label: Label) -> Finding {
        self.secondary.push(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Finding {
        self.notes.push(note.into());
        self
    }
}

/// What the rules see: the plan, and which files are the embedded standard library (labels
/// never point there when a plan line can say the same).
pub struct Ctx<'a> {
    pub plan: &'a Plan,
    /// The capacity estimate of the plan, which the scale rules read when it exists.
    pub estimate: Option<&'a crate::estimate::output::PlanEstimate>,
    pub std_files: &'a [FileId],
    /// Per environment name, the operators who may act on it (admins and deployers), and the
    /// first operator with any access: looked up once per environment, so built once.
    pub operators: BTreeMap<&'a str, Access>,
}

/// Who may reach an environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Access {
    /// Whether an admin or a deployer may act on it.
    pub attended: bool,
    /// The first operator with any access to it.
    pub first: Option<Span>,
}

impl<'a> Ctx<'a> {
    /// The context of the rules for a plan.
    pub fn new(
        plan: &'a Plan,
        estimate: Option<&'a crate::estimate::output::PlanEstimate>,
        std_files: &'a [FileId],
    ) -> Ctx<'a> {
        let mut operators: BTreeMap<&str, Access> = BTreeMap::new();
        for operator in &plan.operators {
            let acts = matches!(
                operator.role,
                crate::model::OperatorRole::Admin | crate::model::OperatorRole::Deployer
            );
            for name in &operator.access {
                let access = operators.entry(name.as_str()).or_default();
                access.attended |= acts;
                access.first.get_or_insert(operator.span);
            }
        }
        Ctx {
            plan,
            estimate,
            std_files,
            operators,
        }
    }
}

impl Ctx<'_> {
    fn is_user(&self, span: Span) -> bool {
        !self.std_files.contains(&span.file)
    }

    /// A label at the policy field `key` (such as `backup.offsite`) of the environment's
    /// effective policy, falling back to the nearest enclosing block set in the plan, then
    /// to the policy's declaration, then to the environment's `policy = ...` line, so that
    /// the label always points at a line of the user's plan. For a missing field, `key` is
    /// where it would go.
    pub fn policy_label(&self, environment: &Environment, key: &str, message: &str) -> Label {
        let policy = &environment.policy;
        let mut candidate = Some(key);
        while let Some(current) = candidate {
            if let Some(span) = policy.spans.get(current) {
                if self.is_user(*span) {
                    return Label::new(*span, message);
                }
                break;
            }
            candidate = current.rsplit_once('.').map(|(parent, _)| parent);
        }
        if self.is_user(policy.name_span) {
            return Label::new(
                policy.name_span,
                format!("policy `{}`: {message}", policy.qualified),
            );
        }
        self.environment_label(
            environment,
            "policy",
            &format!("`{}`: {message}", policy.qualified),
        )
    }

    /// A label at the environment field `key` (`domain`, `couchdb.volume`, ...), or at the
    /// environment's head when the field is not written.
    pub fn environment_label(&self, environment: &Environment, key: &str, message: &str) -> Label {
        match environment.spans.get(key) {
            Some(span) if self.is_user(*span) => Label::new(*span, message),
            _ => Label::new(environment.head, message),
        }
    }
}

/// What the rules found about a plan.
#[derive(Clone, Debug, Default)]
pub struct RuleReport {
    /// Per environment, in declaration order.
    pub environments: Vec<EnvironmentReport>,
    /// Findings an `allow` suppressed, as diagnostics, with the reason.
    pub suppressed: Vec<Suppressed>,
}

/// The rules' verdict on one environment.
#[derive(Clone, Debug)]
pub struct EnvironmentReport {
    pub name: String,
    /// The level of the environment's [`SeverityRule::ByKind`] findings.
    pub level: Level,
    /// One outcome per rule, in [`RULES`] order.
    pub outcomes: Vec<Outcome>,
    /// The environment's `allow` blocks.
    pub allows: Vec<AllowReport>,
}

/// A rule's outcome in one environment.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub rule: &'static Rule,
    pub status: Status,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The rule does not concern this environment.
    NotApplicable,
    Passed,
    /// The rule fires; `level` is the strictest of its findings.
    Failed {
        level: Level,
        findings: usize,
    },
    /// The rule fires but the environment allows it.
    Allowed {
        reason: Option<String>,
    },
}

/// An environment's `allow` block and what it did.
#[derive(Clone, Debug)]
pub struct AllowReport {
    pub rule: &'static Rule,
    pub reason: Option<String>,
    pub span: Span,
    /// Whether it suppressed at least one finding.
    pub used: bool,
}

/// A finding that an `allow` suppressed.
#[derive(Clone, Debug)]
pub struct Suppressed {
    /// The finding as it would have been reported.
    pub diagnostic: Diagnostic,
    /// The environment whose `allow` suppressed it.
    pub environment: String,
    pub reason: Option<String>,
}

/// Runs every rule over the plan. Returns the report and appends the diagnostics to `out`:
/// the findings that are neither silent nor allowed, and warnings about `allow` blocks
/// without a reason or without effect.
pub fn run(
    plan: &Plan,
    estimate: Option<&crate::estimate::output::PlanEstimate>,
    std_files: &[FileId],
    out: &mut Vec<Diagnostic>,
) -> RuleReport {
    let ctx = Ctx::new(plan, estimate, std_files);
    let n_environments = plan.environments.len();
    // Per environment and rule: whether the rule applies and its findings.
    let mut applies = vec![vec![true; RULES.len()]; n_environments];
    let mut findings: Vec<(usize, Finding)> = Vec::new();
    for (rule_idx, rule) in RULES.iter().enumerate() {
        let mut found = Vec::new();
        match rule.check {
            Check::Environment(check) => {
                for (environment_idx, environment) in plan.environments.iter().enumerate() {
                    let applied = check(&ctx, environment_idx, environment, &mut found);
                    if let Some(slot) = applies
                        .get_mut(environment_idx)
                        .and_then(|it| it.get_mut(rule_idx))
                    {
                        *slot = applied;
                    }
                }
            }
            Check::Plan(check) => check(&ctx, &mut found),
        }
        findings.extend(found.into_iter().map(|it| (rule_idx, it)));
    }

    let mut used: Vec<Vec<bool>> = plan
        .environments
        .iter()
        .map(|it| vec![false; it.allows.len()])
        .collect();
    let mut statuses: Vec<Vec<Status>> = applies
        .iter()
        .map(|row| {
            row.iter()
                .map(|applied| {
                    if *applied {
                        Status::Passed
                    } else {
                        Status::NotApplicable
                    }
                })
                .collect()
        })
        .collect();
    let mut report = RuleReport::default();
    for (rule_idx, finding) in findings {
        let Some(rule) = RULES.get(rule_idx) else {
            continue;
        };
        let involved: Vec<usize> = std::iter::once(finding.environment)
            .chain(finding.other)
            .collect();
        let level = match rule.severity {
            SeverityRule::Always => Level::Error,
            SeverityRule::ByKind => involved
                .iter()
                .filter_map(|idx| plan.environments.get(*idx))
                .map(Level::of_environment)
                .max()
                .unwrap_or(Level::Silent),
        };
        let allowed_by = involved.iter().find_map(|idx| {
            let environment = plan.environments.get(*idx)?;
            let allow_idx = environment
                .allows
                .iter()
                .position(|it| rule.code.code.eq_ignore_ascii_case(&it.code))?;
            Some((*idx, allow_idx))
        });
        for idx in &involved {
            let Some(status) = statuses.get_mut(*idx).and_then(|it| it.get_mut(rule_idx)) else {
                continue;
            };
            *status = match (&*status, allowed_by) {
                (_, Some((allow_env, allow_idx))) => Status::Allowed {
                    reason: plan
                        .environments
                        .get(allow_env)
                        .and_then(|it| it.allows.get(allow_idx))
                        .and_then(|it| it.reason.clone()),
                },
                (
                    Status::Failed {
                        level: previous,
                        findings,
                    },
                    None,
                ) => Status::Failed {
                    level: (*previous).max(level),
                    findings: findings + 1,
                },
                (_, None) => Status::Failed { level, findings: 1 },
            };
        }
        let diagnostic = to_diagnostic(rule, level, finding);
        match allowed_by {
            Some((allow_env, allow_idx)) => {
                if let Some(flag) = used.get_mut(allow_env).and_then(|it| it.get_mut(allow_idx)) {
                    *flag = true;
                }
                let environment = plan.environments.get(allow_env);
                report.suppressed.push(Suppressed {
                    diagnostic,
                    environment: environment.map(|it| it.name.clone()).unwrap_or_default(),
                    reason: environment
                        .and_then(|it| it.allows.get(allow_idx))
                        .and_then(|it| it.reason.clone()),
                });
            }
            None => {
                if level != Level::Silent {
                    out.push(diagnostic);
                }
            }
        }
    }

    for (environment_idx, environment) in plan.environments.iter().enumerate() {
        let mut allows = Vec::new();
        for (allow_idx, allow) in environment.allows.iter().enumerate() {
            let Some(rule) = rule(&allow.code) else {
                continue;
            };
            let was_used = used
                .get(environment_idx)
                .and_then(|it| it.get(allow_idx))
                .copied()
                .unwrap_or(false);
            let reason = allow.reason.clone().filter(|it| !it.trim().is_empty());
            if reason.is_none() {
                out.push(
                    Diagnostic::warning(
                        &codes::W0002,
                        format!(
                            "`allow {}` in `{}` gives no reason",
                            rule.code.code, environment.name
                        ),
                        Label::new(allow.span, "no reason"),
                    )
                    .with_help(format!(
                        "say why {} ({}) does not apply here: `allow {} {{ reason = \"...\" }}`",
                        rule.code.code, rule.code.summary, rule.code.code
                    ))
                    .with_note(
                        "the reason is shown in the estimate report and the environment's README",
                    ),
                );
            }
            if !was_used {
                let earlier = environment
                    .allows
                    .iter()
                    .take(allow_idx)
                    .any(|it| it.code.eq_ignore_ascii_case(&allow.code));
                let mut diagnostic = Diagnostic::warning(
                    &codes::W0003,
                    format!(
                        "`allow {}` suppresses nothing in `{}`",
                        rule.code.code, environment.name
                    ),
                    Label::new(
                        allow.span,
                        if earlier {
                            "allowed twice"
                        } else {
                            "this rule does not fire here"
                        },
                    ),
                );
                diagnostic = if earlier {
                    diagnostic.with_help("remove the repeated `allow`")
                } else {
                    diagnostic.with_help(format!(
                        "remove it: {} ({}) passes in this environment",
                        rule.code.code, rule.code.name
                    ))
                };
                out.push(diagnostic);
            }
            allows.push(AllowReport {
                rule,
                reason,
                span: allow.span,
                used: was_used,
            });
        }
        let outcomes = RULES
            .iter()
            .enumerate()
            .map(|(rule_idx, rule)| Outcome {
                rule,
                status: statuses
                    .get(environment_idx)
                    .and_then(|it| it.get(rule_idx))
                    .cloned()
                    .unwrap_or(Status::NotApplicable),
            })
            .collect();
        report.environments.push(EnvironmentReport {
            name: environment.name.clone(),
            level: Level::of_environment(environment),
            outcomes,
            allows,
        });
    }
    report
}

fn to_diagnostic(rule: &'static Rule, level: Level, finding: Finding) -> Diagnostic {
    let severity = level.severity().unwrap_or(Severity::Note);
    let mut diagnostic = Diagnostic::new(rule.code, severity, finding.message, finding.primary);
    diagnostic.secondary = finding.secondary;
    diagnostic.help = finding.help;
    diagnostic.notes = finding.notes;
    diagnostic.notes.push(format!(
        "hosting guide, \"{}\": {}",
        rule.question.title(),
        rule.question.text()
    ));
    diagnostic
}
