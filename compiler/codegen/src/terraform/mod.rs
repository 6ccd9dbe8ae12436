//! The Terraform backend: the infrastructure an environment on `aws` or `gcp` runs on.
//!
//! For such an environment it writes a root module under `ENV/terraform/`, one file per
//! concern ([`Concern`]): `versions.tf` (Terraform and pinned provider versions, the providers),
//! `variables.tf` (every secret of the environment as a `sensitive` variable without a default,
//! and the few values only the operator knows), `main.tf`, `network.tf`, `compute.tf`,
//! `storage.tf`, `backup.tf`, `dns.tf`, `monitoring.tf`, `access.tf` and `outputs.tf`, plus a
//! `README.md` saying how to apply them.
//!
//! The hosting guide's protections are built in rather than optional: encrypted disks and
//! buckets under a customer-managed key, backup buckets that are versioned, private and kept as
//! long as the policy says (with an offsite copy where it asks for one), disk snapshots on the
//! policy's schedule, only ports 80 and 443 open to the world, admin access only from the
//! policy's allow-list, alarms for every condition the policy names, and a container runtime
//! that starts at boot.
//!
//! Files are typed HCL ([`crate::hcl`]) printed in `terraform fmt` layout; the backend reads the
//! resource model only: instance types and disk sizes come from [`ir::Cloud`] and
//! [`ir::Infrastructure`], which carry the capacity estimate's choices, and data disks are
//! attached to the hosts the dependency graph places them on. Environments on local or
//! on-premises infrastructure get no Terraform: their README lists the hardware instead.

mod aws;
mod cloud_init;
mod gcp;
mod readme;
#[cfg(test)]
mod tests;

use hostplan_core::graph::{self, EdgeKind, ResourceKind};
use hostplan_core::ir::{self, Environment, Provider};

pub(crate) use crate::doc::wrap;
use crate::doc::Comment;
use crate::hcl::{self, Block, Body, Expr};
use crate::{header, EmitOptions, OutputFile};

/// The Terraform release the modules are written for: `moved`/`removed` blocks, `import` blocks
/// and the provider features used here need 1.6 or later.
pub const TERRAFORM_VERSION: &str = ">= 1.6.0";

/// The pinned AWS provider: the last 5.x release, whose resource schemas the module follows.
pub const AWS_PROVIDER_VERSION: &str = "5.100.0";

/// The pinned Google provider.
pub const GOOGLE_PROVIDER_VERSION: &str = "6.47.0";

/// Appends the Terraform files of an environment on a cloud; nothing for other environments.
pub fn emit(
    program: &ir::Program,
    env: &Environment,
    options: &EmitOptions,
    files: &mut Vec<OutputFile>,
) {
    let Some(cloud) = env.infrastructure.cloud.as_ref() else {
        return;
    };
    let ctx = Ctx {
        program,
        env,
        cloud,
        graph: graph::build(program, Some(&env.name)),
        name: resource_name(&program.plan.name, &env.name),
    };
    let module = match &env.infrastructure.provider {
        Provider::Aws { region, vpc, zones } => aws::module(&ctx, region, vpc.as_deref(), *zones),
        Provider::Gcp { region, project } => gcp::module(&ctx, region, project),
        Provider::Local | Provider::OnPrem { .. } => return,
    };
    let mut written = Vec::new();
    for (concern, body) in &module.files {
        if body.is_empty() {
            continue;
        }
        let mut head = Comment::new(&header::text(&options.plan_path));
        head.push(concern.about());
        let path = format!("{}/terraform/{}", env.name, concern.file_name());
        written.push(concern.file_name().to_string());
        files.push(OutputFile {
            path,
            contents: hcl::file(&head, body),
        });
    }
    files.push(OutputFile {
        path: format!("{}/terraform/README.md", env.name),
        contents: readme::render(&ctx, &module, &written, options),
    });
    options.release(module);
    options.release(ctx);
}

/// What a generated file of `terraform/` is, for the environment's README; `None` for other
/// paths.
pub fn describe_file(path: &str) -> Option<String> {
    let file_name = path.strip_prefix("terraform/")?;
    if file_name == "README.md" {
        return Some(
            "How to apply the Terraform: variables, order, and what to do after.".to_string(),
        );
    }
    Concern::ALL
        .iter()
        .find(|it| it.file_name() == file_name)
        .map(|it| it.about().to_string())
}

/// What the backends know about the environment while building its module.
pub(crate) struct Ctx<'a> {
    pub(crate) program: &'a ir::Program,
    pub(crate) env: &'a Environment,
    pub(crate) cloud: &'a ir::Cloud,
    pub(crate) graph: graph::ResourceGraph,
    /// The prefix of every cloud resource name: plan and environment, lowercase with dashes.
    pub(crate) name: String,
}

impl Ctx<'_> {
    pub(crate) fn compose(&self) -> bool {
        self.env.target == ir::Target::Compose
    }

    /// The disks attached to a host, in the order of the resource model: the dependency graph
    /// says which host each disk is stored on.
    pub(crate) fn disks_of(&self, host: &str) -> Vec<&ir::Disk> {
        let host_id = format!("{}/{}/{}", self.env.name, ResourceKind::Host.name(), host);
        self.env
            .infrastructure
            .disks
            .iter()
            .filter(|disk| {
                let disk_id = format!(
                    "{}/{}/{}",
                    self.env.name,
                    ResourceKind::Disk.name(),
                    disk.name
                );
                self.graph.has_edge(&disk_id, &host_id, EdgeKind::StoredOn)
            })
            .collect()
    }

    pub(crate) fn host(&self, name: &str) -> Option<&ir::Host> {
        self.env
            .infrastructure
            .hosts
            .iter()
            .find(|it| it.name == name)
    }

    /// Where a disk is mounted on a Compose host: the host directory the stack's settings give
    /// its volume (CHT's installation layout), or the directory Docker keeps a named volume in.
    pub(crate) fn mount_point(&self, disk: &ir::Disk) -> String {
        let volume = self.env.volume(&disk.volume);
        if let Some(ir::VolumeKind::HostDirectory { variable, .. }) = volume.map(|it| &it.kind) {
            if let Some(ir::SettingValue::HostPath { example }) =
                self.env.setting(variable).map(|it| &it.value)
            {
                return example.clone();
            }
        }
        // Docker keeps the named volume `NAME` of the Compose project `cht` (the project the
        // CHT upgrade service starts) in this directory.
        format!("/var/lib/docker/volumes/cht_{}", disk.volume)
    }

    /// The policy's alert conditions, empty without alerting.
    pub(crate) fn alerts(&self) -> &[ir::AlertCondition] {
        self.env
            .alerting
            .as_ref()
            .map_or(&[], |it| it.on.as_slice())
    }
}

/// The files of a module, by concern, in the order they are written.
pub(crate) struct Module {
    pub(crate) files: Vec<(Concern, Body)>,
    /// Steps the README lists after `terraform apply`, in order.
    pub(crate) after_apply: Vec<String>,
    /// Steps before the first `terraform apply`.
    pub(crate) before_apply: Vec<String>,
}

impl Module {
    pub(crate) fn new() -> Module {
        Module {
            files: Concern::ALL.iter().map(|it| (*it, Body::new())).collect(),
            after_apply: Vec::new(),
            before_apply: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, concern: Concern, block: Block) {
        if let Some((_, body)) = self.files.iter_mut().find(|(it, _)| *it == concern) {
            body.push_block(block);
        }
    }

    /// The blocks written to a concern so far.
    pub(crate) fn body(&self, concern: Concern) -> Option<&Body> {
        self.files
            .iter()
            .find(|(it, _)| *it == concern)
            .map(|(_, body)| body)
    }
}

/// The files of a root module, each holding one concern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Concern {
    Versions,
    Variables,
    Main,
    Network,
    Compute,
    Storage,
    Backup,
    Dns,
    Monitoring,
    Access,
    Outputs,
}

impl Concern {
    pub(crate) const ALL: [Concern; 11] = [
        Concern::Versions,
        Concern::Variables,
        Concern::Main,
        Concern::Network,
        Concern::Compute,
        Concern::Storage,
        Concern::Backup,
        Concern::Dns,
        Concern::Monitoring,
        Concern::Access,
        Concern::Outputs,
    ];

    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Concern::Versions => "versions.tf",
            Concern::Variables => "variables.tf",
            Concern::Main => "main.tf",
            Concern::Network => "network.tf",
            Concern::Compute => "compute.tf",
            Concern::Storage => "storage.tf",
            Concern::Backup => "backup.tf",
            Concern::Dns => "dns.tf",
            Concern::Monitoring => "monitoring.tf",
            Concern::Access => "access.tf",
            Concern::Outputs => "outputs.tf",
        }
    }

    pub(crate) fn about(self) -> &'static str {
        match self {
            Concern::Versions => "Terraform and provider versions, pinned, and the providers.",
            Concern::Variables => "What only the operator knows: secrets (sensitive, never with a default) and identities.",
            Concern::Main => "Names, labels and the facts every other file reads.",
            Concern::Network => "The network: subnets, routes and the firewall (only 80 and 443 open to the world).",
            Concern::Compute => "The machines: the cluster and its node groups, or the hosts, sized by the plan's estimate.",
            Concern::Storage => "Encryption keys and data disks: everything at rest is encrypted with a key of this environment.",
            Concern::Backup => "Backups: disk snapshots on the policy's schedule and a private, versioned bucket kept as long as the policy says.",
            Concern::Dns => "The domain's DNS record and TLS certificate.",
            Concern::Monitoring => "Alerts for every condition of the policy, sent to its channels.",
            Concern::Access => "Who may do what: operators' roles, admin access from the allow-list only, and the secrets.",
            Concern::Outputs => "What the other outputs of this environment, and its operators, need from the infrastructure.",
        }
    }
}

/// Comments of the generated files are wrapped at this many characters of text, so that even
/// nested ones stay within 100 columns.
const COMMENT_WIDTH: usize = 88;

/// Builder methods for comments that wrap long sentences.
pub(crate) trait Noted {
    /// Sets the comment above a block, wrapped.
    fn note(self, text: impl AsRef<str>) -> Self;
    /// Adds an attribute with a wrapped comment above it.
    fn attr_noted(self, key: &str, value: impl Into<Expr>, text: impl AsRef<str>) -> Self;
}

impl Noted for Block {
    fn note(self, text: impl AsRef<str>) -> Block {
        self.with_comment(wrap(text.as_ref(), COMMENT_WIDTH))
    }

    fn attr_noted(self, key: &str, value: impl Into<Expr>, text: impl AsRef<str>) -> Block {
        self.attr_commented(key, value, wrap(text.as_ref(), COMMENT_WIDTH))
    }
}

/// `resource "KIND" "NAME" {}`.
pub(crate) fn resource(kind: &str, name: &str) -> Block {
    Block::new("resource").with_label(kind).with_label(name)
}

/// `data "KIND" "NAME" {}`.
pub(crate) fn data(kind: &str, name: &str) -> Block {
    Block::new("data").with_label(kind).with_label(name)
}

/// A reference or other verbatim expression.
pub(crate) fn raw(text: impl Into<String>) -> Expr {
    Expr::raw(text)
}

/// A tuple of literal strings.
pub(crate) fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expr {
    Expr::Tuple(
        items
            .into_iter()
            .map(|it| Expr::Str(it.as_ref().to_string()))
            .collect(),
    )
}

/// A tuple of verbatim expressions.
pub(crate) fn refs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expr {
    Expr::Tuple(items.into_iter().map(|it| raw(it.as_ref())).collect())
}

/// `"${local.name}SUFFIX"`.
pub(crate) fn named(suffix: &str) -> Expr {
    Expr::Template(hcl::Template::new().interp("local.name").lit(suffix))
}

/// A Terraform identifier made from a name of the plan: lowercase letters, digits and `_`.
pub(crate) fn ident(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'x');
    }
    out
}

/// The prefix of every cloud resource name: lowercase letters, digits and single dashes,
/// starting with a letter, at most 40 characters so that suffixes fit every provider's limit.
pub(crate) fn resource_name(plan: &str, env: &str) -> String {
    let raw = format!("{plan}-{env}").to_ascii_lowercase();
    let mut out = String::new();
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "cht-");
    }
    let cut: String = out.chars().take(40).collect();
    cut.trim_end_matches('-').to_string()
}

/// A name of at most `max` characters: `name` shortened (at a dash, when that keeps most of
/// it), then `-suffix`.
pub(crate) fn short_name(name: &str, suffix: &str, max: usize) -> String {
    let room = max.saturating_sub(suffix.len() + 1);
    if name.chars().count() <= room {
        return format!("{name}-{suffix}");
    }
    let head: String = name.chars().take(room).collect();
    let head = match head.rfind('-') {
        Some(dash) if room / 2 <= dash => head.get(..dash).unwrap_or(&head).to_string(),
        _ => head,
    };
    format!("{}-{suffix}", head.trim_end_matches('-'))
}

/// Days as a whole number for lifecycle rules, at least 1.
pub(crate) fn days(secs: u64) -> i64 {
    i64::try_from(secs.div_ceil(86_400).max(1)).unwrap_or(i64::MAX)
}

/// A count or size as an HCL number.
pub(crate) fn int(value: u64) -> Expr {
    Expr::Int(i64::try_from(value).unwrap_or(i64::MAX))
}

/// The comment beside an instance type: why the estimate chose it.
pub(crate) fn instance_comment(ctx: &Ctx<'_>, machine: &ir::Machine) -> String {
    let mut text = match &machine.instance {
        Some(instance) => format!("From the capacity estimate: {}", instance.reason),
        None => format!(
            "No instance type of the price table has the {} each node needs, so the operator chooses one (see variables.tf).",
            machine.need
        ),
    };
    if let Some(prices) = &ctx.cloud.prices {
        text.push_str(&format!(" Prices: {prices}."));
    }
    if let Some(note) = &machine.note {
        text.push(' ');
        text.push_str(note);
    }
    text
}

/// Where the value of a secret comes from at deploy time, from its source in the plan.
pub(crate) fn secret_how(binding: &ir::SecretBinding) -> String {
    match &binding.source {
        ir::SecretSource::Env(name) => format!("the value of the environment variable `{name}` of the deploying machine"),
        ir::SecretSource::File(path) => format!("the content of the file `{path}`, kept outside the repository"),
        ir::SecretSource::Generate { words: Some(words), .. } => format!("generated once ({words} random words joined by dashes) and kept in the team's password manager"),
        ir::SecretSource::Generate { length, symbols, .. } => format!(
            "generated once ({} random {}) and kept in the team's password manager",
            length.unwrap_or(32),
            if *symbols { "characters" } else { "letters and digits" }
        ),
        ir::SecretSource::External { store, key } => format!("read from the secret store `{store}`, key `{key}`"),
    }
}

/// What a secret slot is, for descriptions.
pub(crate) fn secret_what(slot: ir::SecretSlot) -> &'static str {
    match slot {
        ir::SecretSlot::CouchdbAdmin => {
            "CouchDB's admin password (COUCHDB_PASSWORD), used by every CHT service"
        }
        ir::SecretSlot::CouchdbSecret => "CouchDB's secret (COUCHDB_SECRET), which signs sessions",
        ir::SecretSlot::Postgres => "CHT Sync's PostgreSQL password",
        ir::SecretSlot::GrafanaAdmin => "CHT Watchdog's Grafana admin password",
    }
}

/// The variable block of a secret: sensitive, never with a default, never empty, and for the
/// CouchDB admin password URL-safe, since CHT embeds it in `COUCH_URL` without encoding it.
pub(crate) fn secret_variable(binding: &ir::SecretBinding) -> Block {
    let name = binding.slot.name();
    let (condition, message) = if binding.slot == ir::SecretSlot::CouchdbAdmin {
        (
            format!("can(regex(\"^[A-Za-z0-9._~-]+$\", var.{name}))"),
            "The CouchDB admin password must be URL-safe (letters, digits, . _ ~ -): CHT puts it in a URL without encoding it.",
        )
    } else {
        (
            format!("length(var.{name}) > 0"),
            "The secret must not be empty.",
        )
    };
    Block::new("variable")
        .with_label(name)
        .attr(
            "description",
            format!(
                "{} (the plan's secret `{}`): {}. Pass it as TF_VAR_{name}, never in a file.",
                secret_what(binding.slot),
                binding.secret,
                secret_how(binding)
            ),
        )
        .attr("type", raw("string"))
        .attr("sensitive", true)
        .attr("nullable", false)
        .block(
            Block::new("validation")
                .attr("condition", raw(condition))
                .attr("error_message", message),
        )
}

/// An `output` block.
pub(crate) fn output(name: &str, description: &str, value: Expr) -> Block {
    Block::new("output")
        .with_label(name)
        .attr("description", description)
        .attr("value", value)
}

/// A `variable` block of a non-secret value the operator must give.
pub(crate) fn required_variable(name: &str, ty: &str, description: &str) -> Block {
    Block::new("variable")
        .with_label(name)
        .attr("description", description)
        .attr("type", raw(ty))
        .attr("nullable", false)
}

/// The parent domain of a host name: where its DNS zone most often is.
/// The `offsite_region` variable, when the policy asks for an offsite copy of the backups but
/// names no region and Hostplan knows no partner region for this one; `None` otherwise.
/// `cloud_name` names the provider in the description ("AWS", "Google Cloud").
pub(crate) fn offsite_region_variable(
    ctx: &Ctx<'_>,
    region: &str,
    cloud_name: &str,
) -> Option<Block> {
    let asks = matches!(
        ctx.cloud.backup.as_ref().and_then(|it| it.offsite.as_ref()),
        Some(ir::OffsiteRegion::Ask)
    );
    if !asks {
        return None;
    }
    let description = format!(
        "The {cloud_name} region the offsite copies of the backups go to, away from the environment's: the policy asks for an offsite copy and names no region, and Hostplan knows no partner for this one."
    );
    Some(
        required_variable("offsite_region", "string", &description).block(
            Block::new("validation")
                .attr(
                    "condition",
                    raw(format!("var.offsite_region != \"{region}\"")),
                )
                .attr(
                    "error_message",
                    "The offsite region must differ from the environment's region.",
                ),
        ),
    )
}

pub(crate) fn parent_domain(domain: &str) -> String {
    match domain.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest.to_string(),
        _ => domain.to_string(),
    }
}

/// The hours between backups as a cron expression's schedule parts for a daily job at 02:00,
/// or every N hours when N divides a day.
pub(crate) fn backup_hours(every_secs: u64) -> u64 {
    every_secs.div_ceil(3600).max(1)
}

/// `2 x 24h`-style description of a backup schedule, for comments.
pub(crate) fn schedule_text(backup: &ir::CloudBackup) -> String {
    let hours = backup_hours(backup.every_secs);
    format!(
        "every {} hour{}, kept {} day{}",
        hours,
        if hours == 1 { "" } else { "s" },
        backup.keep_days(),
        if backup.keep_days() == 1 { "" } else { "s" }
    )
}
