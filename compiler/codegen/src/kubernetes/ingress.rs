//! The ingress: `api-ingress` (CHT's chart name) sends the environment's domain to the API,
//! over HTTPS only, with the certificate each distribution manages best.
//!
//! - EKS: the AWS Load Balancer Controller's ALB, with the ACM certificate of the domain,
//!   which the controller finds from the Ingress's TLS host; HTTP answers with a redirect.
//! - GKE: the GCE ingress with a global static IP, a Google-managed certificate
//!   (`ManagedCertificate`) and a `FrontendConfig` that redirects HTTP.
//! - k3s: Traefik, with a certificate from cert-manager's ACME issuer (Let's Encrypt, HTTP-01)
//!   and a Traefik middleware that redirects HTTP.
//! - AKS: the application routing add-on's NGINX, and generic clusters ingress-nginx, both
//!   with cert-manager's ACME issuer and NGINX's own redirect.
//!
//! CHT's nginx keeps connections for an hour and accepts 32 MB request bodies (long
//! replication requests, form attachments); every controller here is set to the same.

use hostplan_core::ir::{Distribution, Environment, TlsMode};

use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{self, annotate, object, TLS_SECRET};
use crate::kubernetes::Object;

/// Let's Encrypt's production ACME directory.
pub(crate) const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// Where the certificate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Certificate {
    /// An ACM certificate the ALB finds by host name.
    Acm,
    /// A Google-managed certificate.
    GoogleManaged,
    /// cert-manager with an ACME issuer.
    Acme,
    /// cert-manager with a self-signed issuer (development).
    SelfSigned,
    /// A certificate the operator stores in `api-tls-secret`.
    Provided,
}

/// The certificate source of an environment.
pub(crate) fn certificate(env: &Environment) -> Certificate {
    match (meta::distribution(env), env.tls.mode) {
        // The ALB terminates TLS and serves only certificates ACM holds (ACM renews the ones
        // it issues); an own certificate is imported into ACM.
        (Distribution::Eks, _) => Certificate::Acm,
        (Distribution::Gke, TlsMode::Acme | TlsMode::Managed) => Certificate::GoogleManaged,
        (Distribution::Gke, TlsMode::OwnCert | TlsMode::SelfSigned) => Certificate::Provided,
        (_, TlsMode::Acme | TlsMode::Managed) => Certificate::Acme,
        (_, TlsMode::OwnCert) => Certificate::Provided,
        (_, TlsMode::SelfSigned) => Certificate::SelfSigned,
    }
}

/// The ingress class of the distribution's controller.
pub(crate) fn ingress_class(env: &Environment) -> &'static str {
    match meta::distribution(env) {
        Distribution::Eks => "alb",
        Distribution::Gke => "gce",
        Distribution::K3s => "traefik",
        Distribution::Aks => "webapprouting.kubernetes.azure.com",
        Distribution::Generic => "nginx",
    }
}

/// The name of the global static IP address the GKE ingress uses.
pub(crate) fn gke_static_ip(env: &Environment) -> String {
    format!("{}-cht-api-ip", env.namespace)
}

/// What `ingress.yaml` holds, for the file's header.
pub(crate) fn what(env: &Environment) -> String {
    let how = match meta::distribution(env) {
        Distribution::Eks => "an AWS Application Load Balancer (AWS Load Balancer Controller) with the domain's ACM certificate",
        Distribution::Gke => "the GKE ingress with a Google-managed certificate",
        Distribution::K3s => "k3s's Traefik with a cert-manager certificate",
        Distribution::Aks => "the AKS application routing add-on (NGINX) with a cert-manager certificate",
        Distribution::Generic => "ingress-nginx with a cert-manager certificate",
    };
    format!(
        "HTTPS for {} through {how}; plain HTTP is redirected to HTTPS.",
        env.domain
    )
}

/// The Ingress and whatever its certificate and redirect need.
pub(crate) fn objects(env: &Environment) -> Vec<Object> {
    let distribution = meta::distribution(env);
    let cert = certificate(env);
    let mut out = Vec::new();
    match cert {
        Certificate::Acme | Certificate::SelfSigned => {
            out.push(issuer(env, cert));
            out.push(cert_manager_certificate(env, cert));
        }
        Certificate::GoogleManaged => {
            out.push(Object::new(
                object(
                    env,
                    "networking.gke.io/v1",
                    "ManagedCertificate",
                    "cht-api-cert",
                    Map::new(),
                )
                .with(
                    "spec",
                    Map::new().with("domains", Seq::new().with(env.domain.as_str())),
                ),
                format!(
                    "A Google-managed certificate for {}, renewed by Google; it becomes active once the domain points at the ingress's address.",
                    env.domain
                ),
            ));
        }
        Certificate::Acm | Certificate::Provided => {}
    }
    match distribution {
        Distribution::Gke => {
            out.push(Object::new(
                object(
                    env,
                    "networking.gke.io/v1beta1",
                    "FrontendConfig",
                    "cht-api-frontend",
                    Map::new(),
                )
                .with(
                    "spec",
                    Map::new().with(
                        "redirectToHttps",
                        Map::new()
                            .with("enabled", true)
                            .with("responseCodeName", "MOVED_PERMANENTLY_DEFAULT"),
                    ),
                ),
                "Redirects plain HTTP to HTTPS at Google's load balancer.",
            ));
            out.push(Object::new(
                object(
                    env,
                    "cloud.google.com/v1",
                    "BackendConfig",
                    "cht-api-backend",
                    Map::new(),
                )
                .with(
                    "spec",
                    Map::new()
                        .with("timeoutSec", 3600)
                        .with(
                            "healthCheck",
                            Map::new()
                                .with("type", "HTTP")
                                .with("requestPath", "/api/info")
                                .with("port", 5988)
                                .with("checkIntervalSec", 15),
                        ),
                ),
                "Google's load balancer waits up to an hour for an answer, as CHT's nginx does (the default of 30 s cuts long replication requests), and checks the API's health at /api/info.",
            ));
        }
        Distribution::K3s => {
            out.push(Object::new(
                object(
                    env,
                    "traefik.io/v1alpha1",
                    "Middleware",
                    "redirect-https",
                    Map::new(),
                )
                .with(
                    "spec",
                    Map::new().with(
                        "redirectScheme",
                        Map::new().with("scheme", "https").with("permanent", true),
                    ),
                ),
                "Redirects plain HTTP to HTTPS in Traefik; requests already on HTTPS pass.",
            ));
        }
        Distribution::Eks | Distribution::Aks | Distribution::Generic => {}
    }
    out.push(ingress(env, cert));
    out
}

fn issuer(env: &Environment, cert: Certificate) -> Object {
    if cert == Certificate::SelfSigned {
        return Object::new(
            object(env, "cert-manager.io/v1", "Issuer", "self-signed", Map::new())
                .with("spec", Map::new().with("selfSigned", Map::new())),
            "A self-signed certificate, as the plan's policy asks: browsers and phones will warn. For development only.",
        );
    }
    let mut acme = Map::new().with("server", LETS_ENCRYPT);
    if let Some(email) = &env.tls.email {
        acme.insert("email", email.as_str());
    }
    acme.insert(
        "privateKeySecretRef",
        Map::new().with("name", "letsencrypt-account-key"),
    );
    acme.insert(
        "solvers",
        Seq::new().with(Map::new().with(
            "http01",
            Map::new().with(
                "ingress",
                Map::new().with("ingressClassName", ingress_class(env)),
            ),
        )),
    );
    Object::new(
        object(env, "cert-manager.io/v1", "Issuer", "letsencrypt", Map::new())
            .with("spec", Map::new().with("acme", acme)),
        "Let's Encrypt through cert-manager, answering the HTTP-01 challenge through the same ingress controller. The account key is cert-manager's own.",
    )
}

fn cert_manager_certificate(env: &Environment, cert: Certificate) -> Object {
    let issuer = if cert == Certificate::SelfSigned {
        "self-signed"
    } else {
        "letsencrypt"
    };
    let hours = u64::from(env.tls.renew_before_days) * 24;
    Object::new(
        object(env, "cert-manager.io/v1", "Certificate", "api-tls", Map::new()).with(
            "spec",
            Map::new()
                .with("secretName", TLS_SECRET)
                .with("dnsNames", Seq::new().with(env.domain.as_str()))
                .with(
                    "issuerRef",
                    Map::new()
                        .with("name", issuer)
                        .with("kind", "Issuer")
                        .with("group", "cert-manager.io"),
                )
                .with("renewBefore", format!("{hours}h"))
                .with(
                    "privateKey",
                    Map::new()
                        .with("algorithm", "ECDSA")
                        .with("size", 256)
                        .with("rotationPolicy", "Always"),
                ),
        ),
        format!(
            "The certificate for {}, renewed {} days before it expires (the plan's policy), stored in {TLS_SECRET}.",
            env.domain, env.tls.renew_before_days
        ),
    )
}

fn ingress(env: &Environment, cert: Certificate) -> Object {
    let distribution = meta::distribution(env);
    let mut annotations = Map::new();
    match distribution {
        Distribution::Eks => {
            annotations.insert("alb.ingress.kubernetes.io/scheme", "internet-facing");
            annotations.insert("alb.ingress.kubernetes.io/target-type", "ip");
            annotations.insert(
                "alb.ingress.kubernetes.io/listen-ports",
                "[{\"HTTP\": 80}, {\"HTTPS\": 443}]",
            );
            annotations.insert("alb.ingress.kubernetes.io/ssl-redirect", "443");
            annotations.insert(
                "alb.ingress.kubernetes.io/ssl-policy",
                "ELBSecurityPolicy-TLS13-1-2-2021-06",
            );
            annotations.insert("alb.ingress.kubernetes.io/healthcheck-port", "traffic-port");
            annotations.insert("alb.ingress.kubernetes.io/healthcheck-path", "/api/info");
            annotations.insert(
                "alb.ingress.kubernetes.io/load-balancer-attributes",
                "idle_timeout.timeout_seconds=3600",
            );
        }
        Distribution::Gke => {
            annotations.insert("kubernetes.io/ingress.class", "gce");
            annotations.insert(
                "kubernetes.io/ingress.global-static-ip-name",
                gke_static_ip(env),
            );
            if cert == Certificate::GoogleManaged {
                annotations.insert("networking.gke.io/managed-certificates", "cht-api-cert");
            }
            annotations.insert(
                "networking.gke.io/v1beta1.FrontendConfig",
                "cht-api-frontend",
            );
        }
        Distribution::K3s => {
            annotations.insert(
                "traefik.ingress.kubernetes.io/router.middlewares",
                format!("{}-redirect-https@kubernetescrd", env.namespace),
            );
        }
        Distribution::Aks | Distribution::Generic => {
            annotations.insert("nginx.ingress.kubernetes.io/force-ssl-redirect", "true");
            annotations.insert("nginx.ingress.kubernetes.io/proxy-body-size", "32m");
            annotations.insert("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600");
            annotations.insert("nginx.ingress.kubernetes.io/proxy-send-timeout", "3600");
        }
    }
    let mut tls = Map::new().with("hosts", Seq::new().with(env.domain.as_str()));
    if cert != Certificate::Acm && cert != Certificate::GoogleManaged {
        tls.insert("secretName", TLS_SECRET);
    }
    let mut spec = Map::new();
    // GKE reads its class from the annotation, as CHT's chart writes it.
    if distribution != Distribution::Gke {
        spec.insert("ingressClassName", ingress_class(env));
    }
    // On GKE a managed certificate replaces the TLS section.
    if cert != Certificate::GoogleManaged {
        spec.insert("tls", Seq::new().with(tls));
    }
    spec.insert(
        "rules",
        Seq::new().with(
            Map::new().with("host", env.domain.as_str()).with(
                "http",
                Map::new().with(
                    "paths",
                    Seq::new().with(
                        Map::new()
                            .with("path", "/")
                            .with("pathType", "Prefix")
                            .with(
                                "backend",
                                Map::new().with(
                                    "service",
                                    Map::new()
                                        .with("name", "api")
                                        .with("port", Map::new().with("number", 5988)),
                                ),
                            ),
                    ),
                ),
            ),
        ),
    );
    let mut map = object(
        env,
        "networking.k8s.io/v1",
        "Ingress",
        "api-ingress",
        Map::new(),
    );
    annotate(&mut map, annotations);
    let map = map.with("spec", spec);
    let comment = match cert {
        Certificate::Acm => format!(
            "The ALB finds the ACM certificate for {} by the TLS host below; create or import it in ACM first.",
            env.domain
        ),
        Certificate::Provided => format!(
            "The certificate is the one you store in the Secret {TLS_SECRET} (see the README); renew it before it expires."
        ),
        _ => String::new(),
    };
    Object::new(map, comment)
}
