//! Segregation of environments: no two environments share a secret (R0114), a data volume
//! (R0115), a namespace (R0116), a domain (R0117) or a backup location (R0118).
//!
//! Each finding belongs to the environment declared second, whose declaration made the two
//! collide, and names the first; an `allow` in either environment suppresses it.

use hostplan_diagnostics::Label;

use crate::model::{Environment, SecretSource, Target};
use crate::rules::{Ctx, Finding};

/// R0114: two environments use the same credential.
pub(crate) fn shared_secret(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let plan = ctx.plan;
    // Looked up for every binding of every pair of environments: a map keeps large plans
    // (hundreds of environments) from spending their time in string comparisons.
    let mut sources: std::collections::BTreeMap<&str, &SecretSource> =
        std::collections::BTreeMap::new();
    for secret in &plan.secrets {
        sources
            .entry(secret.name.as_str())
            .or_insert(&secret.source);
    }
    let source_of = |name: &str| sources.get(name).copied();
    // One pass over the environments: the first binding of each place a value is read from is
    // remembered, and every later binding of the same place is reported against it. Comparing
    // every pair of environments made plans with hundreds of environments quadratic.
    let mut first_reader: std::collections::HashMap<String, (usize, usize)> =
        std::collections::HashMap::new();
    let environments = &plan.environments;
    for (second_idx, second) in environments.iter().enumerate() {
        for (binding_idx, binding) in second.secrets.iter().enumerate() {
            let Some(source) = source_of(&binding.secret) else {
                continue;
            };
            // A generated secret gets its own value in every environment it is bound in.
            let Some(key) = source_key(source) else {
                continue;
            };
            let Some(&(first_idx, other_idx)) = first_reader.get(&key) else {
                first_reader.insert(key, (second_idx, binding_idx));
                continue;
            };
            if first_idx == second_idx {
                continue;
            }
            let (Some(first), Some(other)) = (
                environments.get(first_idx),
                environments
                    .get(first_idx)
                    .and_then(|it| it.secrets.get(other_idx)),
            ) else {
                continue;
            };
            let same_secret = other.secret == binding.secret;
            let mut finding = Finding::new(
                second_idx,
                second,
                format!(
                    "`{}` and `{}` share the `{}` credential",
                    second.name,
                    first.name,
                    binding.slot.name()
                ),
                format!(
                    "`{}` reads the same value as in `{}`",
                    binding.slot.name(),
                    first.name
                ),
            )
            .pair(first_idx);
            if binding.span == other.span {
                // Both environments use the secret by its name: one declaration, one label.
                finding = finding.with_secondary(Label::new(
                    binding.span,
                    format!(
                        "`{}` and `{}` both use secret `{}`, {}",
                        first.name,
                        second.name,
                        binding.secret,
                        short_source(source)
                    ),
                ));
            } else {
                finding = finding
                    .with_secondary(Label::new(
                        binding.span,
                        format!(
                            "`{}` of `{}` is secret `{}`, {}",
                            binding.slot.name(),
                            second.name,
                            binding.secret,
                            short_source(source)
                        ),
                    ))
                    .with_secondary(Label::new(
                        other.span,
                        if same_secret {
                            format!(
                                "`{}` of `{}` is the same secret",
                                other.slot.name(),
                                first.name
                            )
                        } else {
                            format!(
                                "`{}` of `{}` is secret `{}`, read from the same place",
                                other.slot.name(),
                                first.name,
                                other.secret
                            )
                        },
                    ));
            }
            out.push(finding.with_help(format!(
                "declare a secret for `{}` alone and bind it: `secrets {{ {} = {}_{} }}`",
                second.name,
                binding.slot.name(),
                second.name,
                binding.slot.name()
            )));
        }
    }
}

/// The place a secret's value is read from, or `None` for a generated secret, whose value
/// differs in every environment.
fn source_key(source: &SecretSource) -> Option<String> {
    match source {
        SecretSource::Env(name) => Some(format!("env:{name}")),
        SecretSource::File(path) => Some(format!("file:{path}")),
        SecretSource::External { store, key } => Some(format!("external:{store}:{key}")),
        SecretSource::Generate { .. } => None,
    }
}

/// R0115: two environments use the same CouchDB data volume.
pub(crate) fn shared_data_volume(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let volume = |it: &Environment| it.couchdb_volume.clone();
    each_pair_sharing(ctx, volume, |first_idx, first, second_idx, second| {
        let Some(b) = &second.couchdb_volume else {
            return;
        };
        out.push(
            collision(ctx, (first_idx, first), (second_idx, second), "couchdb.volume", "CouchDB data volume", b)
                .with_help("give each environment its own volume; to rehearse on production data, restore a snapshot into a new volume"),
        );
    });
}

/// R0116: two Kubernetes environments use the same namespace.
pub(crate) fn shared_namespace(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let namespace =
        |it: &Environment| matches!(it.target, Target::Kubernetes(_)).then(|| it.namespace.clone());
    each_pair_sharing(ctx, namespace, |first_idx, first, second_idx, second| {
        out.push(
            collision(ctx, (first_idx, first), (second_idx, second), "namespace", "Kubernetes namespace", &second.namespace)
                .with_help("leave `namespace` unset (it defaults to the environment's name) or give each environment its own")
                .with_note("CHT's objects have fixed names (`cht-api`, `couchdb-claim0`), so two environments in one namespace overwrite each other"),
        );
    });
}

/// R0117: two environments answer at the same host name.
pub(crate) fn shared_domain(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Host names are compared without regard to case, as DNS does.
    let domain = |it: &Environment| Some(it.domain.to_ascii_lowercase());
    each_pair_sharing(ctx, domain, |first_idx, first, second_idx, second| {
        out.push(
            collision(
                ctx,
                (first_idx, first),
                (second_idx, second),
                "domain",
                "domain",
                &second.domain,
            )
            .with_help(format!(
                "give `{}` its own host name, such as `{}.{}`",
                second.name,
                second.name.replace('_', "-"),
                second.domain
            )),
        );
    });
}

/// R0118: two environments write backups to the same place.
pub(crate) fn shared_backup_location(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let location = |it: &Environment| {
        it.policy
            .backup
            .as_ref()
            .and_then(|backup| backup.location.clone())
    };
    each_pair_sharing(ctx, location, |first_idx, first, second_idx, second| {
        let Some(b) = location(second) else {
            return;
        };
        out.push(
            Finding::new(
                second_idx,
                second,
                format!(
                    "`{}` and `{}` write backups to the same place",
                    second.name, first.name
                ),
                format!("`{b}` is also `{}`'s backup location", first.name),
            )
            .pair(first_idx)
            .with_secondary(ctx.policy_label(
                second,
                "backup.location",
                &format!("the location of `{}`", second.name),
            ))
            .with_secondary(ctx.policy_label(
                first,
                "backup.location",
                &format!("the location of `{}`", first.name),
            ))
            .with_help(format!(
                "give each environment its own location, such as `{}/{}`",
                b.trim_end_matches('/'),
                second.name
            )),
        );
    });
}

impl Finding {
    /// Marks the finding as concerning a second environment too.
    fn pair(mut self, other: usize) -> Finding {
        self.other = Some(other);
        self
    }
}

/// A finding for an environment field that two environments set to the same value.
fn collision(
    ctx: &Ctx<'_>,
    first: (usize, &Environment),
    second: (usize, &Environment),
    key: &str,
    what: &str,
    value: &str,
) -> Finding {
    let (first_idx, first) = first;
    let (second_idx, second) = second;
    Finding::new(
        second_idx,
        second,
        format!("`{}` and `{}` share a {what}", second.name, first.name),
        format!("`{value}` is also `{}`'s {what}", first.name),
    )
    .pair(first_idx)
    .with_secondary(ctx.environment_label(second, key, &format!("the {what} of `{}`", second.name)))
    .with_secondary(ctx.environment_label(
        first,
        key,
        &format!("the {what} of `{}`", first.name),
    ))
}

/// Calls `f` for every pair of environments with the same key, the earlier declared first,
/// in the order of the later one and then of the earlier one. Environments are grouped by
/// key as they come, so a plan of hundreds of environments compares only those that collide
/// instead of every pair.
fn each_pair_sharing<K: Ord>(
    ctx: &Ctx<'_>,
    key: impl Fn(&Environment) -> Option<K>,
    mut f: impl FnMut(usize, &Environment, usize, &Environment),
) {
    let environments = &ctx.plan.environments;
    let mut earlier: std::collections::BTreeMap<K, Vec<usize>> = std::collections::BTreeMap::new();
    for (second_idx, second) in environments.iter().enumerate() {
        let Some(key) = key(second) else {
            continue;
        };
        let firsts = earlier.entry(key).or_default();
        for first_idx in firsts.iter().copied() {
            if let Some(first) = environments.get(first_idx) {
                f(first_idx, first, second_idx, second);
            }
        }
        firsts.push(second_idx);
    }
}

/// Where a secret is read from, as a reference: never a value.
fn short_source(source: &SecretSource) -> String {
    match source {
        SecretSource::Env(name) => format!("read from `${name}`"),
        SecretSource::File(path) => format!("read from the file `{path}`"),
        SecretSource::External { store, key } => format!("read from `{store}` key `{key}`"),
        SecretSource::Generate { .. } => "generated".to_string(),
    }
}
