//! Certificates (R0109, R0110), encryption at rest (R0111) and exposure (R0121, R0122).

use hostplan_diagnostics::Label;

use crate::model::{ComposeFile, Distribution, EnvKind, Environment, Target, TlsMode};
use crate::rules::backup::days;
use crate::rules::{Ctx, Finding};

/// The least time before expiry at which a renewal should start, so that a failed renewal
/// is noticed and fixed before the certificate expires.
const MIN_RENEW_BEFORE_DAYS: f64 = 7.0;

/// The ports the outside world may reach: nginx's HTTP (redirect and ACME) and HTTPS.
const PUBLIC_PORTS: [u16; 2] = [80, 443];

/// R0109: certificates are renewed by hand.
pub(crate) fn manual_certificate_renewal(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(tls) = &environment.policy.tls else {
        out.push(
            Finding::new(
                idx,
                environment,
                format!(
                    "`{}` states no way to renew its certificates",
                    environment.name
                ),
                "its certificate will expire unnoticed",
            )
            .with_secondary(ctx.policy_label(environment, "tls", "the policy has no `tls` block"))
            .with_help("add `tls { mode = acme, renew_before = 30d }` to the policy"),
        );
        return true;
    };
    // Self-signed certificates are R0110's concern; they are never renewed.
    if tls.mode == TlsMode::SelfSigned {
        return false;
    }
    let managed_available = matches!(
        environment.target,
        Target::Kubernetes(Distribution::Eks | Distribution::Gke | Distribution::Aks)
    );
    if tls.mode == TlsMode::OwnCert {
        out.push(
            Finding::new(
                idx,
                environment,
                format!("certificates of `{}` are renewed by hand", environment.name),
                "a forgotten renewal makes the instance unreachable",
            )
            .with_secondary(ctx.policy_label(environment, "tls.mode", "`mode = own_cert` is set here"))
            .with_help(if managed_available {
                "use `mode = acme` (Let's Encrypt) or `mode = managed` (the cloud's certificate service)"
            } else {
                "use `mode = acme`: Let's Encrypt certificates renewed by certbot"
            }),
        );
    } else if tls.mode == TlsMode::Managed && !managed_available {
        out.push(
            Finding::new(
                idx,
                environment,
                format!(
                    "no managed certificate service renews certificates of `{}`",
                    environment.name
                ),
                "this target has no cloud load balancer that manages certificates",
            )
            .with_secondary(ctx.policy_label(
                environment,
                "tls.mode",
                "`mode = managed` is set here",
            ))
            .with_secondary(ctx.environment_label(environment, "target", "but the target is this"))
            .with_help("use `mode = acme` here; `managed` works on EKS, GKE and AKS"),
        );
    }
    if tls.renew_before_days < MIN_RENEW_BEFORE_DAYS {
        out.push(
            Finding::new(
                idx,
                environment,
                format!("certificates of `{}` are renewed only {} before expiry", environment.name, days(tls.renew_before_days)),
                "a failed renewal leaves too little time to fix it",
            )
            .with_secondary(ctx.policy_label(environment, "tls.renew_before", "set here"))
            .with_help("renew at least a week ahead; certbot renews Let's Encrypt certificates 30 days ahead: `renew_before = 30d`"),
        );
    }
    true
}

/// R0110: a self-signed certificate outside development.
pub(crate) fn self_signed_certificate(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(tls) = &environment.policy.tls else {
        return false;
    };
    if tls.mode != TlsMode::SelfSigned {
        return true;
    }
    // A developer's machine is what self-signed certificates are for: the rule concerns the
    // other kinds (a strict development environment still hears about it as a warning).
    if environment.kind == EnvKind::Development && !environment.strict {
        return false;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("`{}` uses a self-signed certificate", environment.name),
            "phones and browsers refuse this certificate",
        )
        .with_secondary(ctx.policy_label(
            environment,
            "tls.mode",
            "`mode = self_signed` is set here",
        ))
        .with_help(
            "use `mode = acme` or `mode = managed`, for example through `policies.baseline`",
        ),
    );
    true
}

/// R0111: data disks are not encrypted at rest.
pub(crate) fn unencrypted_disk(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if environment.policy.encryption_at_rest {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!("disks of `{}` are not encrypted", environment.name),
            "whoever takes the disk or a snapshot reads every record",
        )
        .with_secondary(ctx.policy_label(
            environment,
            "encryption",
            "the policy does not set `encryption = at_rest`",
        ))
        .with_help("set `encryption = at_rest` in the policy"),
    );
    true
}

/// R0121: admin endpoints are open to the whole internet.
pub(crate) fn unrestricted_admin_access(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    if !environment.policy.admin_from.is_empty() {
        return true;
    }
    out.push(
        Finding::new(
            idx,
            environment,
            format!(
                "admin endpoints of `{}` are reachable from anywhere",
                environment.name
            ),
            "Fauxton and the admin app are open to the internet here",
        )
        .with_secondary(ctx.policy_label(
            environment,
            "admin_from",
            "the policy sets no `admin_from`",
        ))
        .with_help("list the networks admins work from: `admin_from = [\"196.201.0.0/16\"]`"),
    );
    true
}

/// R0122: a Compose service publishes a port other than 80 and 443.
pub(crate) fn public_port(
    ctx: &Ctx<'_>,
    idx: usize,
    environment: &Environment,
    out: &mut Vec<Finding>,
) -> bool {
    // On Kubernetes only the Ingress is reachable from outside, on 80 and 443.
    if environment.target != Target::Compose {
        return false;
    }
    let release = &ctx.plan.release;
    for service in &release.layout.services {
        let deployed = match service.file {
            ComposeFile::Core => true,
            ComposeFile::Couchdb => environment.couchdb_nodes == 1,
            ComposeFile::CouchdbClustered => environment.couchdb_nodes != 1,
        };
        if !deployed {
            continue;
        }
        for spec in &service.ports {
            let Some(published) = published_port(spec) else {
                continue;
            };
            let allowed = published.host.is_some_and(|it| PUBLIC_PORTS.contains(&it))
                && PUBLIC_PORTS.contains(&published.container);
            if allowed || published.loopback {
                continue;
            }
            out.push(
                Finding::new(
                    idx,
                    environment,
                    format!(
                        "service `{}` of `{}` publishes port `{spec}`",
                        service.name, environment.name
                    ),
                    "this service is reachable from outside, past nginx",
                )
                .with_secondary(Label::new(
                    ctx.plan.spans.cht,
                    format!(
                        "CHT {} (layout `{}`) publishes it",
                        release.version, release.layout.name
                    ),
                ))
                .with_help(
                    "publish only nginx's ports 80 and 443, or bind the port to `127.0.0.1`",
                ),
            );
        }
    }
    true
}

/// A port a Compose `ports` entry publishes.
struct Published {
    /// The host port, or `None` when Docker picks one.
    host: Option<u16>,
    container: u16,
    /// Bound to the loopback interface only.
    loopback: bool,
}

/// Reads a Compose short port syntax (`80`, `8080:80`, `127.0.0.1:9090:9090`, `443/tcp`),
/// with `${VAR:-default}` read as its default. `None` when the entry is not understood.
fn published_port(spec: &str) -> Option<Published> {
    let resolved = resolve_defaults(spec);
    let without_protocol = resolved.split('/').next().unwrap_or("");
    let parts: Vec<&str> = without_protocol.split(':').collect();
    let (address, host, container) = match parts.as_slice() {
        [container] => (None, None, *container),
        [host, container] => (None, Some(*host), *container),
        [address, host, container] => (Some(*address), Some(*host), *container),
        _ => return None,
    };
    let loopback = matches!(address, Some("127.0.0.1" | "localhost" | "[::1]"));
    Some(Published {
        host: host.and_then(|it| it.parse().ok()),
        container: container.parse().ok()?,
        loopback,
    })
}

/// Replaces every `${NAME:-default}` (or `${NAME-default}`) with its default and `${NAME}`
/// with nothing, as Compose does when the variable is unset.
fn resolve_defaults(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find('}') else {
            out.push_str(rest.get(start..).unwrap_or(""));
            return out;
        };
        let inner = after.get(..end).unwrap_or("");
        let default = inner
            .split_once(":-")
            .or_else(|| inner.split_once('-'))
            .map(|(_, it)| it)
            .unwrap_or("");
        out.push_str(default);
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{published_port, resolve_defaults};

    #[test]
    fn compose_port_defaults_are_read() {
        assert_eq!(resolve_defaults("${NGINX_HTTP_PORT:-80}:80"), "80:80");
        assert_eq!(resolve_defaults("${A}:5984"), ":5984");
        let nginx = published_port("${NGINX_HTTPS_PORT:-443}:443")
            .map(|it| (it.host, it.container, it.loopback));
        assert_eq!(nginx, Some((Some(443), 443, false)));
        let local = published_port("127.0.0.1:9090:9090/tcp")
            .map(|it| (it.host, it.container, it.loopback));
        assert_eq!(local, Some((Some(9090), 9090, true)));
        let random = published_port("5984").map(|it| (it.host, it.container));
        assert_eq!(random, Some((None, 5984)));
    }
}
