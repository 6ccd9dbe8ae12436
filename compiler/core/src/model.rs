//! The typed plan model: what the checked records mean, with `extends` applied and the
//! domain validated. Estimate, rules and lowering read only this model.

use std::collections::BTreeMap;

use hostplan_diagnostics::{codes, Diagnostic, Label, Span};

use crate::check::{check_required, Checked, DeclId, Field, Record, Value, ValueKind};
use crate::modules::{file_start, Workspace};
use crate::schema::DeclKind;
use crate::suggest::closest;

/// A whole plan, ready for the backends.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub owner: String,
    pub horizon_years: f64,
    /// The entry file's display path, named in generated files' headers.
    pub entry_path: String,
    pub release: Release,
    pub population: Population,
    pub roles: Vec<Role>,
    pub secrets: Vec<Secret>,
    pub policies: Vec<Policy>,
    pub environments: Vec<Environment>,
    pub operators: Vec<Operator>,
    /// `assumptions { key = value }` overrides, as written.
    pub assumptions: Vec<(String, f64, Span)>,
    pub providers: Vec<Provider>,
    pub spans: PlanSpans,
}

/// Where the plan's singleton blocks are, for diagnostics about the plan as a whole.
#[derive(Clone, Debug)]
pub struct PlanSpans {
    pub plan: Span,
    pub population: Span,
    pub users: Span,
    pub cht: Span,
}

#[derive(Clone, Debug)]
pub struct Release {
    pub version: String,
    pub released: Option<String>,
    pub couchdb: String,
    pub haproxy: Option<String>,
    pub nginx: Option<String>,
    pub node: Option<String>,
    pub layout: Layout,
}

impl Release {
    /// The major version, `4` or `5`.
    pub fn major(&self) -> u32 {
        self.version
            .split('.')
            .next()
            .and_then(|it| it.parse().ok())
            .unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
pub struct Layout {
    pub name: String,
    pub upgrade_service_image: String,
    pub services: Vec<Service>,
    pub variables: Vec<Variable>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComposeFile {
    Core,
    Couchdb,
    CouchdbClustered,
}

impl ComposeFile {
    /// The official file name, which the CHT upgrade service overwrites on upgrade.
    pub fn file_name(self) -> &'static str {
        match self {
            ComposeFile::Core => "cht-core.yml",
            ComposeFile::Couchdb => "cht-couchdb.yml",
            ComposeFile::CouchdbClustered => "cht-couchdb-clustered.yml",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceRole {
    Api,
    Sentinel,
    Nginx,
    Haproxy,
    Healthcheck,
    Couchdb,
    Nouveau,
}

#[derive(Clone, Debug)]
pub struct Service {
    /// The catalogue label, unique within the layout.
    pub label: String,
    /// The Compose service name.
    pub name: String,
    pub file: ComposeFile,
    pub role: ServiceRole,
    /// The image without its tag.
    pub image: String,
    pub hostname: Option<String>,
    pub port: Option<u16>,
    pub env: Vec<String>,
    pub expose: Vec<String>,
    pub ports: Vec<String>,
    pub volumes: Vec<String>,
    pub depends_on: Vec<String>,
    pub memory_limit: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub doc: String,
    pub default: Option<String>,
    pub secret: Option<SecretSlot>,
    pub used_by: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretSlot {
    CouchdbAdmin,
    CouchdbSecret,
    Postgres,
    GrafanaAdmin,
}

impl SecretSlot {
    pub const ALL: [SecretSlot; 4] = [
        SecretSlot::CouchdbAdmin,
        SecretSlot::CouchdbSecret,
        SecretSlot::Postgres,
        SecretSlot::GrafanaAdmin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SecretSlot::CouchdbAdmin => "couchdb_admin",
            SecretSlot::CouchdbSecret => "couchdb_secret",
            SecretSlot::Postgres => "postgres",
            SecretSlot::GrafanaAdmin => "grafana_admin",
        }
    }

    pub fn from_name(name: &str) -> Option<SecretSlot> {
        SecretSlot::ALL.into_iter().find(|it| it.name() == name)
    }
}

#[derive(Clone, Debug)]
pub struct Population {
    pub people: u64,
    pub workflows: u64,
    /// Yearly growth as a fraction (`0.1` for 10%).
    pub growth: f64,
    pub docs_per_workflow: u64,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub name: String,
    pub count: u64,
    pub offline: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SecretSource {
    Env(String),
    File(String),
    Generate {
        words: Option<u64>,
        length: Option<u64>,
        symbols: bool,
    },
    External {
        store: String,
        key: String,
    },
}

impl SecretSource {
    /// Whether values from this source are guaranteed to be URL-safe.
    pub fn url_safe(&self) -> Option<bool> {
        match self {
            SecretSource::Generate { symbols, .. } => Some(!symbols),
            _ => None,
        }
    }

    /// How an operator supplies or creates the value, for READMEs and `.env.example`.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(name) => {
                format!("from the environment variable `{name}` at deploy time")
            }
            SecretSource::File(path) => format!("from the file `{path}` at deploy time"),
            SecretSource::Generate {
                words: Some(words), ..
            } => {
                format!("generated on first deploy: {words} random words joined by dashes (for example `openssl rand` or `diceware -n {words} -d -`)")
            }
            SecretSource::Generate {
                length, symbols, ..
            } => format!(
                "generated on first deploy: {} random {}",
                length.unwrap_or(32),
                if *symbols {
                    "characters including symbols"
                } else {
                    "letters and digits"
                }
            ),
            SecretSource::External { store, key } => {
                format!("from the external secret store `{store}`, key `{key}`")
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Secret {
    pub name: String,
    pub source: SecretSource,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    Acme,
    Managed,
    OwnCert,
    SelfSigned,
}

#[derive(Clone, Debug)]
pub struct Tls {
    pub mode: TlsMode,
    pub renew_before_days: f64,
    pub email: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Backup {
    pub every_hours: f64,
    pub keep_days: f64,
    pub offsite: bool,
    pub offsite_region: Option<String>,
    pub encrypted: bool,
    /// An existing place backups go to, when the plan names one.
    pub location: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlertCondition {
    Downtime { minutes: f64 },
    DiskUsed { fraction: f64 },
    CertExpiry { days: f64 },
    BackupFailed,
    ReplicationLimit,
}

#[derive(Clone, Debug, Default)]
pub struct Alerting {
    pub email: Vec<String>,
    pub webhook: Vec<String>,
    pub on: Vec<AlertCondition>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    Always,
    UnlessStopped,
    OnFailure,
    Never,
}

/// A policy with `extends` applied.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    /// The qualified name as referred to, such as `policies.production`.
    pub qualified: String,
    pub name_span: Span,
    pub tls: Option<Tls>,
    pub backup: Option<Backup>,
    pub alerting: Option<Alerting>,
    pub encryption_at_rest: bool,
    pub admin_from: Vec<String>,
    pub restart: Restart,
    pub start_on_boot: bool,
    pub update_window: Option<String>,
    /// Where each field was set, after `extends`: `backup`, `backup.offsite`, `tls.mode`, ...
    pub spans: BTreeMap<String, Span>,
    /// The chain of policies this one extends, nearest first.
    pub extends: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnvKind {
    Development,
    Test,
    Staging,
    Production,
}

impl EnvKind {
    pub fn name(self) -> &'static str {
        match self {
            EnvKind::Development => "development",
            EnvKind::Test => "test",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    K3s,
    Eks,
    Gke,
    Aks,
    Generic,
}

impl Distribution {
    pub fn name(self) -> &'static str {
        match self {
            Distribution::K3s => "k3s",
            Distribution::Eks => "eks",
            Distribution::Gke => "gke",
            Distribution::Aks => "aks",
            Distribution::Generic => "generic",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Compose,
    Kubernetes(Distribution),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Infra {
    Local,
    Aws {
        region: String,
        vpc: Option<String>,
        zones: u64,
    },
    Gcp {
        region: String,
        project: String,
    },
    OnPrem {
        nodes: u64,
        cpu: u64,
        memory: u64,
        disk: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataClass {
    Synthetic,
    Anonymized,
    Real,
}

#[derive(Clone, Debug)]
pub struct SecretBinding {
    pub slot: SecretSlot,
    pub secret: String,
    /// Where the binding is written, or the secret's declaration when bound by name.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Allow {
    pub code: String,
    /// The written reason; `None` when the block gives none, which the rules report.
    pub reason: Option<String>,
    /// `allow CODE`, the head of the block.
    pub span: Span,
}

/// An environment with `extends` applied.
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub name_span: Span,
    /// `environment NAME`, for diagnostics about the environment as a whole.
    pub head: Span,
    pub kind: EnvKind,
    pub target: Target,
    pub infra: Infra,
    pub domain: String,
    pub data: DataClass,
    /// The share of the plan's users it serves, as a fraction.
    pub scale: f64,
    pub couchdb_nodes: u64,
    pub couchdb_disk: Option<u64>,
    /// An existing CouchDB data volume, when the plan names one.
    pub couchdb_volume: Option<String>,
    pub monitor_watchdog: bool,
    pub analytics_cht_sync: bool,
    pub policy: Policy,
    pub secrets: Vec<SecretBinding>,
    pub namespace: String,
    pub allows: Vec<Allow>,
    /// Whether the rules hold this environment to the next stricter level.
    pub strict: bool,
    /// Where each field was set, after `extends`.
    pub spans: BTreeMap<String, Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorRole {
    Admin,
    Deployer,
    Viewer,
}

#[derive(Clone, Debug)]
pub struct Operator {
    pub name: String,
    pub role: OperatorRole,
    pub access: Vec<String>,
    pub email: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Region {
    pub name: String,
    pub location: String,
    pub price_factor: f64,
}

#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub vcpu: u64,
    pub memory: u64,
    pub hourly: f64,
    pub family: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Provider {
    pub name: String,
    pub prices_date: String,
    pub prices_source: String,
    pub block_storage: f64,
    pub object_storage: f64,
    pub kubernetes: f64,
    pub regions: Vec<Region>,
    pub instances: Vec<Instance>,
}

/// Builds the plan model. Returns `None` when the plan is too broken to have one; the
/// reasons are in `diagnostics` (often already reported by the checker).
pub fn build(
    workspace: &Workspace,
    checked: &Checked,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    build_reusing(workspace, checked, diagnostics, None).0
}

/// What building a model leaves for the next build: the model's diagnostics, and for each
/// policy and environment where it is in the model, which diagnostics it gave, and which
/// declarations it was built from.
#[derive(Clone, Debug, Default)]
pub struct Memo {
    diagnostics: Vec<Diagnostic>,
    policies: BTreeMap<DeclId, Built>,
    environments: BTreeMap<DeclId, Built>,
}

#[derive(Clone, Debug)]
struct Built {
    /// The index in the plan's list, when it made it into the model.
    index: Option<usize>,
    /// Its diagnostics, in [`Memo::diagnostics`].
    diagnostics: std::ops::Range<usize>,
    /// The declarations it was built from: its `extends` chain and its policy's.
    inputs: Vec<DeclId>,
}

/// The previous model of a plan and what changed since, for [`build_reusing`].
pub struct Reuse {
    pub plan: Plan,
    pub memo: Memo,
    /// How the check that preceded this build moved the spans of what it kept.
    pub shift: hostplan_diagnostics::Shift,
    /// The declarations the check checked again.
    pub changed: Vec<DeclId>,
}

/// Builds the plan model, moving the policies and environments of a previous model that no
/// changed declaration went into, with their diagnostics and their spans moved by the edit.
/// Everything else (the plan's own fields, secrets, providers, operators) is built afresh:
/// it is cheap. The result is what [`build`] gives, which a property test holds it to.
pub fn build_reusing(
    workspace: &Workspace,
    checked: &Checked,
    diagnostics: &mut Vec<Diagnostic>,
    reuse: Option<Reuse>,
) -> (Option<Plan>, Memo) {
    let base = diagnostics.len();
    let mut ctx_memo = Memo::default();
    let plan = build_inner(workspace, checked, diagnostics, reuse, &mut ctx_memo);
    ctx_memo.diagnostics = diagnostics.get(base..).unwrap_or_default().to_vec();
    for built in ctx_memo
        .policies
        .values_mut()
        .chain(ctx_memo.environments.values_mut())
    {
        built.diagnostics = built.diagnostics.start - base..built.diagnostics.end - base;
    }
    (plan, ctx_memo)
}

/// A previous model taken apart for reuse.
struct Kept {
    policies: Vec<Option<Policy>>,
    environments: Vec<Option<Environment>>,
    memo: Memo,
    shift: hostplan_diagnostics::Shift,
    changed: std::collections::BTreeSet<DeclId>,
}

impl Kept {
    /// The kept item and its diagnostics, when none of its inputs changed.
    fn take<T>(&mut self, id: DeclId) -> Option<(Option<T>, Vec<Diagnostic>, Vec<DeclId>)>
    where
        Kept: Take<T>,
    {
        let built = Take::<T>::built(self, id)?;
        if built.inputs.iter().any(|it| self.changed.contains(it)) {
            return None;
        }
        let mut diagnostics = self
            .memo
            .diagnostics
            .get(built.diagnostics.clone())?
            .to_vec();
        for it in &mut diagnostics {
            self.shift.diagnostic(it);
        }
        let inputs = built.inputs.clone();
        let index = built.index;
        let item = match index {
            Some(index) => Some(self.take_item(index)?),
            None => None,
        };
        Some((item, diagnostics, inputs))
    }
}

/// Moving a kept policy or environment out of the previous model.
trait Take<T> {
    /// What the previous build recorded for the item declared as `id`.
    fn built(&self, id: DeclId) -> Option<&Built>;
    fn take_item(&mut self, index: usize) -> Option<T>;
}

impl Take<Policy> for Kept {
    fn built(&self, id: DeclId) -> Option<&Built> {
        self.memo.policies.get(&id)
    }

    fn take_item(&mut self, index: usize) -> Option<Policy> {
        let mut policy = self.policies.get_mut(index)?.take()?;
        shift_policy(&self.shift, &mut policy);
        Some(policy)
    }
}

impl Take<Environment> for Kept {
    fn built(&self, id: DeclId) -> Option<&Built> {
        self.memo.environments.get(&id)
    }

    fn take_item(&mut self, index: usize) -> Option<Environment> {
        let mut environment = self.environments.get_mut(index)?.take()?;
        shift_policy(&self.shift, &mut environment.policy);
        let shift = &self.shift;
        shift.span(&mut environment.name_span);
        shift.span(&mut environment.head);
        for span in environment.spans.values_mut() {
            shift.span(span);
        }
        for binding in &mut environment.secrets {
            shift.span(&mut binding.span);
        }
        for allow in &mut environment.allows {
            shift.span(&mut allow.span);
        }
        Some(environment)
    }
}

fn shift_policy(shift: &hostplan_diagnostics::Shift, policy: &mut Policy) {
    shift.span(&mut policy.name_span);
    for span in policy.spans.values_mut() {
        shift.span(span);
    }
}

fn build_inner(
    workspace: &Workspace,
    checked: &Checked,
    diagnostics: &mut Vec<Diagnostic>,
    reuse: Option<Reuse>,
    memo: &mut Memo,
) -> Option<Plan> {
    // Secrets and providers go into every environment: when one of them changed, only the
    // policies are kept.
    let mut kept = reuse.map(|reuse| {
        let changed: std::collections::BTreeSet<DeclId> = reuse.changed.into_iter().collect();
        let secrets_changed = changed.iter().any(|id| {
            checked
                .decl(*id)
                .is_some_and(|it| matches!(it.kind, DeclKind::Secret | DeclKind::Provider))
        });
        let mut memo = reuse.memo;
        if secrets_changed {
            memo.environments.clear();
        }
        Kept {
            policies: reuse.plan.policies.into_iter().map(Some).collect(),
            environments: reuse.plan.environments.into_iter().map(Some).collect(),
            memo,
            shift: reuse.shift,
            changed,
        }
    });
    let entry_file = workspace.modules.first().map(|it| it.file)?;
    let entry_path = workspace
        .modules
        .first()
        .map(|it| it.path.clone())
        .unwrap_or_default();
    let mut ctx = Ctx {
        workspace,
        checked,
        diagnostics,
        effective: BTreeMap::new(),
        policies: BTreeMap::new(),
        built: Vec::new(),
    };
    let mut missing = Vec::new();
    for kind in ["plan", "population", "users"] {
        if checked.singleton(kind).is_none() {
            missing.push(kind);
        }
    }
    let environment_count = checked
        .decls_of(DeclKind::Environment)
        .filter(|(_, it)| ctx.is_user(it.module))
        .count();
    if !missing.is_empty() || environment_count == 0 {
        let mut what: Vec<String> = missing.iter().map(|it| format!("`{it}`")).collect();
        let mut examples: Vec<&str> = missing
            .iter()
            .map(|it| match *it {
                "plan" => "plan \"NAME\" { cht = \"5.2.0\", owner = \"...\" }",
                "population" => "population { people = 100_000, workflows = 10 }",
                _ => "users { role chw { count = 1_000 } }",
            })
            .collect();
        if environment_count == 0 {
            what.push("`environment`".to_string());
            examples.push("environment NAME { ... }");
        }
        // "no `plan` block", "no `plan` or `users` block", "no `plan`, `users` or ... block".
        let listed = match what.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        let diagnostic = Diagnostic::error(
            &codes::E1008,
            format!("the plan has no {listed} block"),
            Label::new(file_start(entry_file), "in this plan"),
        )
        .with_help(format!("add {}", examples.join(" and ")));
        ctx.diagnostics.push(diagnostic);
        return None;
    }
    let plan_record = checked.singleton("plan")?;
    // A release the catalogue does not know is reported, and the rest of the plan is still
    // validated so that every independent error shows in one run.
    let release = ctx.release(plan_record);
    let population_record = checked.singleton("population")?;
    let users_record = checked.singleton("users")?;
    let population = Population {
        people: count(population_record, "people").unwrap_or(0),
        workflows: count(population_record, "workflows").unwrap_or(0),
        growth: percent(population_record, "growth").unwrap_or(0.0),
        docs_per_workflow: count(population_record, "docs_per_workflow").unwrap_or(1),
    };
    let roles = users_record
        .blocks
        .iter()
        .map(|role| Role {
            name: role.label_name().to_string(),
            count: count(role, "count").unwrap_or(0),
            offline: enum_value(role, "sync").unwrap_or("offline") == "offline",
            span: role.head,
        })
        .collect();
    let horizon_years = duration(plan_record, "horizon")
        .map(|it| it / 31_536_000.0)
        .unwrap_or(5.0);
    if horizon_years <= 0.0 {
        if let Some(field) = plan_record.field("horizon") {
            ctx.diagnostics.push(
                Diagnostic::error(
                    &codes::E2108,
                    "the planning horizon must be longer than zero",
                    Label::new(field.value.span, "zero"),
                )
                .with_help("plan for at least a year, such as `horizon = 5y`"),
            );
        }
    }
    let secrets = ctx.secrets();
    let providers = ctx.providers();
    let policy_ids: Vec<DeclId> = checked
        .decls_of(DeclKind::Policy)
        .map(|(id, _)| id)
        .collect();
    for id in policy_ids {
        let start = ctx.diagnostics.len();
        let (index, inputs) = match kept.as_mut().and_then(|it| it.take::<Policy>(id)) {
            Some((policy, mut kept_diagnostics, inputs)) => {
                ctx.diagnostics.append(&mut kept_diagnostics);
                let index = policy.map(|it| {
                    ctx.built.push(it);
                    ctx.built.len() - 1
                });
                ctx.policies.insert(id, index);
                (index, inputs)
            }
            None => (ctx.policy_index(id), ctx.chain(id)),
        };
        memo.policies.insert(
            id,
            Built {
                index,
                diagnostics: start..ctx.diagnostics.len(),
                inputs,
            },
        );
    }
    let environment_ids: Vec<DeclId> = checked
        .decls_of(DeclKind::Environment)
        .filter(|(_, it)| ctx.is_user(it.module))
        .map(|(id, _)| id)
        .collect();
    let mut environments: Vec<Environment> = Vec::with_capacity(environment_ids.len());
    for id in environment_ids {
        let start = ctx.diagnostics.len();
        let (environment, inputs) = match kept.as_mut().and_then(|it| it.take::<Environment>(id)) {
            Some((environment, mut kept_diagnostics, inputs)) => {
                ctx.diagnostics.append(&mut kept_diagnostics);
                (environment, inputs)
            }
            None => {
                let environment = ctx.environment(id, &secrets, &providers);
                (environment, ctx.environment_inputs(id))
            }
        };
        let index = environment.map(|it| {
            environments.push(it);
            environments.len() - 1
        });
        memo.environments.insert(
            id,
            Built {
                index,
                diagnostics: start..ctx.diagnostics.len(),
                inputs,
            },
        );
    }
    let operators = checked
        .decls_of(DeclKind::Operator)
        .filter_map(|(_, decl)| {
            let record = decl.record.as_ref()?;
            Some(Operator {
                name: decl.name.clone(),
                role: match enum_value(record, "role") {
                    Some("admin") => OperatorRole::Admin,
                    Some("deployer") => OperatorRole::Deployer,
                    _ => OperatorRole::Viewer,
                },
                access: list(record, "access")
                    .iter()
                    .filter_map(|it| match &it.kind {
                        ValueKind::Ref(id) => checked.decl(*id).map(|it| it.name.clone()),
                        _ => None,
                    })
                    .collect(),
                email: string(record, "email"),
                span: decl.name_span,
            })
        })
        .collect();
    let assumptions = checked
        .singleton("assumptions")
        .map(|record| ctx.assumptions(record))
        .unwrap_or_default();
    let release = release?;
    Some(Plan {
        name: plan_record.label_name().to_string(),
        owner: string(plan_record, "owner").unwrap_or_default(),
        horizon_years: horizon_years.max(0.0),
        entry_path,
        release,
        population,
        roles,
        secrets,
        policies: std::mem::take(&mut ctx.built),
        environments,
        operators,
        assumptions,
        providers,
        spans: PlanSpans {
            plan: plan_record.head,
            population: population_record.head,
            users: users_record.head,
            cht: plan_record
                .field("cht")
                .map(|it| it.value.span)
                .unwrap_or(plan_record.head),
        },
    })
}

struct Ctx<'a> {
    workspace: &'a Workspace,
    checked: &'a Checked,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// Effective records of policies and environments after `extends`, by declaration,
    /// shared so that a parent extended by hundreds of children is merged once.
    effective: BTreeMap<DeclId, std::sync::Arc<Record>>,
    /// Policies already built; every environment of a policy reuses it, and its diagnostics
    /// are reported once.
    policies: BTreeMap<DeclId, Option<usize>>,
    /// The policies built so far, in declaration order: the plan's list.
    built: Vec<Policy>,
}

impl Ctx<'_> {
    fn is_user(&self, module: crate::modules::ModuleId) -> bool {
        self.workspace
            .modules
            .get(module.0 as usize)
            .is_some_and(|it| !it.is_std)
    }

    fn release(&mut self, plan_record: &Record) -> Option<Release> {
        let field = plan_record.field("cht")?;
        let ValueKind::Str(version) = &field.value.kind else {
            return None;
        };
        let releases: Vec<(&crate::check::Decl, &Record)> = self
            .checked
            .decls_of(DeclKind::Release)
            .filter_map(|(_, decl)| decl.record.as_ref().map(|record| (decl, record)))
            .collect();
        let Some((decl, record)) = releases.iter().find(|(decl, _)| decl.name == *version) else {
            let known: Vec<&str> = releases
                .iter()
                .map(|(decl, _)| decl.name.as_str())
                .collect();
            let mut diagnostic = Diagnostic::error(
                &codes::E2201,
                format!("CHT release `{version}` is not in the catalogue"),
                Label::new(field.value.span, "unknown release"),
            )
            .with_value(version.clone());
            diagnostic = if known.is_empty() {
                diagnostic.with_help("add `import \"std/cht\"`, which holds the release catalogue")
            } else {
                // The newest release of the same minor line is the likeliest intent.
                let minor_line = version
                    .rsplit_once('.')
                    .map(|(line, _)| format!("{line}."))
                    .unwrap_or_default();
                let same_line = known
                    .iter()
                    .rev()
                    .find(|it| !minor_line.is_empty() && it.starts_with(&minor_line))
                    .copied();
                match same_line.or_else(|| closest(version, known.iter().copied())) {
                    Some(best) => diagnostic.with_help(format!(
                        "did you mean `{best}`? known releases: {}",
                        known.join(", ")
                    )),
                    None => diagnostic.with_help(format!("known releases: {}", known.join(", "))),
                }
            };
            self.diagnostics.push(diagnostic);
            return None;
        };
        let layout_id = match record.value("layout") {
            Some(ValueKind::Ref(id)) => *id,
            _ => return None,
        };
        let layout_record = self.checked.decl(layout_id)?.record.as_ref()?;
        let services = layout_record
            .blocks
            .iter()
            .filter(|it| it.schema.kind == "service")
            .map(|service| Service {
                label: service.label_name().to_string(),
                name: string(service, "name").unwrap_or_else(|| service.label_name().to_string()),
                file: match enum_value(service, "file") {
                    Some("couchdb") => ComposeFile::Couchdb,
                    Some("couchdb_clustered") => ComposeFile::CouchdbClustered,
                    _ => ComposeFile::Core,
                },
                role: match enum_value(service, "role") {
                    Some("api") => ServiceRole::Api,
                    Some("sentinel") => ServiceRole::Sentinel,
                    Some("nginx") => ServiceRole::Nginx,
                    Some("haproxy") => ServiceRole::Haproxy,
                    Some("healthcheck") => ServiceRole::Healthcheck,
                    Some("nouveau") => ServiceRole::Nouveau,
                    _ => ServiceRole::Couchdb,
                },
                image: string(service, "image").unwrap_or_default(),
                hostname: string(service, "hostname"),
                port: count(service, "port").and_then(|it| u16::try_from(it).ok()),
                env: strings(service, "env"),
                expose: strings(service, "expose"),
                ports: strings(service, "ports"),
                volumes: strings(service, "volumes"),
                depends_on: strings(service, "depends_on"),
                memory_limit: size(service, "memory_limit").map(|it| it as u64),
            })
            .collect();
        let variables = layout_record
            .blocks
            .iter()
            .filter(|it| it.schema.kind == "variable")
            .map(|variable| Variable {
                name: variable.label_name().to_string(),
                doc: string(variable, "doc").unwrap_or_default(),
                default: string(variable, "default"),
                secret: enum_value(variable, "secret").and_then(SecretSlot::from_name),
                used_by: strings(variable, "used_by"),
            })
            .collect();
        Some(Release {
            version: decl.name.clone(),
            released: string(record, "released"),
            couchdb: string(record, "couchdb").unwrap_or_default(),
            haproxy: string(record, "haproxy"),
            nginx: string(record, "nginx"),
            node: string(record, "node"),
            layout: Layout {
                name: self
                    .checked
                    .decl(layout_id)
                    .map(|it| it.name.clone())
                    .unwrap_or_default(),
                upgrade_service_image: string(layout_record, "upgrade_service_image")
                    .unwrap_or_default(),
                services,
                variables,
            },
        })
    }

    /// The `assumptions` overrides, each checked against the estimate's registry.
    fn assumptions(&mut self, record: &Record) -> Vec<(String, f64, Span)> {
        use crate::estimate::assumptions::{check_override, registry, RejectReason};
        let mut out = Vec::new();
        for field in &record.fields {
            let ValueKind::Number(value) = field.value.kind else {
                continue;
            };
            match check_override(&field.name, value) {
                Ok(_) => out.push((field.name.clone(), value, field.key_span)),
                Err(RejectReason::UnknownKey) => {
                    let names: Vec<&str> = registry().iter().map(|it| it.name).collect();
                    let mut diagnostic = Diagnostic::error(
                        &codes::E2206,
                        format!("the estimate has no assumption `{}`", field.name),
                        Label::new(field.key_span, "unknown assumption"),
                    )
                    .with_value(field.name.clone());
                    diagnostic = match closest(&field.name, names.iter().copied()) {
                        Some(best) => diagnostic.with_help(format!(
                            "did you mean `{best}`? the language reference lists every assumption"
                        )),
                        None => diagnostic.with_help(
                            "the language reference (docs/reference.md) lists every assumption",
                        ),
                    };
                    self.diagnostics.push(diagnostic);
                }
                Err(reason) => self.diagnostics.push(
                    Diagnostic::error(
                        &codes::E2108,
                        format!("assumption `{}`: {reason}", field.name),
                        Label::new(field.value.span, "out of range"),
                    )
                    .with_value(value.to_string()),
                ),
            }
        }
        out
    }

    fn secrets(&mut self) -> Vec<Secret> {
        let mut out = Vec::new();
        for (_, decl) in self.checked.decls_of(DeclKind::Secret) {
            let Some(Value {
                kind: ValueKind::Ctor { name, args, .. },
                span,
            }) = &decl.source
            else {
                continue;
            };
            let arg = |key: &str| {
                args.iter()
                    .find(|(it, _)| *it == key)
                    .map(|(_, value)| &value.kind)
            };
            let text = |key: &str| match arg(key) {
                Some(ValueKind::Str(it)) => it.clone(),
                _ => String::new(),
            };
            let number = |key: &str| match arg(key) {
                Some(ValueKind::Count(it)) => Some(*it),
                _ => None,
            };
            let source = match *name {
                "env" => SecretSource::Env(text("name")),
                "file" => SecretSource::File(text("path")),
                "external" => SecretSource::External {
                    store: text("store"),
                    key: text("key"),
                },
                _ => {
                    let words = number("words");
                    let length = number("length");
                    let symbols = matches!(arg("symbols"), Some(ValueKind::Bool(true)));
                    match (words, length) {
                        (Some(_), Some(_)) => self.diagnostics.push(
                            Diagnostic::error(
                                &codes::E2110,
                                "`generate` takes `words` or `length`, not both",
                                Label::new(*span, "both given"),
                            )
                            .with_help("write `generate(words = 7)` or `generate(length = 32)`"),
                        ),
                        (None, None) => self.diagnostics.push(
                            Diagnostic::error(
                                &codes::E2110,
                                "`generate` needs `words` or `length`",
                                Label::new(*span, "how long a value?"),
                            )
                            .with_help("write `generate(words = 7)` or `generate(length = 32)`"),
                        ),
                        _ => {}
                    }
                    let too_short =
                        words.is_some_and(|it| it < 4) || length.is_some_and(|it| it < 16);
                    if too_short {
                        self.diagnostics.push(
                            Diagnostic::error(&codes::E2108, "a generated secret this short can be guessed", Label::new(*span, "too short"))
                                .with_help("use at least 4 words (7 recommended) or 16 characters (32 recommended)"),
                        );
                    }
                    SecretSource::Generate {
                        words,
                        length,
                        symbols,
                    }
                }
            };
            out.push(Secret {
                name: decl.name.clone(),
                source,
                span: decl.name_span,
            });
        }
        out
    }

    fn providers(&mut self) -> Vec<Provider> {
        self.checked
            .decls_of(DeclKind::Provider)
            .filter_map(|(_, decl)| {
                let record = decl.record.as_ref()?;
                Some(Provider {
                    name: decl.name.clone(),
                    prices_date: string(record, "prices_date").unwrap_or_default(),
                    prices_source: string(record, "prices_source").unwrap_or_default(),
                    block_storage: money(record, "block_storage").unwrap_or(0.0),
                    object_storage: money(record, "object_storage").unwrap_or(0.0),
                    kubernetes: money(record, "kubernetes").unwrap_or(0.0),
                    regions: record
                        .blocks
                        .iter()
                        .filter(|it| it.schema.kind == "region")
                        .map(|it| Region {
                            name: it.label_name().to_string(),
                            location: string(it, "location").unwrap_or_default(),
                            price_factor: percent(it, "price_factor").unwrap_or(1.0),
                        })
                        .collect(),
                    instances: record
                        .blocks
                        .iter()
                        .filter(|it| it.schema.kind == "instance")
                        .map(|it| Instance {
                            name: it.label_name().to_string(),
                            vcpu: count(it, "vcpu").unwrap_or(0),
                            memory: size(it, "memory").unwrap_or(0.0) as u64,
                            hourly: money(it, "hourly").unwrap_or(0.0),
                            family: string(it, "family"),
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// A declaration and those it extends, nearest first.
    fn chain(&self, id: DeclId) -> Vec<DeclId> {
        let mut chain = vec![id];
        let mut current = id;
        while let Some((parent, _)) = self.checked.decl(current).and_then(|it| it.extends) {
            if chain.len() > self.checked.decls.len() || chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain
    }

    /// The declarations an environment is built from: its `extends` chain, and the chain of
    /// the policy its effective record names.
    fn environment_inputs(&mut self, id: DeclId) -> Vec<DeclId> {
        let mut inputs = self.chain(id);
        let policy = self
            .effective(id)
            .and_then(|record| match record.value("policy") {
                Some(ValueKind::Ref(policy)) => Some(*policy),
                _ => None,
            });
        if let Some(policy) = policy {
            inputs.extend(self.chain(policy));
        }
        inputs
    }

    /// The record of a declaration with its `extends` chain applied.
    fn effective(&mut self, id: DeclId) -> Option<std::sync::Arc<Record>> {
        if let Some(record) = self.effective.get(&id) {
            return Some(record.clone());
        }
        let decl = self.checked.decl(id)?;
        let own = decl.record.as_ref()?;
        let merged = match decl.extends {
            Some((parent, _)) => match self.effective(parent) {
                Some(parent_record) => merge(&parent_record, own),
                None => own.clone(),
            },
            None => own.clone(),
        };
        let merged = std::sync::Arc::new(merged);
        self.effective.insert(id, merged.clone());
        Some(merged)
    }

    fn qualified(&self, id: DeclId) -> String {
        let Some(decl) = self.checked.decl(id) else {
            return String::new();
        };
        match self.workspace.modules.get(decl.module.0 as usize) {
            Some(module) if module.is_std => {
                let stem = module
                    .path
                    .trim_start_matches("std/")
                    .trim_end_matches(".hplan");
                format!("{stem}.{}", decl.name)
            }
            _ => decl.name.clone(),
        }
    }

    fn policy(&mut self, id: DeclId) -> Option<Policy> {
        let index = self.policy_index(id)?;
        self.built.get(index).cloned()
    }

    /// Where a policy is in the plan's list, building it first if need be.
    fn policy_index(&mut self, id: DeclId) -> Option<usize> {
        if let Some(index) = self.policies.get(&id) {
            return *index;
        }
        let index = self.build_policy(id).map(|policy| {
            self.built.push(policy);
            self.built.len() - 1
        });
        self.policies.insert(id, index);
        index
    }

    fn build_policy(&mut self, id: DeclId) -> Option<Policy> {
        let record = self.effective(id)?;
        let decl = self.checked.decl(id)?;
        if self.is_user(decl.module) {
            check_required(&record, self.diagnostics);
        }
        let chain: Vec<String> = self
            .chain(id)
            .iter()
            .skip(1)
            .map(|parent| self.qualified(*parent))
            .collect();
        let tls = record.block("tls").map(|tls| Tls {
            mode: match enum_value(tls, "mode") {
                Some("acme") => TlsMode::Acme,
                Some("managed") => TlsMode::Managed,
                Some("own_cert") => TlsMode::OwnCert,
                _ => TlsMode::SelfSigned,
            },
            renew_before_days: duration(tls, "renew_before")
                .map(|it| it / 86_400.0)
                .unwrap_or(30.0),
            email: string(tls, "email"),
        });
        let backup = record.block("backup").map(|backup| Backup {
            every_hours: duration(backup, "every")
                .map(|it| it / 3_600.0)
                .unwrap_or(24.0),
            keep_days: duration(backup, "keep")
                .map(|it| it / 86_400.0)
                .unwrap_or(0.0),
            offsite: boolean(backup, "offsite").unwrap_or(false),
            offsite_region: string(backup, "offsite_region"),
            encrypted: boolean(backup, "encrypted").unwrap_or(false),
            location: string(backup, "location"),
        });
        if let Some(block) = record.block("backup") {
            let every = duration(block, "every");
            let keep = duration(block, "keep");
            let kept_shorter = matches!((every, keep), (Some(every), Some(keep)) if keep < every);
            if kept_shorter {
                let span = block
                    .field("keep")
                    .map(|it| it.value.span)
                    .unwrap_or(block.head);
                self.diagnostics.push(
                    Diagnostic::error(
                        &codes::E2108,
                        "backups are kept for less time than the interval between them",
                        Label::new(span, "shorter than `every`"),
                    )
                    .with_help("keep each backup at least until the next one is taken"),
                );
            }
        }
        let alerting = record.block("alerting").map(|alerting| Alerting {
            email: strings(alerting, "email"),
            webhook: strings(alerting, "webhook"),
            on: list(alerting, "on")
                .iter()
                .filter_map(alert_condition)
                .collect(),
        });
        if let Some(alerting) = record.block("alerting") {
            for value in list(alerting, "on") {
                if let Some(AlertCondition::DiskUsed { fraction }) = alert_condition(value) {
                    if !(0.0..=1.0).contains(&fraction) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                &codes::E2108,
                                "a disk cannot be more than 100% used",
                                Label::new(value.span, "out of range"),
                            )
                            .with_help(
                                "use a threshold between 1% and 99%, such as `disk_used(80%)`",
                            ),
                        );
                    }
                }
            }
        }
        let mut spans = BTreeMap::new();
        collect_spans(&record, "", &mut spans);
        Some(Policy {
            name: decl.name.clone(),
            qualified: self.qualified(id),
            name_span: decl.name_span,
            tls,
            backup,
            alerting,
            encryption_at_rest: enum_value(&record, "encryption") == Some("at_rest"),
            admin_from: strings(&record, "admin_from"),
            restart: match enum_value(&record, "restart") {
                Some("unless_stopped") => Restart::UnlessStopped,
                Some("on_failure") => Restart::OnFailure,
                Some("never") => Restart::Never,
                _ => Restart::Always,
            },
            start_on_boot: boolean(&record, "start_on_boot").unwrap_or(true),
            update_window: string(&record, "update_window"),
            spans,
            extends: chain,
        })
    }

    fn environment(
        &mut self,
        id: DeclId,
        secrets: &[Secret],
        providers: &[Provider],
    ) -> Option<Environment> {
        let record = self.effective(id)?;
        let decl = self.checked.decl(id)?;
        let before = self.diagnostics.len();
        check_required(&record, self.diagnostics);
        if self.diagnostics.len() > before {
            return None;
        }
        // An unresolved policy was reported by the checker; the rest of the environment is
        // still validated so that independent errors all show.
        let policy = match record.value("policy") {
            Some(ValueKind::Ref(id)) => self.policy(*id),
            _ => None,
        };
        let target = match record.value("target") {
            Some(ValueKind::Ctor {
                name: "kubernetes",
                args,
                ..
            }) => Target::Kubernetes(match args.first().map(|(_, it)| &it.kind) {
                Some(ValueKind::Enum("eks")) => Distribution::Eks,
                Some(ValueKind::Enum("gke")) => Distribution::Gke,
                Some(ValueKind::Enum("aks")) => Distribution::Aks,
                Some(ValueKind::Enum("generic")) => Distribution::Generic,
                _ => Distribution::K3s,
            }),
            Some(ValueKind::Ctor { .. }) => Target::Compose,
            _ => return None,
        };
        let infra_field = record.field("infra")?;
        let infra = match &infra_field.value.kind {
            ValueKind::Ctor { name, body, .. } => match (*name, body.as_deref()) {
                ("aws", Some(body)) => Infra::Aws {
                    region: string(body, "region").unwrap_or_default(),
                    vpc: string(body, "vpc"),
                    zones: count(body, "zones").unwrap_or(2),
                },
                ("gcp", Some(body)) => Infra::Gcp {
                    region: string(body, "region").unwrap_or_default(),
                    project: string(body, "project").unwrap_or_default(),
                },
                ("onprem", Some(body)) => Infra::OnPrem {
                    nodes: count(body, "nodes").unwrap_or(0),
                    cpu: count(body, "cpu").unwrap_or(0),
                    memory: size(body, "memory").unwrap_or(0.0) as u64,
                    disk: size(body, "disk").unwrap_or(0.0) as u64,
                },
                _ => Infra::Local,
            },
            _ => return None,
        };
        let couchdb = record.block("couchdb");
        let couchdb_nodes = couchdb.and_then(|it| count(it, "nodes")).unwrap_or(1);
        if couchdb_nodes != 1 && couchdb_nodes != 3 {
            let span = couchdb
                .and_then(|it| it.field("nodes"))
                .map(|it| it.value.span)
                .unwrap_or(decl.name_span);
            self.diagnostics.push(
                Diagnostic::error(&codes::E2202, format!("CHT does not support a CouchDB cluster of {couchdb_nodes} nodes"), Label::new(span, "use 1 or 3"))
                    .with_value(couchdb_nodes.to_string())
                    .with_help("use `nodes = 1` (CHT's advice: one node scales as far as a cluster) or `nodes = 3`")
                    .with_note("CHT's Compose file and Helm charts assume exactly three nodes, and two nodes give no quorum"),
            );
        }
        self.check_target_infra(&record, target, &infra, infra_field, providers);
        // Without `scale`, production and staging serve every user, while test and
        // development environments are sized for a small share; a laptop is not sized for a
        // national programme.
        let kind = match enum_value(&record, "kind") {
            Some("production") => EnvKind::Production,
            Some("staging") => EnvKind::Staging,
            Some("test") => EnvKind::Test,
            _ => EnvKind::Development,
        };
        let default_scale = match kind {
            EnvKind::Production | EnvKind::Staging => 1.0,
            EnvKind::Test => 0.1,
            EnvKind::Development => 0.01,
        };
        let scale = percent(&record, "scale").unwrap_or(default_scale);
        if !(0.0..=1.0).contains(&scale) || scale == 0.0 {
            if let Some(field) = record.field("scale") {
                self.diagnostics.push(
                    Diagnostic::error(
                        &codes::E2108,
                        "an environment serves between 0% and 100% of the users",
                        Label::new(field.value.span, "out of range"),
                    )
                    .with_help("write a share such as `scale = 5%`"),
                );
            }
        }
        let bindings = self.secret_bindings(&record, decl, secrets);
        let namespace = string(&record, "namespace")
            .unwrap_or_else(|| decl.name.replace('_', "-").to_lowercase());
        let allows = record
            .blocks
            .iter()
            .filter(|it| it.schema.kind == "allow")
            .filter_map(|allow| {
                let code = allow.label_name().to_string();
                let valid = hostplan_diagnostics::lookup(&code).is_some_and(|it| it.code.starts_with('R'));
                if !valid {
                    let rules: Vec<&str> = hostplan_diagnostics::CODES.iter().filter(|it| it.code.starts_with('R')).map(|it| it.code).collect();
                    let span = allow.label.as_ref().map(|(_, it)| *it).unwrap_or(allow.head);
                    self.diagnostics.push(
                        Diagnostic::error(&codes::E2106, format!("`{code}` is not a hosting-guide rule"), Label::new(span, "unknown rule"))
                            .with_value(code.clone())
                            .with_help(match closest(&code, rules.iter().copied()) {
                                Some(best) => format!("did you mean `{best}`? `hostplan explain` lists the rules"),
                                None => "`allow` names a rule code such as `R0102`; `hostplan explain` lists them".to_string(),
                            }),
                    );
                    return None;
                }
                Some(Allow { code, reason: string(allow, "reason"), span: allow.head })
            })
            .collect();
        let mut spans = BTreeMap::new();
        collect_spans(&record, "", &mut spans);
        let policy = policy?;
        Some(Environment {
            name: decl.name.clone(),
            name_span: decl.name_span,
            head: record.head,
            kind,
            target,
            infra,
            domain: string(&record, "domain").unwrap_or_default(),
            data: match enum_value(&record, "data") {
                Some("real") => DataClass::Real,
                Some("anonymized") => DataClass::Anonymized,
                _ => DataClass::Synthetic,
            },
            scale: scale.clamp(0.0, 1.0),
            couchdb_nodes,
            couchdb_disk: couchdb.and_then(|it| size(it, "disk")).map(|it| it as u64),
            couchdb_volume: couchdb.and_then(|it| string(it, "volume")),
            monitor_watchdog: enum_value(&record, "monitor") == Some("watchdog"),
            analytics_cht_sync: enum_value(&record, "analytics") == Some("cht_sync"),
            policy,
            secrets: bindings,
            namespace,
            allows,
            strict: boolean(&record, "strict").unwrap_or(false),
            spans,
        })
    }

    fn check_target_infra(
        &mut self,
        record: &Record,
        target: Target,
        infra: &Infra,
        infra_field: &Field,
        providers: &[Provider],
    ) {
        let target_span = record
            .field("target")
            .map(|it| it.value.span)
            .unwrap_or(record.head);
        let needs = match (target, infra) {
            (Target::Kubernetes(Distribution::Eks), Infra::Aws { .. }) => None,
            (Target::Kubernetes(Distribution::Eks), _) => Some(("EKS", "aws { region = \"...\" }")),
            (Target::Kubernetes(Distribution::Gke), Infra::Gcp { .. }) => None,
            (Target::Kubernetes(Distribution::Gke), _) => {
                Some(("GKE", "gcp { region = \"...\", project = \"...\" }"))
            }
            (Target::Kubernetes(Distribution::Aks), Infra::Aws { .. } | Infra::Gcp { .. }) => {
                Some((
                    "AKS",
                    "onprem { ... } describing the existing cluster's capacity",
                ))
            }
            _ => None,
        };
        if let Some((what, infra_example)) = needs {
            self.diagnostics.push(
                Diagnostic::error(&codes::E2203, format!("{what} cannot run on this infrastructure"), Label::new(target_span, format!("{what} is chosen here")))
                    .with_secondary(Label::new(infra_field.value.span, "but the infrastructure is this"))
                    .with_help(format!("use `infra = {infra_example}`, or choose a target that runs here such as `kubernetes(k3s)`")),
            );
        }
        if let Infra::OnPrem {
            nodes, cpu, memory, ..
        } = infra
        {
            if *nodes == 0 || *cpu == 0 || *memory == 0 {
                self.diagnostics.push(
                    Diagnostic::error(&codes::E2209, "the on-premises hardware has no capacity", Label::new(infra_field.value.span, "zero nodes, cores or memory"))
                        .with_help("describe the machines provided: `onprem { nodes = 3, cpu = 8, memory = 16GiB, disk = 500GiB }`"),
                );
            }
        }
        let (provider_name, region) = match infra {
            Infra::Aws { region, .. } => ("aws", region),
            Infra::Gcp { region, .. } => ("gcp", region),
            _ => return,
        };
        let body_region_span = match &infra_field.value.kind {
            ValueKind::Ctor {
                body: Some(body), ..
            } => body.field("region").map(|it| it.value.span),
            _ => None,
        }
        .unwrap_or(infra_field.value.span);
        let Some(provider) = providers.iter().find(|it| it.name == provider_name) else {
            self.diagnostics.push(
                Diagnostic::error(&codes::E2205, format!("no `{provider_name}` catalogue is imported"), Label::new(infra_field.value.span, "needs the provider catalogue"))
                    .with_help(format!("add `import \"std/{provider_name}\"`: it holds the regions, machine types and prices")),
            );
            return;
        };
        if !provider.regions.iter().any(|it| it.name == *region) {
            let names: Vec<&str> = provider.regions.iter().map(|it| it.name.as_str()).collect();
            self.diagnostics.push(
                Diagnostic::error(
                    &codes::E2205,
                    format!("`{region}` is not a {provider_name} region in the catalogue"),
                    Label::new(body_region_span, "unknown region"),
                )
                .with_value(region.clone())
                .with_help(match closest(region, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`? regions: {}", names.join(", ")),
                    None => format!("regions: {}", names.join(", ")),
                }),
            );
        }
    }

    fn secret_bindings(
        &mut self,
        record: &Record,
        decl: &crate::check::Decl,
        secrets: &[Secret],
    ) -> Vec<SecretBinding> {
        let mut bindings = Vec::new();
        if let Some(block) = record.block("secrets") {
            for field in &block.fields {
                let Some(slot) = SecretSlot::from_name(&field.name) else {
                    let names: Vec<&str> = SecretSlot::ALL.iter().map(|it| it.name()).collect();
                    self.diagnostics.push(
                        Diagnostic::error(
                            &codes::E2207,
                            format!("`{}` is not a credential CHT reads", field.name),
                            Label::new(field.key_span, "unknown credential"),
                        )
                        .with_value(field.name.clone())
                        .with_help(
                            match closest(&field.name, names.iter().copied()) {
                                Some(best) => format!(
                                    "did you mean `{best}`? credentials: {}",
                                    names.join(", ")
                                ),
                                None => format!("credentials: {}", names.join(", ")),
                            },
                        ),
                    );
                    continue;
                };
                if let ValueKind::Ref(id) = field.value.kind {
                    if let Some(secret) = self.checked.decl(id) {
                        bindings.push(SecretBinding {
                            slot,
                            secret: secret.name.clone(),
                            span: field.value.span,
                        });
                    }
                }
            }
        }
        let needed: Vec<SecretSlot> = SecretSlot::ALL
            .into_iter()
            .filter(|slot| match slot {
                SecretSlot::CouchdbAdmin | SecretSlot::CouchdbSecret => true,
                SecretSlot::Postgres => enum_value(record, "analytics") == Some("cht_sync"),
                SecretSlot::GrafanaAdmin => enum_value(record, "monitor") == Some("watchdog"),
            })
            .collect();
        for slot in needed {
            if bindings.iter().any(|it| it.slot == slot) {
                continue;
            }
            match secrets.iter().find(|it| it.name == slot.name()) {
                Some(secret) => bindings.push(SecretBinding { slot, secret: secret.name.clone(), span: secret.span }),
                None => self.diagnostics.push(
                    Diagnostic::error(&codes::E2208, format!("environment `{}` has no secret for `{}`", decl.name, slot.name()), Label::new(record.head, format!("needs `{}`", slot.name())))
                        .with_help(format!(
                            "declare `secret {} = generate(words = 7)` or bind one in `secrets {{ {} = NAME }}`",
                            slot.name(),
                            slot.name()
                        )),
                ),
            }
        }
        for binding in &bindings {
            let Some(secret) = secrets.iter().find(|it| it.name == binding.secret) else {
                continue;
            };
            if binding.slot == SecretSlot::CouchdbAdmin && secret.source.url_safe() == Some(false) {
                self.diagnostics.push(
                    Diagnostic::error(&codes::E2204, format!("secret `{}` may not be URL-safe, but CHT puts it in a URL", secret.name), Label::new(secret.span, "generated with symbols"))
                        .with_secondary(Label::new(binding.span, "used as the CouchDB admin password here"))
                        .with_help("generate it from words (`generate(words = 7)`) or letters and digits (`generate(length = 32)`)")
                        .with_note("CHT embeds the password unencoded in COUCH_URL=http://user:password@haproxy:5984/medic"),
                );
            }
        }
        bindings.sort_by_key(|it| it.slot);
        bindings
    }
}

/// Merges a child record over its parent's: the child's fields replace the parent's, nested
/// unlabelled blocks merge field by field, labelled blocks merge by label, lists are
/// replaced.
pub fn merge(parent: &Record, child: &Record) -> Record {
    let mut fields = parent.fields.clone();
    for field in &child.fields {
        match fields.iter_mut().find(|it| it.name == field.name) {
            Some(slot) => *slot = field.clone(),
            None => fields.push(field.clone()),
        }
    }
    let mut blocks = parent.blocks.clone();
    for block in &child.blocks {
        let same = |it: &Record| {
            it.schema.kind == block.schema.kind && it.label_name() == block.label_name()
        };
        match blocks.iter_mut().find(|it| same(it)) {
            Some(slot) => *slot = merge(slot, block),
            None => blocks.push(block.clone()),
        }
    }
    Record {
        schema: child.schema,
        label: child.label.clone(),
        head: child.head,
        span: child.span,
        fields,
        blocks,
        has_unknown_fields: parent.has_unknown_fields || child.has_unknown_fields,
    }
}

fn collect_spans(record: &Record, prefix: &str, out: &mut BTreeMap<String, Span>) {
    for field in &record.fields {
        out.insert(format!("{prefix}{}", field.name), field.entry_span);
    }
    for block in &record.blocks {
        let name = match &block.label {
            Some((label, _)) => format!("{prefix}{}.{label}", block.schema.kind),
            None => format!("{prefix}{}", block.schema.kind),
        };
        out.insert(name.clone(), block.span);
        collect_spans(block, &format!("{name}."), out);
    }
}

fn alert_condition(value: &Value) -> Option<AlertCondition> {
    let ValueKind::Ctor { name, args, .. } = &value.kind else {
        return None;
    };
    let arg = args.first().map(|(_, it)| &it.kind);
    Some(match (*name, arg) {
        ("downtime", Some(ValueKind::Duration(secs))) => AlertCondition::Downtime {
            minutes: secs / 60.0,
        },
        ("disk_used", Some(ValueKind::Percent(fraction))) => AlertCondition::DiskUsed {
            fraction: *fraction,
        },
        ("cert_expiry", Some(ValueKind::Duration(secs))) => AlertCondition::CertExpiry {
            days: secs / 86_400.0,
        },
        ("backup_failed", _) => AlertCondition::BackupFailed,
        ("replication_limit", _) => AlertCondition::ReplicationLimit,
        _ => return None,
    })
}

fn string(record: &Record, name: &str) -> Option<String> {
    match record.value(name) {
        Some(ValueKind::Str(it)) => Some(it.clone()),
        _ => None,
    }
}

fn strings(record: &Record, name: &str) -> Vec<String> {
    list(record, name)
        .iter()
        .filter_map(|it| match &it.kind {
            ValueKind::Str(it) => Some(it.clone()),
            _ => None,
        })
        .collect()
}

fn list<'r>(record: &'r Record, name: &str) -> &'r [Value] {
    match record.value(name) {
        Some(ValueKind::List(items)) => items,
        _ => &[],
    }
}

fn count(record: &Record, name: &str) -> Option<u64> {
    match record.value(name) {
        Some(ValueKind::Count(it)) => Some(*it),
        _ => None,
    }
}

fn percent(record: &Record, name: &str) -> Option<f64> {
    match record.value(name) {
        Some(ValueKind::Percent(it)) => Some(*it),
        _ => None,
    }
}

fn duration(record: &Record, name: &str) -> Option<f64> {
    match record.value(name) {
        Some(ValueKind::Duration(it)) => Some(*it),
        _ => None,
    }
}

fn size(record: &Record, name: &str) -> Option<f64> {
    match record.value(name) {
        Some(ValueKind::Size(it)) => Some(*it),
        _ => None,
    }
}

fn money(record: &Record, name: &str) -> Option<f64> {
    match record.value(name) {
        Some(ValueKind::Money(it)) => Some(*it),
        _ => None,
    }
}

fn boolean(record: &Record, name: &str) -> Option<bool> {
    match record.value(name) {
        Some(ValueKind::Bool(it)) => Some(*it),
        _ => None,
    }
}

fn enum_value(record: &Record, name: &str) -> Option<&'static str> {
    match record.value(name) {
        Some(ValueKind::Enum(it)) => Some(it),
        _ => None,
    }
}
