//! NetworkPolicies: everything is denied, in and out, then exactly CHT's request path is
//! allowed: the ingress controller to the API, the API and Sentinel to HAProxy (and Sentinel
//! to the API), HAProxy and its health check to CouchDB, the CouchDB nodes to each other and
//! to Nouveau, CHT Sync to HAProxy and its PostgreSQL, and every pod to the cluster's DNS.
//! Traffic that leaves the cluster is allowed only where CHT needs it: HTTPS from the API and
//! Sentinel (release downloads, SMS gateways, outbound push), from dbt (its models on GitHub)
//! and from the backup (object storage).

use hostplan_core::ir::{Component, Distribution, Environment};

use crate::doc::{Map, Seq};
use crate::kubernetes::ingress::{certificate, Certificate};
use crate::kubernetes::meta::{self, object};
use crate::kubernetes::Object;

/// The label every pod of a component carries (and the chart's labels do not distinguish
/// for CouchDB nodes).
const COMPONENT: &str = "app.kubernetes.io/component";

/// Google's load balancers and health checkers, which reach pods directly with
/// container-native load balancing (GKE documentation, "Ingress configuration": firewall
/// rules for 130.211.0.0/22 and 35.191.0.0/16).
const GOOGLE_LOAD_BALANCERS: [&str; 2] = ["130.211.0.0/22", "35.191.0.0/16"];

fn pods(component: &str) -> Map {
    Map::new().with(
        "podSelector",
        Map::new().with("matchLabels", Map::new().with(COMPONENT, component)),
    )
}

fn ports(list: &[u16]) -> Seq {
    list.iter()
        .map(|port| Map::new().with("protocol", "TCP").with("port", *port))
        .collect()
}

fn rule(peers: Seq, list: &[u16]) -> Map {
    let mut map = Map::new();
    if !peers.is_empty() {
        map.insert("from", peers);
    }
    map.insert("ports", ports(list));
    map
}

fn egress_rule(peers: Seq, list: &[u16]) -> Map {
    let mut map = Map::new();
    if !peers.is_empty() {
        map.insert("to", peers);
    }
    map.insert("ports", ports(list));
    map
}

/// Anywhere outside the cluster's private address ranges, for traffic to the Internet.
fn internet() -> Seq {
    Seq::new().with(
        Map::new().with(
            "ipBlock",
            Map::new().with("cidr", "0.0.0.0/0").with(
                "except",
                ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
                    .into_iter()
                    .collect::<Seq>(),
            ),
        ),
    )
}

/// The ingress controller's pods (or, for cloud load balancers that reach pods directly,
/// their addresses), as seen by the API.
pub(crate) fn ingress_controller(env: &Environment) -> (Seq, String) {
    let namespaced = |namespace: &str, pod: Option<(&'static str, &str)>| {
        let mut peer = Map::new().with(
            "namespaceSelector",
            Map::new().with(
                "matchLabels",
                Map::new().with("kubernetes.io/metadata.name", namespace),
            ),
        );
        if let Some((key, value)) = pod {
            peer.insert(
                "podSelector",
                Map::new().with("matchLabels", Map::new().with(key, value)),
            );
        }
        Seq::new().with(peer)
    };
    match meta::distribution(env) {
        Distribution::K3s => (
            namespaced("kube-system", Some(("app.kubernetes.io/name", "traefik"))),
            "k3s's Traefik (namespace kube-system)".to_string(),
        ),
        Distribution::Aks => (
            namespaced("app-routing-system", None),
            "the application routing add-on's NGINX (namespace app-routing-system)".to_string(),
        ),
        Distribution::Generic => (
            namespaced(
                "ingress-nginx",
                Some(("app.kubernetes.io/name", "ingress-nginx")),
            ),
            "ingress-nginx (namespace ingress-nginx)".to_string(),
        ),
        Distribution::Gke => (
            GOOGLE_LOAD_BALANCERS
                .iter()
                .map(|cidr| Map::new().with("ipBlock", Map::new().with("cidr", *cidr)))
                .collect(),
            "Google's load balancers and health checkers".to_string(),
        ),
        // With target type `ip` the ALB connects to the API's pod address from the load
        // balancer's addresses in the VPC, which are not known when the manifests are
        // written; the API is what the Internet reaches through the ALB anyway.
        Distribution::Eks => (
            Seq::new().with(Map::new().with("ipBlock", Map::new().with("cidr", "0.0.0.0/0"))),
            "the ALB (any address, on the API's port only)".to_string(),
        ),
    }
}

/// A policy for the pods `selector` picks. Both directions are always listed, so an empty
/// list says, in the policy itself, that nothing may come in (or go out) beyond DNS.
fn policy(env: &Environment, name: &str, selector: Map, ingress: Seq, egress: Seq) -> Map {
    let mut spec = Map::new()
        .with("podSelector", selector)
        .with("policyTypes", Seq::new().with("Ingress").with("Egress"));
    if !ingress.is_empty() {
        spec.insert("ingress", ingress);
    }
    if !egress.is_empty() {
        spec.insert("egress", egress);
    }
    object(
        env,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        name,
        Map::new(),
    )
    .with("spec", spec)
}

fn selector(component: &str) -> Map {
    Map::new().with("matchLabels", Map::new().with(COMPONENT, component))
}

fn has(env: &Environment, component: Component) -> bool {
    env.services.iter().any(|it| it.component == component)
}

/// Every policy of the environment.
pub(crate) fn objects(env: &Environment) -> Vec<Object> {
    let mut out = Vec::new();
    out.push(Object::new(
        object(
            env,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "default-deny",
            Map::new(),
        )
        .with(
            "spec",
            Map::new()
                .with("podSelector", Map::new())
                .with("policyTypes", Seq::new().with("Ingress").with("Egress")),
        ),
        "Every pod of the namespace: nothing in, nothing out, unless a policy below allows it.",
    ));
    out.push(Object::new(
        object(
            env,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-dns",
            Map::new(),
        )
        .with(
            "spec",
            Map::new()
                .with("podSelector", Map::new())
                .with("policyTypes", Seq::new().with("Egress"))
                .with(
                    "egress",
                    Seq::new().with(
                        Map::new()
                            .with(
                                "to",
                                Seq::new().with(
                                    Map::new()
                                        .with(
                                            "namespaceSelector",
                                            Map::new().with(
                                                "matchLabels",
                                                Map::new().with(
                                                    "kubernetes.io/metadata.name",
                                                    "kube-system",
                                                ),
                                            ),
                                        )
                                        .with(
                                            "podSelector",
                                            Map::new().with(
                                                "matchLabels",
                                                Map::new().with("k8s-app", "kube-dns"),
                                            ),
                                        ),
                                ),
                            )
                            .with(
                                "ports",
                                Seq::new()
                                    .with(Map::new().with("protocol", "UDP").with("port", 53))
                                    .with(Map::new().with("protocol", "TCP").with("port", 53)),
                            ),
                    ),
                ),
        ),
        "Every pod may ask the cluster's DNS (kube-dns or CoreDNS in kube-system) for names.",
    ));
    let (controller, controller_name) = ingress_controller(env);
    let api_port = env
        .services
        .iter()
        .find(|it| it.component == Component::Api)
        .and_then(|it| it.port)
        .unwrap_or(5988);
    let mut api_in = Seq::new().with(rule(controller.clone(), &[api_port]));
    if has(env, Component::Sentinel) {
        api_in.push(rule(Seq::new().with(pods("sentinel")), &[api_port]));
    }
    out.push(Object::new(
        policy(
            env,
            "api",
            selector("api"),
            api_in,
            Seq::new()
                .with(egress_rule(Seq::new().with(pods("haproxy")), &[5984]))
                .with(egress_rule(internet(), &[443])),
        ),
        format!("The API: reached by {controller_name} (and polled by Sentinel); reaches CouchDB through HAProxy, and HTTPS outside the cluster (CHT release downloads, SMS gateways, outbound push)."),
    ));
    if has(env, Component::Sentinel) {
        out.push(Object::new(
            policy(
                env,
                "sentinel",
                selector("sentinel"),
                Seq::new(),
                Seq::new()
                    .with(egress_rule(Seq::new().with(pods("haproxy")), &[5984]))
                    .with(egress_rule(Seq::new().with(pods("api")), &[api_port]))
                    .with(egress_rule(internet(), &[443])),
            ),
            "Sentinel: reached by nothing; reaches HAProxy, the API, and HTTPS outside the cluster (outbound push).",
        ));
    }
    let mut haproxy_in = Seq::new().with(pods("api"));
    for (component, name) in [
        (Component::Sentinel, "sentinel"),
        (Component::Couch2pg, "couch2pg"),
    ] {
        if has(env, component) {
            haproxy_in.push(pods(name));
        }
    }
    let mut haproxy_out = Seq::new().with(egress_rule(Seq::new().with(pods("couchdb")), &[5984]));
    let healthcheck = has(env, Component::Healthcheck);
    if healthcheck {
        haproxy_out.push(egress_rule(Seq::new().with(pods("healthcheck")), &[5555]));
    }
    out.push(Object::new(
        policy(
            env,
            "haproxy",
            selector("haproxy"),
            Seq::new().with(rule(haproxy_in, &[5984])),
            haproxy_out,
        ),
        "HAProxy: reached by the API, Sentinel and CHT Sync; reaches the CouchDB nodes and the health-check agent.",
    ));
    if healthcheck {
        out.push(Object::new(
            policy(
                env,
                "healthcheck",
                selector("healthcheck"),
                Seq::new().with(rule(Seq::new().with(pods("haproxy")), &[5555])),
                Seq::new().with(egress_rule(Seq::new().with(pods("couchdb")), &[5984])),
            ),
            "HAProxy's health-check agent: asked by HAProxy; asks each CouchDB node for the cluster's membership.",
        ));
    }
    let nouveau = has(env, Component::Nouveau);
    let mut couch_ports: Vec<u16> = vec![5984, 4369, 9100];
    if nouveau {
        couch_ports.push(5987);
    }
    let mut couch_in_peers = Seq::new().with(pods("haproxy"));
    if healthcheck {
        couch_in_peers.push(pods("healthcheck"));
    }
    out.push(Object::new(
        policy(
            env,
            "couchdb",
            selector("couchdb"),
            Seq::new()
                .with(rule(couch_in_peers, &[5984]))
                .with(rule(Seq::new().with(pods("couchdb")), &couch_ports)),
            Seq::new().with(egress_rule(Seq::new().with(pods("couchdb")), &couch_ports)),
        ),
        if nouveau {
            "CouchDB and Nouveau: reached by HAProxy and the health check; the CouchDB nodes reach each other (HTTP, epmd, Erlang distribution) and Nouveau."
        } else {
            "CouchDB: reached by HAProxy and the health check; the CouchDB nodes reach each other (HTTP, epmd, Erlang distribution)."
        },
    ));
    if has(env, Component::Postgres) {
        out.push(Object::new(
            policy(
                env,
                "postgres",
                selector("postgres"),
                Seq::new().with(rule(
                    Seq::new().with(pods("couch2pg")).with(pods("dbt")),
                    &[5432],
                )),
                Seq::new(),
            ),
            "CHT Sync's PostgreSQL: reached by couch2pg and dbt only; it reaches nothing. Analysts' tools need a policy of their own.",
        ));
        out.push(Object::new(
            policy(
                env,
                "couch2pg",
                selector("couch2pg"),
                Seq::new(),
                Seq::new()
                    .with(egress_rule(Seq::new().with(pods("haproxy")), &[5984]))
                    .with(egress_rule(Seq::new().with(pods("postgres")), &[5432])),
            ),
            "couch2pg: reaches CouchDB through HAProxy, and PostgreSQL.",
        ));
        out.push(Object::new(
            policy(
                env,
                "dbt",
                selector("dbt"),
                Seq::new(),
                Seq::new()
                    .with(egress_rule(Seq::new().with(pods("postgres")), &[5432]))
                    .with(egress_rule(internet(), &[443])),
            ),
            "dbt: reaches PostgreSQL, and HTTPS outside the cluster to fetch its models.",
        ));
    }
    if env.backup.is_some() {
        let mut egress = Seq::new().with(egress_rule(internet(), &[443]));
        match meta::distribution(env) {
            // EKS Pod Identity's agent, on each node's link-local address.
            Distribution::Eks => egress.push(egress_rule(
                Seq::new()
                    .with(Map::new().with("ipBlock", Map::new().with("cidr", "169.254.170.23/32"))),
                &[80],
            )),
            // GKE's metadata server, which hands out Workload Identity tokens.
            Distribution::Gke => egress.push(egress_rule(
                Seq::new().with(
                    Map::new().with("ipBlock", Map::new().with("cidr", "169.254.169.254/32")),
                ),
                &[80],
            )),
            Distribution::K3s | Distribution::Aks | Distribution::Generic => {}
        }
        out.push(Object::new(
            policy(env, "backup", selector("backup"), Seq::new(), egress),
            "The backup: reached by nothing; reaches its repository over HTTPS (and the cloud's credential endpoint, where there is one). It reads CouchDB's files from the volume, not over the network.",
        ));
    }
    if matches!(certificate(env), Certificate::Acme) {
        out.push(Object::new(
            policy(
                env,
                "acme-http01-solver",
                Map::new().with(
                    "matchLabels",
                    Map::new().with("acme.cert-manager.io/http01-solver", "true"),
                ),
                Seq::new().with(rule(controller, &[8089])),
                Seq::new(),
            ),
            "cert-manager's temporary HTTP-01 solver pods, which Let's Encrypt reaches through the ingress controller while a certificate is issued or renewed.",
        ));
    }
    out
}
