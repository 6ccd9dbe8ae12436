//! The dependency graph over the resources of a [`Program`]: what must exist or start before
//! what.
//!
//! An edge `a -> b` means "a needs b": b must exist (a volume, a secret, a host) or be
//! started (a service) before a. Backends use it for ordering (`depends_on`, manifest order,
//! Terraform references), and `hostplan graph` prints it as DOT, Mermaid or JSON.
//!
//! Nodes are inserted in the order of the resource model, which is itself deterministic,
//! and every order this module returns breaks ties by that insertion order, so the graph and
//! its orders are the same on every run.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::ir::{EnvValue, Environment, Program, SettingValue};

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// `ENV/KIND/NAME`, unique in the graph.
    pub id: String,
    pub env: String,
    pub kind: ResourceKind,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Service,
    Volume,
    Network,
    Secret,
    Host,
    Disk,
}

impl ResourceKind {
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::Service => "service",
            ResourceKind::Volume => "volume",
            ResourceKind::Network => "network",
            ResourceKind::Secret => "secret",
            ResourceKind::Host => "host",
            ResourceKind::Disk => "disk",
        }
    }
}

/// Why one resource needs another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// The service starts after the other (Compose `depends_on`).
    StartsAfter,
    /// The service sends requests to the other: the request path.
    Requests,
    Mounts,
    Joins,
    /// The service reads the secret.
    Reads,
    RunsOn,
    /// The volume is stored on the disk, or the disk is attached to the host.
    StoredOn,
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::StartsAfter => "starts after",
            EdgeKind::Requests => "requests",
            EdgeKind::Mounts => "mounts",
            EdgeKind::Joins => "joins",
            EdgeKind::Reads => "reads",
            EdgeKind::RunsOn => "runs on",
            EdgeKind::StoredOn => "stored on",
        }
    }

    fn id(self) -> &'static str {
        match self {
            EdgeKind::StartsAfter => "starts_after",
            EdgeKind::Requests => "requests",
            EdgeKind::Mounts => "mounts",
            EdgeKind::Joins => "joins",
            EdgeKind::Reads => "reads",
            EdgeKind::RunsOn => "runs_on",
            EdgeKind::StoredOn => "stored_on",
        }
    }
}

/// The graph of a program or of one of its environments.
#[derive(Clone, Debug)]
pub struct ResourceGraph {
    graph: DiGraph<Resource, EdgeKind>,
    /// The plan's name, for titles.
    title: String,
    /// Environment name and target, in plan order, for grouping.
    environments: Vec<(String, String)>,
}

/// The output formats of `hostplan graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    Json,
}

/// Builds the graph of every environment, or of the one named.
pub fn build(program: &Program, only: Option<&str>) -> ResourceGraph {
    let mut out = ResourceGraph {
        graph: DiGraph::new(),
        title: program.plan.name.clone(),
        environments: Vec::new(),
    };
    for env in &program.environments {
        if only.is_some_and(|it| it != env.name) {
            continue;
        }
        out.environments
            .push((env.name.clone(), env.target.describe()));
        add_environment(&mut out.graph, env);
    }
    out
}

fn add_environment(graph: &mut DiGraph<Resource, EdgeKind>, env: &Environment) {
    let mut index: BTreeMap<(ResourceKind, String), NodeIndex> = BTreeMap::new();
    let mut add = |graph: &mut DiGraph<Resource, EdgeKind>, kind: ResourceKind, name: &str| {
        let key = (kind, name.to_string());
        if let Some(idx) = index.get(&key) {
            return *idx;
        }
        let idx = graph.add_node(Resource {
            id: format!("{}/{}/{}", env.name, kind.name(), name),
            env: env.name.clone(),
            kind,
            name: name.to_string(),
        });
        index.insert(key, idx);
        idx
    };
    let hosts: Vec<(String, crate::ir::HostRole)> = env
        .infrastructure
        .hosts
        .iter()
        .map(|it| (it.name.clone(), it.role))
        .collect();
    for service in &env.services {
        add(graph, ResourceKind::Service, &service.name);
    }
    for volume in &env.volumes {
        add(graph, ResourceKind::Volume, &volume.name);
    }
    for network in &env.networks {
        add(graph, ResourceKind::Network, &network.name);
    }
    for binding in &env.secrets {
        add(graph, ResourceKind::Secret, binding.slot.name());
    }
    for (name, _) in &hosts {
        add(graph, ResourceKind::Host, name);
    }
    for disk in &env.infrastructure.disks {
        add(graph, ResourceKind::Disk, &disk.name);
    }
    let mut edges: Vec<(NodeIndex, NodeIndex, EdgeKind)> = Vec::new();
    for service in &env.services {
        let from = add(graph, ResourceKind::Service, &service.name);
        for dependency in &service.depends_on {
            if env.service(dependency).is_some() {
                let to = add(graph, ResourceKind::Service, dependency);
                edges.push((from, to, EdgeKind::StartsAfter));
            }
        }
        for target in &service.connects_to {
            if env.service(target).is_some() {
                let to = add(graph, ResourceKind::Service, target);
                edges.push((from, to, EdgeKind::Requests));
            }
        }
        for mount in &service.mounts {
            if let Some(volume) = mount.source.volume().filter(|it| env.volume(it).is_some()) {
                let to = add(graph, ResourceKind::Volume, volume);
                edges.push((from, to, EdgeKind::Mounts));
            }
        }
        for network in &service.networks {
            if env.networks.iter().any(|it| it.name == *network) {
                let to = add(graph, ResourceKind::Network, network);
                edges.push((from, to, EdgeKind::Joins));
            }
        }
        for slot in secrets_read(env, service) {
            let to = add(graph, ResourceKind::Secret, slot);
            edges.push((from, to, EdgeKind::Reads));
        }
        if let Some((host, _)) = hosts.iter().rev().find(|(_, role)| *role == service.host) {
            let to = add(graph, ResourceKind::Host, host);
            edges.push((from, to, EdgeKind::RunsOn));
        }
    }
    for disk in &env.infrastructure.disks {
        let disk_idx = add(graph, ResourceKind::Disk, &disk.name);
        if env.volume(&disk.volume).is_some() {
            let volume = add(graph, ResourceKind::Volume, &disk.volume);
            edges.push((volume, disk_idx, EdgeKind::StoredOn));
        }
        if hosts.iter().any(|(name, _)| *name == disk.host) {
            let host = add(graph, ResourceKind::Host, &disk.host);
            edges.push((disk_idx, host, EdgeKind::StoredOn));
        }
    }
    // One edge per pair and reason: `nginx -> api` is both a start dependency and the
    // request path, and the graph shows both.
    let mut seen: Vec<(NodeIndex, NodeIndex, EdgeKind)> = Vec::new();
    for edge in edges {
        if seen.contains(&edge) {
            continue;
        }
        seen.push(edge);
        graph.add_edge(edge.0, edge.1, edge.2);
    }
}

/// The secret slots a service reads, directly or inside a template.
fn secrets_read<'e>(env: &'e Environment, service: &crate::ir::Service) -> Vec<&'e str> {
    let mut out: Vec<&str> = Vec::new();
    for var in &service.env {
        let slots: Vec<&str> = match &var.value {
            EnvValue::Secret(secret) => vec![secret.slot.name()],
            EnvValue::Template(template) => template
                .variables()
                .iter()
                .filter_map(|name| match env.setting(name).map(|it| &it.value) {
                    Some(SettingValue::Secret(secret)) => Some(secret.slot.name()),
                    _ => None,
                })
                .collect(),
            EnvValue::PassThrough => match env.setting(&var.name).map(|it| &it.value) {
                Some(SettingValue::Secret(secret)) => vec![secret.slot.name()],
                _ => Vec::new(),
            },
            EnvValue::Literal(_) => Vec::new(),
        };
        for slot in slots {
            if let Some(binding) = env.secrets.iter().find(|it| it.slot.name() == slot) {
                if !out.contains(&binding.slot.name()) {
                    out.push(binding.slot.name());
                }
            }
        }
    }
    out
}

impl ResourceGraph {
    /// Nodes in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = &Resource> {
        self.graph.node_weights()
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Edges in insertion order, as (needs, needed, why).
    pub fn edges(&self) -> impl Iterator<Item = (&Resource, &Resource, EdgeKind)> {
        self.graph.edge_references().filter_map(|edge| {
            Some((
                self.graph.node_weight(edge.source())?,
                self.graph.node_weight(edge.target())?,
                *edge.weight(),
            ))
        })
    }

    pub fn find(&self, id: &str) -> Option<&Resource> {
        self.graph.node_weights().find(|it| it.id == id)
    }

    /// Whether `from` needs `to` directly, for the given reason.
    pub fn has_edge(&self, from: &str, to: &str, kind: EdgeKind) -> bool {
        self.edges()
            .any(|(a, b, k)| a.id == from && b.id == to && k == kind)
    }

    /// The strongly connected components with more than one node (or a self loop): each
    /// is a set of resources that need each other, which nothing can order.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = petgraph::algo::tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| {
                scc.len() > 1
                    || scc
                        .first()
                        .is_some_and(|it| self.graph.contains_edge(*it, *it))
            })
            .map(|scc| {
                let mut ids: Vec<NodeIndex> = scc;
                ids.sort();
                ids.iter()
                    .filter_map(|it| self.graph.node_weight(*it))
                    .map(|it| it.id.clone())
                    .collect()
            })
            .collect();
        out.sort();
        out
    }

    /// Every resource, each after everything it needs (Kahn's algorithm; ties go to the
    /// resource inserted first). Resources on a cycle are left out; see [`Self::cycles`].
    pub fn creation_order(&self) -> Vec<&Resource> {
        let count = self.graph.node_count();
        let mut remaining: Vec<usize> = (0..count)
            .map(|idx| {
                self.graph
                    .edges_directed(NodeIndex::new(idx), Direction::Outgoing)
                    .count()
            })
            .collect();
        let mut ready: std::collections::BTreeSet<usize> = (0..count)
            .filter(|idx| remaining.get(*idx) == Some(&0))
            .collect();
        let mut out = Vec::with_capacity(count);
        while let Some(idx) = ready.pop_first() {
            let node = NodeIndex::new(idx);
            if let Some(resource) = self.graph.node_weight(node) {
                out.push(resource);
            }
            for edge in self.graph.edges_directed(node, Direction::Incoming) {
                let source = edge.source().index();
                if let Some(slot) = remaining.get_mut(source) {
                    *slot = slot.saturating_sub(1);
                    if *slot == 0 {
                        ready.insert(source);
                    }
                }
            }
        }
        out
    }

    /// The services of one environment in the order they can start.
    pub fn start_order(&self, env: &str) -> Vec<&str> {
        self.creation_order()
            .into_iter()
            .filter(|it| it.env == env && it.kind == ResourceKind::Service)
            .map(|it| it.name.as_str())
            .collect()
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Dot => self.to_dot(),
            Format::Mermaid => self.to_mermaid(),
            Format::Json => {
                let mut text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
                text.push('\n');
                text
            }
        }
    }

    /// Graphviz DOT, one cluster per environment.
    pub fn to_dot(&self) -> String {
        let mut out = format!("digraph {} {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n", dot_quote(&self.title));
        for (env, target) in &self.environments {
            out.push_str(&format!(
                "  subgraph {} {{\n    label={};\n",
                dot_quote(&format!("cluster_{env}")),
                dot_quote(&format!("{env} ({target})"))
            ));
            for node in self.nodes().filter(|it| it.env == *env) {
                let shape = match node.kind {
                    ResourceKind::Service => "box",
                    ResourceKind::Volume | ResourceKind::Disk => "cylinder",
                    ResourceKind::Network => "ellipse",
                    ResourceKind::Secret => "octagon",
                    ResourceKind::Host => "box3d",
                };
                out.push_str(&format!(
                    "    {} [label={}, shape={shape}];\n",
                    dot_quote(&node.id),
                    dot_quote(&format!("{}\n{}", node.name, node.kind.name()))
                ));
            }
            out.push_str("  }\n");
        }
        for (from, to, kind) in self.edges() {
            let style = match kind {
                EdgeKind::StartsAfter => "",
                EdgeKind::Requests => ", style=bold",
                _ => ", style=dashed",
            };
            out.push_str(&format!(
                "  {} -> {} [label={}{style}];\n",
                dot_quote(&from.id),
                dot_quote(&to.id),
                dot_quote(kind.name())
            ));
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart, one subgraph per environment.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let ids: Vec<String> = self
            .graph
            .node_indices()
            .map(|it| format!("n{}", it.index()))
            .collect();
        for (env_idx, (env, target)) in self.environments.iter().enumerate() {
            out.push_str(&format!(
                "  subgraph env{env_idx}[\"{} ({})\"]\n",
                mermaid_text(env),
                mermaid_text(target)
            ));
            for idx in self.graph.node_indices() {
                let Some(node) = self.graph.node_weight(idx).filter(|it| it.env == *env) else {
                    continue;
                };
                let id = ids.get(idx.index()).cloned().unwrap_or_default();
                let label = format!(
                    "{}<br/><i>{}</i>",
                    mermaid_text(&node.name),
                    node.kind.name()
                );
                let shaped = match node.kind {
                    ResourceKind::Service => format!("{id}[\"{label}\"]"),
                    ResourceKind::Volume | ResourceKind::Disk => format!("{id}[(\"{label}\")]"),
                    ResourceKind::Network => format!("{id}([\"{label}\"])"),
                    ResourceKind::Secret => format!("{id}{{{{\"{label}\"}}}}"),
                    ResourceKind::Host => format!("{id}[/\"{label}\"/]"),
                };
                out.push_str(&format!("    {shaped}\n"));
            }
            out.push_str("  end\n");
        }
        for edge in self.graph.edge_references() {
            let arrow = match edge.weight() {
                EdgeKind::StartsAfter => "-->",
                EdgeKind::Requests => "==>",
                _ => "-.->",
            };
            out.push_str(&format!(
                "  n{} {arrow}|{}| n{}\n",
                edge.source().index(),
                edge.weight().name(),
                edge.target().index()
            ));
        }
        out
    }

    /// The graph as data: nodes, edges, the creation order and any cycles.
    pub fn to_json(&self) -> serde_json::Value {
        let nodes: Vec<serde_json::Value> = self
            .nodes()
            .map(|it| serde_json::json!({ "id": it.id, "environment": it.env, "kind": it.kind.name(), "name": it.name }))
            .collect();
        let edges: Vec<serde_json::Value> =
            self.edges().map(|(from, to, kind)| serde_json::json!({ "from": from.id, "to": to.id, "kind": kind.id() })).collect();
        let order: Vec<&str> = self
            .creation_order()
            .into_iter()
            .map(|it| it.id.as_str())
            .collect();
        serde_json::json!({
            "plan": self.title,
            "edge_meaning": "`from` needs `to`: `to` exists or starts first",
            "nodes": nodes,
            "edges": edges,
            "creation_order": order,
            "cycles": self.cycles(),
        })
    }
}

fn dot_quote(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
