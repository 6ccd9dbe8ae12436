//! CHT's workloads: CouchDB (with Nouveau on CHT 5), HAProxy and its health-check agent, the
//! API and Sentinel, as CHT's Helm chart deploys them, and CHT Sync when the plan asks for it.
//!
//! Object names, selector labels, container names, ports and environment variables follow
//! the 5.x chart (`cht-core/scripts/build/helm` at 5.2.0), which agrees with the 4.x chart
//! except where noted. What the chart lacks is added: requests and limits from the capacity
//! estimate, startup, readiness and liveness probes, security contexts, service links off
//! (a Service named `api` would otherwise inject `API_PORT=tcp://...` into every pod, which
//! CHT reads as its port), and anti-affinity that keeps the nodes of a CouchDB cluster on
//! different machines.

use hostplan_core::ir::{self, Component, EnvValue, Environment, Service, VolumePurpose};

use crate::doc::{Map, Seq};
use crate::kubernetes::meta::{
    self, container_security, env_config, env_secret, env_value, exec_probe, http_probe, mount,
    object, pod_labels, pod_security, scratch_volume, tcp_probe, Identity, CREDENTIALS_SECRET,
    SERVERS_CONFIGMAP, SERVICE_LABEL, SYNC_SECRET,
};
use crate::kubernetes::Object;

/// The user and group of CouchDB's image (`couchdb:3.x`), which also owns Nouveau's image.
pub(crate) const COUCHDB_UID: u64 = 5984;

/// The `node` user of the Node.js images CHT's API and Sentinel and CHT Sync's couch2pg are
/// built on.
const NODE_UID: u64 = 1000;

/// The `haproxy` user of the official HAProxy image CHT's HAProxy is built on.
const HAPROXY_UID: u64 = 99;

/// `nobody`, for images that need no user of their own.
const NOBODY_UID: u64 = 65534;

/// The `postgres` user of the official PostgreSQL image.
const POSTGRES_UID: u64 = 999;

/// The `dbt` user CHT Sync's dbt image creates (the first user `adduser` makes).
const DBT_UID: u64 = 1000;

/// One node of CouchDB, named as CHT's chart names it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CouchNode<'a> {
    /// 1-based.
    pub number: u32,
    pub clustered: bool,
    pub service: &'a Service,
}

impl CouchNode<'_> {
    fn suffix(&self) -> String {
        if self.clustered {
            format!("-{}", self.number)
        } else {
            String::new()
        }
    }

    /// The Deployment, `cht-couchdb` or `cht-couchdb-N`; also its main container's name.
    pub(crate) fn deployment(&self) -> String {
        format!("cht-couchdb{}", self.suffix())
    }

    /// The Service and the selector label value, `couchdb` or `couchdb-N`.
    pub(crate) fn selector(&self) -> String {
        format!("couchdb{}", self.suffix())
    }

    /// The PersistentVolumeClaim, `couchdb-claim0` or `couchdb-N-claim0`.
    pub(crate) fn claim(&self) -> String {
        format!("couchdb{}-claim0", self.suffix())
    }
}

/// The CouchDB nodes, in order.
pub(crate) fn couch_nodes(env: &Environment) -> Vec<CouchNode<'_>> {
    let services: Vec<&Service> = env
        .services
        .iter()
        .filter(|it| it.component == Component::Couchdb)
        .collect();
    let clustered = services.len() > 1;
    services
        .into_iter()
        .enumerate()
        .map(|(idx, service)| CouchNode {
            number: u32::try_from(idx + 1).unwrap_or(u32::MAX),
            clustered,
            service,
        })
        .collect()
}

/// The size of a CouchDB node's volume, in GiB.
pub(crate) fn couch_volume_gib(env: &Environment, node: u32) -> u64 {
    env.volumes
        .iter()
        .find(|it| it.purpose == VolumePurpose::CouchdbData { node })
        .and_then(|it| it.size_gib)
        .unwrap_or(env.sizing.couchdb_volume_gib)
        .max(1)
}

/// The value a variable of the stack has in this environment: the plan's, or the default.
pub(crate) fn setting(env: &Environment, name: &str) -> Option<String> {
    match env.setting(name).map(|it| &it.value) {
        Some(ir::SettingValue::Set { value, .. }) => Some(value.clone()),
        Some(ir::SettingValue::Default(Some(value))) => Some(value.clone()),
        _ => None,
    }
}

/// The value of a service's variable as the official file computes it from the plan's
/// settings, for variables that hold no secret.
fn resolved(env: &Environment, service: Option<&Service>, variable: &str) -> Option<String> {
    let var = service?.env.iter().find(|it| it.name == variable)?;
    match &var.value {
        EnvValue::Literal(value) => Some(value.clone()),
        EnvValue::Template(template) => {
            template.resolve(&|name| match env.setting(name).map(|it| &it.value) {
                Some(ir::SettingValue::Set { value, .. }) => Some(value.clone()),
                _ => None,
            })
        }
        EnvValue::Secret(_) | EnvValue::PassThrough => None,
    }
}

/// The requests and limits used when the sizing has none for a component: CHT's published
/// minimums spread over its containers, so a program lowered without the estimate still gets
/// bounded containers. Builds from `hostplan build` always carry the estimate's figures.
pub(crate) fn fallback_resources(component: Component) -> ir::Resources {
    let (cpu_request, cpu_limit, memory_request, memory_limit) = match component {
        Component::Couchdb => (1000, 2000, 2048, 3072),
        Component::Nouveau => (200, 1000, 1024, 2560),
        Component::Api => (400, 1000, 768, 1024),
        Component::Sentinel => (200, 500, 384, 512),
        Component::Haproxy => (100, 500, 256, 1024),
        Component::Postgres => (500, 1000, 1024, 2048),
        Component::Couch2pg | Component::Dbt => (250, 500, 512, 1024),
        _ => (50, 200, 64, 128),
    };
    ir::Resources {
        cpu_request_millicpu: Some(cpu_request),
        cpu_limit_millicpu: Some(cpu_limit),
        memory_request_mib: Some(memory_request),
        memory_limit_mib: Some(memory_limit),
    }
}

fn sized(service: &Service) -> Map {
    meta::resources(&service.resources, &fallback_resources(service.component))
}

/// `couchdb-servers-configmap`: the nodes as HAProxy, the health check and the nodes
/// themselves address them, with the chart's keys.
pub(crate) fn servers_config_map(env: &Environment) -> Object {
    let nodes = couch_nodes(env);
    let names: Vec<String> = nodes
        .iter()
        .map(|it| meta::fqdn(env, &it.selector()))
        .collect();
    let mut data = Map::new().with("COUCHDB_SERVERS", names.join(","));
    if names.len() > 1 {
        if let Some(first) = names.first() {
            data.insert("COUCHDB_SYNC_ADMINS_NODE", first.as_str());
        }
        data.insert(
            "CLUSTER_PEER_IPS",
            names.iter().skip(1).cloned().collect::<Vec<_>>().join(","),
        );
    }
    let map = object(env, "v1", "ConfigMap", SERVERS_CONFIGMAP, Map::new()).with("data", data);
    Object::new(
        map,
        "The CouchDB nodes by their stable Service names; HAProxy balances over COUCHDB_SERVERS.",
    )
}

/// What a pod needs, beyond its containers.
struct Pod {
    name: String,
    selector_key: &'static str,
    selector: String,
    component: &'static str,
    containers: Vec<Map>,
    volumes: Vec<Map>,
    fs_group: Option<u64>,
    hostname: Option<&'static str>,
    grace_seconds: u32,
    affinity: Option<Map>,
}

fn pod_template(env: &Environment, pod: &Pod) -> Map {
    let labels = pod_labels(env, pod.selector_key, &pod.selector, pod.component);
    let mut spec = Map::new()
        .with("automountServiceAccountToken", false)
        .with("enableServiceLinks", false);
    if let Some(hostname) = pod.hostname {
        spec.insert("hostname", hostname);
    }
    spec.insert("securityContext", pod_security(pod.fs_group));
    spec.insert("terminationGracePeriodSeconds", pod.grace_seconds);
    if let Some(affinity) = &pod.affinity {
        spec.insert("affinity", affinity.clone());
    }
    spec.insert(
        "containers",
        pod.containers.iter().cloned().collect::<Seq>(),
    );
    if !pod.volumes.is_empty() {
        spec.insert("volumes", pod.volumes.iter().cloned().collect::<Seq>());
    }
    spec.insert("restartPolicy", "Always");
    Map::new()
        .with("metadata", Map::new().with("labels", labels))
        .with("spec", spec)
}

fn deployment(env: &Environment, pod: &Pod) -> Map {
    let labels = Map::new().with(pod.selector_key, pod.selector.as_str());
    object(env, "apps/v1", "Deployment", &pod.name, labels.clone()).with(
        "spec",
        Map::new()
            .with("replicas", 1)
            .with("selector", Map::new().with("matchLabels", labels))
            // CHT's chart recreates every workload: two APIs must not migrate the same
            // database at once, and a CouchDB volume can be mounted by one node only.
            .with("strategy", Map::new().with("type", "Recreate"))
            .with("template", pod_template(env, pod)),
    )
}

/// A container, with the keys in the order `kubectl` prints them.
struct Container {
    name: String,
    image: String,
    command: Vec<String>,
    ports: Vec<(u16, &'static str)>,
    env: Vec<Map>,
    resources: Map,
    startup: Option<Map>,
    readiness: Map,
    liveness: Map,
    security: Map,
    mounts: Vec<Map>,
}

fn container(it: Container) -> Map {
    // Release tags do not move, so a node keeps the image it has; `latest` (CHT Sync's only
    // published tag) moves, and is pulled again on every start, as Kubernetes does by default.
    let pull = if it.image.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    };
    let mut map = Map::new()
        .with("name", it.name)
        .with("image", it.image)
        .with("imagePullPolicy", pull);
    if !it.command.is_empty() {
        map.insert("command", it.command.into_iter().collect::<Seq>());
    }
    if !it.ports.is_empty() {
        map.insert(
            "ports",
            it.ports
                .iter()
                .map(|(port, name)| {
                    Map::new()
                        .with("name", *name)
                        .with("containerPort", *port)
                        .with("protocol", "TCP")
                })
                .collect::<Seq>(),
        );
    }
    if !it.env.is_empty() {
        map.insert("env", it.env.into_iter().collect::<Seq>());
    }
    map.insert("resources", it.resources);
    if let Some(startup) = it.startup {
        map.insert("startupProbe", startup);
    }
    map.insert("readinessProbe", it.readiness);
    map.insert("livenessProbe", it.liveness);
    map.insert("securityContext", it.security);
    if !it.mounts.is_empty() {
        map.insert("volumeMounts", it.mounts.into_iter().collect::<Seq>());
    }
    map
}

fn service_object(
    env: &Environment,
    name: &str,
    selector_key: &'static str,
    selector: &str,
    ports: &[(&str, u16)],
    publish_not_ready: bool,
) -> Map {
    let labels = Map::new().with(selector_key, name);
    let mut spec = Map::new().with("type", "ClusterIP");
    if publish_not_ready {
        spec.insert("publishNotReadyAddresses", true);
    }
    spec.insert(
        "ports",
        ports
            .iter()
            .map(|(port_name, port)| {
                Map::new()
                    .with("name", *port_name)
                    .with("port", *port)
                    .with("targetPort", *port)
                    .with("protocol", "TCP")
            })
            .collect::<Seq>(),
    );
    spec.insert("selector", Map::new().with(selector_key, selector));
    object(env, "v1", "Service", name, labels).with("spec", spec)
}

/// CouchDB: per node a Deployment and a Service (the claims are in `storage.yaml`), and on
/// CHT 5 the Nouveau sidecar of the first node with its Service, as the 5.2.0 chart runs it.
pub(crate) fn couchdb(env: &Environment) -> Vec<Object> {
    let nodes = couch_nodes(env);
    let nouveau = env
        .services
        .iter()
        .find(|it| it.component == Component::Nouveau);
    let mut out = Vec::new();
    for node in &nodes {
        let with_nouveau = nouveau.filter(|_| node.number == 1);
        let mut containers = vec![couchdb_container(env, node)];
        let mut volumes = vec![Map::new().with("name", node.claim()).with(
            "persistentVolumeClaim",
            Map::new().with("claimName", node.claim()),
        )];
        if let Some(nouveau) = with_nouveau {
            containers.push(nouveau_container(nouveau, node));
            volumes.push(scratch_volume("nouveau-tmp", 256));
        }
        let affinity = node.clustered.then(|| {
            Map::new().with(
                "podAntiAffinity",
                Map::new().with(
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    Seq::new().with(
                        Map::new()
                            .with(
                                "labelSelector",
                                Map::new().with(
                                    "matchLabels",
                                    Map::new().with("app.kubernetes.io/component", "couchdb"),
                                ),
                            )
                            .with("topologyKey", "kubernetes.io/hostname"),
                    ),
                ),
            )
        });
        let pod = Pod {
            name: node.deployment(),
            selector_key: SERVICE_LABEL,
            selector: node.selector(),
            component: "couchdb",
            containers,
            volumes,
            // The volume's group is CouchDB's, so Nouveau (the same user) can write its index
            // beside the data from the first start, before CouchDB's entrypoint fixes owners.
            fs_group: Some(COUCHDB_UID),
            hostname: None,
            // The chart kills CouchDB at once (0 s); CouchDB's files are append-only, but
            // a minute to close them cleanly costs nothing.
            grace_seconds: 60,
            affinity,
        };
        let comment = if node.clustered {
            format!(
                "CouchDB node {} of {}: its own Deployment, volume and Service, as CHT's chart runs a cluster; anti-affinity keeps each node on its own machine.",
                node.number,
                nodes.len()
            )
        } else {
            "CouchDB, a single node (CHT's advice for most deployments).".to_string()
        };
        let comment = match with_nouveau {
            Some(_) => format!("{comment} Nouveau, CouchDB's full-text search, runs beside it in the same pod and on the same volume."),
            None => comment,
        };
        out.push(Object::new(deployment(env, &pod), comment));
        out.push(Object::new(
            service_object(
                env,
                &node.selector(),
                SERVICE_LABEL,
                &node.selector(),
                &[
                    (&format!("{}-service", node.selector().replace('-', "")), 5984),
                    ("epmd", 4369),
                    ("erlang", 9100),
                ],
                true,
            ),
            "CouchDB's HTTP port and its Erlang ports; the Service publishes the node before it is ready, because the nodes of a cluster must reach each other to become ready.",
        ));
    }
    if nouveau.is_some() {
        let first = nodes
            .first()
            .map(|it| it.selector())
            .unwrap_or_else(|| "couchdb".to_string());
        out.push(Object::new(
            service_object(
                env,
                "nouveau",
                SERVICE_LABEL,
                &first,
                &[("nouveau-service", 5987)],
                true,
            ),
            "Nouveau, reached by every CouchDB node at http://nouveau:5987 (the address CHT's CouchDB image configures).",
        ));
    }
    out
}

fn couchdb_container(env: &Environment, node: &CouchNode<'_>) -> Map {
    let mut vars = Vec::new();
    if node.clustered && node.number != 1 {
        vars.push(env_config(
            "COUCHDB_SYNC_ADMINS_NODE",
            SERVERS_CONFIGMAP,
            "COUCHDB_SYNC_ADMINS_NODE",
        ));
    }
    vars.push(env_value(
        "COUCHDB_LOG_LEVEL",
        &setting(env, "COUCHDB_LOG_LEVEL").unwrap_or_else(|| "info".to_string()),
    ));
    for key in [
        "COUCHDB_PASSWORD",
        "COUCHDB_SECRET",
        "COUCHDB_USER",
        "COUCHDB_UUID",
    ] {
        vars.push(env_secret(key, CREDENTIALS_SECRET, key));
    }
    vars.push(env_value("SVC_NAME", &meta::fqdn(env, &node.selector())));
    if node.clustered {
        vars.push(env_value("NODE_COUNT", &env.couchdb_nodes.to_string()));
        if node.number == 1 {
            vars.push(env_config(
                "CLUSTER_PEER_IPS",
                SERVERS_CONFIGMAP,
                "CLUSTER_PEER_IPS",
            ));
        }
    }
    // CouchDB's entrypoint starts as root: it fixes the owners of the data directory, writes
    // the admin, secret and uuid into local.d, sets the Erlang node name in the image, then
    // drops to the `couchdb` user, raising its open-file limit to 100,000 on the way. So this
    // container keeps root and a writable image, with only the capabilities those steps use
    // (changing owners and modes, switching user); every other capability is dropped.
    let mut security = container_security(Identity {
        user: None,
        writes_image: true,
    });
    security.insert(
        "capabilities",
        Map::new().with("drop", Seq::new().with("ALL")).with(
            "add",
            ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"]
                .into_iter()
                .collect::<Seq>(),
        ),
    );
    security.insert("runAsUser", 0);
    security.insert("runAsNonRoot", false);
    container(Container {
        name: node.deployment(),
        image: node.service.image.to_string(),
        command: Vec::new(),
        ports: vec![(5984, "http"), (4369, "epmd"), (9100, "erlang")],
        env: vars,
        resources: sized(node.service),
        // A node of a new cluster waits for its peers, and a large database takes minutes to
        // open: up to 15 minutes before the liveness probe may restart it.
        startup: Some(tcp_probe(5984, 10, 90)),
        readiness: exec_probe(
            &[
                "/bin/sh",
                "-c",
                "curl -fsS --max-time 4 -o /dev/null -u \"$COUCHDB_USER:$COUCHDB_PASSWORD\" http://127.0.0.1:5984/_up",
            ],
            10,
            5,
            3,
        ),
        // Liveness asks only whether CouchDB listens: a node busy indexing views answers
        // slowly, and restarting it would only start the indexing again.
        liveness: tcp_probe(5984, 20, 6),
        security,
        mounts: vec![
            mount(&node.claim(), "/opt/couchdb/data", Some("data"), false),
            mount(&node.claim(), "/opt/couchdb/etc/local.d", Some("local.d"), false),
        ],
    })
}

fn nouveau_container(nouveau: &Service, node: &CouchNode<'_>) -> Map {
    container(Container {
        name: "cht-couchdb-nouveau".to_string(),
        image: nouveau.image.to_string(),
        command: Vec::new(),
        ports: vec![(5987, "http"), (5989, "admin")],
        env: Vec::new(),
        resources: sized(nouveau),
        startup: Some(tcp_probe(5987, 10, 30)),
        // Nouveau's admin port answers `/healthcheck` with the health of its index manager.
        readiness: http_probe("/healthcheck", 5989, 10, 3),
        liveness: tcp_probe(5987, 20, 6),
        // Nouveau's image runs as root only by default: it works as its own `nouveau` user
        // (the uid of CouchDB's `couchdb`) with a read-only image and /tmp for the JVM.
        security: container_security(Identity {
            user: Some((COUCHDB_UID, COUCHDB_UID)),
            writes_image: false,
        }),
        // The chart mounts the data directory itself at /data/nouveau, and so does this, so
        // an index built under the chart is found again.
        mounts: vec![
            mount(&node.claim(), "/data/nouveau", Some("data"), false),
            mount("nouveau-tmp", "/tmp", None, false),
        ],
    })
}

/// `cht-haproxy-healthcheck` and its Service `healthcheck`, where the release runs it (CHT 4,
/// and CHT 5 clusters: HAProxy 5 checks a single node with HTTP itself).
pub(crate) fn healthcheck(env: &Environment) -> Vec<Object> {
    let Some(service) = env
        .services
        .iter()
        .find(|it| it.component == Component::Healthcheck)
    else {
        return Vec::new();
    };
    let pod = Pod {
        name: "cht-haproxy-healthcheck".to_string(),
        selector_key: SERVICE_LABEL,
        selector: "healthcheck".to_string(),
        component: "healthcheck",
        containers: vec![container(Container {
            name: "cht-haproxy-healthcheck".to_string(),
            image: service.image.to_string(),
            command: Vec::new(),
            ports: vec![(5555, "agent")],
            env: vec![
                env_secret("COUCHDB_PASSWORD", CREDENTIALS_SECRET, "COUCHDB_PASSWORD"),
                env_config("COUCHDB_SERVERS", SERVERS_CONFIGMAP, "COUCHDB_SERVERS"),
                env_secret("COUCHDB_USER", CREDENTIALS_SECRET, "COUCHDB_USER"),
            ],
            resources: sized(service),
            startup: None,
            readiness: tcp_probe(5555, 10, 3),
            liveness: tcp_probe(5555, 20, 3),
            security: container_security(Identity {
                user: Some((NOBODY_UID, NOBODY_UID)),
                writes_image: false,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: None,
        grace_seconds: 10,
        affinity: None,
    };
    vec![
        Object::new(
            deployment(env, &pod),
            "Tells HAProxy whether each CouchDB node is up (an agent on port 5555). A small Python script: it runs as nobody on a read-only image.",
        ),
        Object::new(
            service_object(
                env,
                "healthcheck",
                SERVICE_LABEL,
                "healthcheck",
                &[("agent", 5555)],
                false,
            ),
            "",
        ),
    ]
}

/// `cht-haproxy` and its Service `haproxy`.
pub(crate) fn haproxy(env: &Environment) -> Vec<Object> {
    let Some(service) = env
        .services
        .iter()
        .find(|it| it.component == Component::Haproxy)
    else {
        return Vec::new();
    };
    let port = service.port.unwrap_or(5984);
    let pod = Pod {
        name: "cht-haproxy".to_string(),
        selector_key: SERVICE_LABEL,
        selector: "haproxy".to_string(),
        component: "haproxy",
        containers: vec![container(Container {
            name: "cht-haproxy".to_string(),
            image: service.image.to_string(),
            command: Vec::new(),
            ports: vec![(port, "http")],
            env: vec![
                env_secret("COUCHDB_PASSWORD", CREDENTIALS_SECRET, "COUCHDB_PASSWORD"),
                env_config("COUCHDB_SERVERS", SERVERS_CONFIGMAP, "COUCHDB_SERVERS"),
                env_secret("COUCHDB_USER", CREDENTIALS_SECRET, "COUCHDB_USER"),
                env_value("HAPROXY_IP", "0.0.0.0"),
                env_value("HAPROXY_PORT", &port.to_string()),
                env_value("HEALTHCHECK_ADDR", &meta::fqdn(env, "healthcheck")),
            ],
            resources: sized(service),
            startup: Some(tcp_probe(port, 5, 24)),
            // HAProxy answers every HTTP request with CouchDB's answer, which needs the admin's
            // credentials, so the probes ask only whether it listens.
            readiness: tcp_probe(port, 10, 3),
            liveness: tcp_probe(port, 20, 3),
            // The entrypoint writes the backend list and a password file into the image, as
            // the image's own `haproxy` user.
            security: container_security(Identity {
                user: Some((HAPROXY_UID, HAPROXY_UID)),
                writes_image: true,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: Some("haproxy"),
        grace_seconds: 30,
        affinity: None,
    };
    vec![
        Object::new(
            deployment(env, &pod),
            "Balances requests over the CouchDB nodes and logs every CouchDB request (user names included: the log holds personal data).",
        ),
        Object::new(
            service_object(
                env,
                "haproxy",
                SERVICE_LABEL,
                "haproxy",
                &[("http", port)],
                false,
            ),
            "",
        ),
    ]
}

/// `cht-api` and its Service `api`.
pub(crate) fn api(env: &Environment) -> Vec<Object> {
    let Some(service) = env
        .services
        .iter()
        .find(|it| it.component == Component::Api)
    else {
        return Vec::new();
    };
    let port = service.port.unwrap_or(5988);
    let builds_url = resolved(env, Some(service), "BUILDS_URL")
        .unwrap_or_else(|| "https://staging.dev.medicmobile.org/_couch/builds_4".to_string());
    let pod = Pod {
        name: "cht-api".to_string(),
        selector_key: SERVICE_LABEL,
        selector: "api".to_string(),
        component: "api",
        containers: vec![container(Container {
            name: "cht-api".to_string(),
            image: service.image.to_string(),
            command: Vec::new(),
            ports: vec![(port, "http")],
            env: vec![
                env_value("NODE_ENV", "production"),
                env_value("LOG_LEVEL", "info"),
                env_value("BUILDS_URL", &builds_url),
                env_secret("COUCH_URL", CREDENTIALS_SECRET, "COUCH_URL"),
                env_value("API_PORT", &port.to_string()),
            ],
            resources: sized(service),
            // The API listens at once and installs or upgrades CHT's design documents before
            // it serves: up to 10 minutes before the liveness probe may restart it.
            startup: Some(tcp_probe(port, 10, 60)),
            // `/api/info` answers without credentials once the API serves requests.
            readiness: http_probe("/api/info", port, 10, 3),
            liveness: tcp_probe(port, 20, 6),
            // The API unpacks the web apps' resources into its own directory at start, so
            // the image stays writable; it runs as the image's `node` user.
            security: container_security(Identity {
                user: Some((NODE_UID, NODE_UID)),
                writes_image: true,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: None,
        grace_seconds: 30,
        affinity: None,
    };
    let mut svc = service_object(env, "api", SERVICE_LABEL, "api", &[("http", port)], false);
    if meta::distribution(env) == ir::Distribution::Gke {
        meta::annotate(
            &mut svc,
            Map::new()
                .with("cloud.google.com/neg", "{\"ingress\": true}")
                .with(
                    "cloud.google.com/backend-config",
                    "{\"default\": \"cht-api-backend\"}",
                ),
        );
    }
    vec![
        Object::new(
            deployment(env, &pod),
            "The CHT API: authentication, replication and the web apps; the ingress sends every request here.",
        ),
        Object::new(svc, "The only Service the ingress reaches."),
    ]
}

/// `cht-sentinel`, which has no Service.
pub(crate) fn sentinel(env: &Environment) -> Vec<Object> {
    let Some(service) = env
        .services
        .iter()
        .find(|it| it.component == Component::Sentinel)
    else {
        return Vec::new();
    };
    let api_port = env
        .services
        .iter()
        .find(|it| it.component == Component::Api)
        .and_then(|it| it.port)
        .unwrap_or(5988);
    let haproxy = meta::fqdn(env, "haproxy");
    let check = node_connect_check(&[(haproxy.as_str(), 5984)]);
    let pod = Pod {
        name: "cht-sentinel".to_string(),
        selector_key: SERVICE_LABEL,
        selector: "sentinel".to_string(),
        component: "sentinel",
        containers: vec![container(Container {
            name: "cht-sentinel".to_string(),
            image: service.image.to_string(),
            command: Vec::new(),
            ports: Vec::new(),
            env: vec![
                env_value("NODE_ENV", "production"),
                env_value("LOG_LEVEL", "info"),
                env_value("API_HOST", &meta::fqdn(env, "api")),
                env_secret("COUCH_URL", CREDENTIALS_SECRET, "COUCH_URL"),
                env_value("API_PORT", &api_port.to_string()),
            ],
            resources: sized(service),
            startup: None,
            // Sentinel has no port: its probes check that it can reach CouchDB through
            // HAProxy, without which it can do nothing. Liveness waits ten minutes, so a
            // CouchDB restart does not restart Sentinel too.
            readiness: exec_probe(&["node", "-e", &check], 30, 10, 3),
            liveness: exec_probe(&["node", "-e", &check], 60, 10, 10),
            security: container_security(Identity {
                user: Some((NODE_UID, NODE_UID)),
                writes_image: true,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: None,
        grace_seconds: 30,
        affinity: None,
    };
    vec![Object::new(
        deployment(env, &pod),
        "CHT Sentinel: background processing of every change to the medic database.",
    )]
}

/// A Node.js one-liner that exits 0 when it can open a TCP connection to every address
/// within four seconds.
fn node_connect_check(targets: &[(&str, u16)]) -> String {
    let list: Vec<String> = targets
        .iter()
        .map(|(host, port)| format!("['{host}',{port}]"))
        .collect();
    format!(
        "const net=require('net');let left={};setTimeout(()=>process.exit(1),4000);for(const [h,p] of [{}]){{const s=net.connect(p,h,()=>{{s.end();if(--left===0)process.exit(0)}});s.on('error',()=>process.exit(1))}}",
        targets.len(),
        list.join(",")
    )
}

/// A Python one-liner that exits 0 when it can open a TCP connection to every address.
fn python_connect_check(targets: &[(&str, u16)]) -> String {
    let list: Vec<String> = targets
        .iter()
        .map(|(host, port)| format!("('{host}',{port})"))
        .collect();
    format!(
        "import socket\nfor a in [{}]: socket.create_connection(a, 4).close()",
        list.join(",")
    )
}

/// A variable of a CHT Sync container, from the resource model: literals stay, credentials
/// become references to their Secret, and defaults are resolved.
fn sync_env(env: &Environment, var: &ir::EnvVar) -> Option<Map> {
    let secret_of = |variable: &str| match variable {
        "COUCHDB_PASSWORD" | "COUCHDB_SECRET" | "COUCHDB_USER" | "COUCHDB_UUID" => {
            Some(CREDENTIALS_SECRET)
        }
        "POSTGRES_PASSWORD" => Some(SYNC_SECRET),
        _ => None,
    };
    match &var.value {
        EnvValue::Literal(value) => Some(env_value(&var.name, value)),
        EnvValue::Secret(secret) => {
            secret_of(&secret.variable).map(|name| env_secret(&var.name, name, &secret.variable))
        }
        EnvValue::Template(template) => {
            let single = template.as_single_var().map(|it| it.name.as_str());
            match single.and_then(|name| secret_of(name).map(|secret| (name, secret))) {
                Some((key, secret)) => Some(env_secret(&var.name, secret, key)),
                None => template
                    .resolve(&|name| setting(env, name))
                    .map(|value| env_value(&var.name, &value)),
            }
        }
        EnvValue::PassThrough => None,
    }
}

/// CHT Sync, named as its Helm chart names it (medic/cht-sync `deploy/cht_sync`): the
/// PostgreSQL StatefulSet `cht-sync-postgres` and Service `postgres` (its claim is in
/// `storage.yaml`), couch2pg `cht-sync-couch2pg--haproxy` reading CouchDB through HAProxy,
/// and dbt `cht-sync-dbt-0`. Unlike the chart, passwords come from Secrets.
pub(crate) fn cht_sync(env: &Environment) -> Vec<Object> {
    let find = |component: Component| env.services.iter().find(|it| it.component == component);
    let (Some(postgres), Some(couch2pg), Some(dbt)) = (
        find(Component::Postgres),
        find(Component::Couch2pg),
        find(Component::Dbt),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let pg_port = postgres.port.unwrap_or(5432);
    out.push(Object::new(
        service_object(
            env,
            "postgres",
            "app",
            "cht-sync-postgres",
            &[("postgres", pg_port)],
            false,
        ),
        "CHT Sync's PostgreSQL; only couch2pg and dbt may reach it.",
    ));
    let mut pg_env: Vec<Map> = postgres
        .env
        .iter()
        .filter_map(|it| sync_env(env, it))
        .collect();
    pg_env.push(env_value("PGDATA", "/var/lib/postgresql/data/pgdata"));
    let pg_ready = "pg_isready -q -h 127.0.0.1 -p 5432 -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\"";
    let postgres_pod = Pod {
        name: "cht-sync-postgres".to_string(),
        selector_key: "app",
        selector: "cht-sync-postgres".to_string(),
        component: "postgres",
        containers: vec![container(Container {
            name: "postgres".to_string(),
            image: postgres.image.to_string(),
            command: Vec::new(),
            ports: vec![(pg_port, "postgres")],
            env: pg_env,
            resources: sized(postgres),
            startup: Some(exec_probe(&["/bin/sh", "-c", pg_ready], 10, 5, 60)),
            readiness: exec_probe(&["/bin/sh", "-c", pg_ready], 10, 5, 3),
            liveness: exec_probe(&["/bin/sh", "-c", pg_ready], 30, 5, 6),
            // PostgreSQL runs as its own user on a read-only image: it writes only its data
            // directory, its socket directory and temporary files.
            security: container_security(Identity {
                user: Some((POSTGRES_UID, POSTGRES_UID)),
                writes_image: false,
            }),
            mounts: vec![
                mount("postgres-data", "/var/lib/postgresql/data", None, false),
                mount("postgres-shm", "/dev/shm", None, false),
                mount("postgres-run", "/var/run/postgresql", None, false),
                mount("postgres-tmp", "/tmp", None, false),
            ],
        })],
        volumes: vec![
            Map::new().with("name", "postgres-data").with(
                "persistentVolumeClaim",
                Map::new().with("claimName", "postgres-pvc"),
            ),
            Map::new().with("name", "postgres-shm").with(
                "emptyDir",
                Map::new()
                    .with("medium", "Memory")
                    .with("sizeLimit", "512Mi"),
            ),
            scratch_volume("postgres-run", 16),
            scratch_volume("postgres-tmp", 1024),
        ],
        fs_group: Some(POSTGRES_UID),
        hostname: None,
        grace_seconds: 60,
        affinity: None,
    };
    let selector = Map::new().with("app", "cht-sync-postgres");
    out.push(Object::new(
        object(
            env,
            "apps/v1",
            "StatefulSet",
            "cht-sync-postgres",
            selector.clone(),
        )
        .with(
            "spec",
            Map::new()
                .with("serviceName", "postgres")
                .with("replicas", 1)
                .with("selector", Map::new().with("matchLabels", selector))
                .with("template", pod_template(env, &postgres_pod)),
        ),
        "PostgreSQL for CHT Sync's analytics data.",
    ));
    let couch2pg_check = node_connect_check(&[("postgres", pg_port), ("haproxy", 5984)]);
    let couch2pg_pod = Pod {
        name: "cht-sync-couch2pg--haproxy".to_string(),
        selector_key: "app",
        selector: "cht-sync-couch2pg-haproxy".to_string(),
        component: "couch2pg",
        containers: vec![container(Container {
            name: "couch2pg".to_string(),
            image: couch2pg.image.to_string(),
            command: Vec::new(),
            ports: Vec::new(),
            env: couch2pg
                .env
                .iter()
                .filter_map(|it| sync_env(env, it))
                .collect(),
            resources: sized(couch2pg),
            startup: None,
            // couch2pg has no port; it is useful only while it reaches PostgreSQL and CouchDB.
            readiness: exec_probe(&["node", "-e", &couch2pg_check], 30, 10, 3),
            liveness: exec_probe(&["node", "-e", &couch2pg_check], 60, 10, 10),
            security: container_security(Identity {
                user: Some((NODE_UID, NODE_UID)),
                writes_image: false,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: None,
        grace_seconds: 30,
        affinity: None,
    };
    out.push(Object::new(
        deployment(env, &couch2pg_pod),
        "couch2pg: copies CouchDB's changes into PostgreSQL; it reads CouchDB through HAProxy inside the namespace.",
    ));
    let dbt_check = python_connect_check(&[("postgres", pg_port)]);
    let dbt_pod = Pod {
        name: "cht-sync-dbt-0".to_string(),
        selector_key: "app",
        selector: "cht-sync-dbt-0".to_string(),
        component: "dbt",
        containers: vec![container(Container {
            name: "dbt".to_string(),
            image: dbt.image.to_string(),
            command: Vec::new(),
            ports: Vec::new(),
            env: dbt.env.iter().filter_map(|it| sync_env(env, it)).collect(),
            resources: sized(dbt),
            startup: None,
            readiness: exec_probe(&["python3", "-c", &dbt_check], 30, 10, 3),
            liveness: exec_probe(&["python3", "-c", &dbt_check], 60, 10, 10),
            // dbt fetches the pipeline's models into its working directory in the image.
            security: container_security(Identity {
                user: Some((DBT_UID, DBT_UID)),
                writes_image: true,
            }),
            mounts: Vec::new(),
        })],
        volumes: Vec::new(),
        fs_group: None,
        hostname: None,
        grace_seconds: 30,
        affinity: None,
    };
    out.push(Object::new(
        deployment(env, &dbt_pod),
        "dbt: builds CHT's analytics models (cht-pipeline) in PostgreSQL.",
    ));
    out
}
