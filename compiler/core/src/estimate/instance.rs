//! Choosing instance types from a provider's catalogue.
//!
//! A host or a fixed group of nodes (CouchDB nodes, one per CouchDB node) gets the cheapest instance type
//! whose vCPUs and memory each cover the per-node need.
//! A scalable group (the CHT services nodes on Kubernetes) gets the cheapest combination of one instance type
//! and a node count that covers the group's total need.
//! Ties are broken by fewer nodes, then fewer vCPUs, then less memory, then the name, so the choice never
//! depends on catalogue order.
//! The needs already include the target utilisation, so an instance fits when it has at least what is needed.

use crate::estimate::{format, money::Money, numbers, output::InstanceChoice};

/// An instance type with its price converted to exact money and the region's factor applied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Offer {
    pub(crate) name: String,
    pub(crate) vcpu: u32,
    pub(crate) memory_mib: u64,
    pub(crate) hourly: Money,
}

impl Offer {
    fn millicpu(&self) -> u64 {
        u64::from(self.vcpu) * 1000
    }
}

/// What a node group needs and how its node count is decided.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Need {
    /// Exactly `nodes` nodes, each needing the given CPU and memory.
    Fixed {
        nodes: u32,
        millicpu: u64,
        memory_mib: u64,
    },
    /// As many nodes as needed to cover the total CPU and memory, at least one.
    ///
    /// `node_extra_monthly` is what every node costs besides its instance (its root disk), so that many small
    /// nodes are not preferred when their disks make them dearer than a few large ones.
    ///
    /// Every node must also hold the group's largest container, since a container cannot span nodes;
    /// packing the rest by totals leaves slack that the target utilisation absorbs.
    Scalable {
        millicpu: u64,
        memory_mib: u64,
        largest_millicpu: u64,
        largest_memory_mib: u64,
        node_extra_monthly: Money,
    },
}

/// Most nodes a scalable group may get; beyond it the offer is not considered, which bounds the search.
const MAX_NODES: u64 = 1000;

/// Chooses an instance type for `need`, or `None` when no offer can cover it.
///
/// `basis` finishes the sentence after the needed figures, as "needed at a 70% CPU utilisation target".
pub(crate) fn choose(
    offers: &[Offer],
    need: Need,
    hours_per_month: u64,
    basis: &str,
) -> Option<InstanceChoice> {
    match need {
        Need::Fixed {
            nodes,
            millicpu,
            memory_mib,
        } => choose_fixed(offers, nodes, millicpu, memory_mib, basis),
        Need::Scalable {
            millicpu,
            memory_mib,
            largest_millicpu,
            largest_memory_mib,
            node_extra_monthly,
        } => {
            let per_node = |offer: &Offer| {
                offer
                    .hourly
                    .times(hours_per_month)
                    .saturating_add(node_extra_monthly)
            };
            let holds_largest = |offer: &&Offer| {
                largest_millicpu <= offer.millicpu() && largest_memory_mib <= offer.memory_mib
            };
            let large_enough: Vec<Offer> = offers.iter().filter(holds_largest).cloned().collect();
            let largest = format!(
                "each node holds the largest container ({} vCPU / {} GiB)",
                format::vcpu(largest_millicpu),
                format::gib(largest_memory_mib)
            );
            choose_scalable(
                &large_enough,
                millicpu,
                memory_mib,
                per_node,
                basis,
                &largest,
            )
        }
    }
}

fn choose_fixed(
    offers: &[Offer],
    nodes: u32,
    millicpu: u64,
    memory_mib: u64,
    basis: &str,
) -> Option<InstanceChoice> {
    let fits = |offer: &Offer| millicpu <= offer.millicpu() && memory_mib <= offer.memory_mib;
    let order = |offer: &Offer| {
        (
            offer.hourly,
            offer.vcpu,
            offer.memory_mib,
            offer.name.clone(),
        )
    };
    let chosen = offers
        .iter()
        .filter(|offer| fits(offer))
        .min_by_key(|offer| order(offer))?;

    // The "next smaller" offer is the most expensive one that does not fit and is no dearer than the choice:
    // the one a reader would try first to save money.
    let next_smaller = offers
        .iter()
        .filter(|offer| !fits(offer) && order(offer) <= order(chosen))
        .max_by_key(|offer| order(offer));

    let spec = format!(
        "{} vCPU, {} GiB",
        chosen.vcpu,
        format::gib_short(chosen.memory_mib)
    );
    let needed = format!(
        "{} vCPU / {} GiB",
        format::vcpu(millicpu),
        format::gib(memory_mib)
    );
    let head = if nodes == 1 {
        format!("{}: {spec} covers {needed} {basis}", chosen.name)
    } else {
        format!(
            "{nodes} x {} ({spec} each) cover {needed} per node {basis}",
            chosen.name
        )
    };
    let tail = match next_smaller {
        Some(smaller) => {
            let short_cpu = smaller.millicpu() < millicpu;
            let short_memory = smaller.memory_mib < memory_mib;
            let cpu = format!("{} vCPU", smaller.vcpu);
            let memory = format!("{} GiB", format::gib_short(smaller.memory_mib));
            let lacks = match (short_cpu, short_memory) {
                (true, true) => format!("{cpu} and {memory}"),
                (true, false) => cpu,
                (false, _) => memory,
            };
            format!("the next smaller, {}, has {lacks}", smaller.name)
        }
        None => "no cheaper instance type in the catalogue".to_owned(),
    };
    Some(InstanceChoice {
        name: chosen.name.clone(),
        vcpu: chosen.vcpu,
        memory_mib: chosen.memory_mib,
        nodes,
        hourly: chosen.hourly,
        reason: format!("{head}; {tail}."),
    })
}

fn choose_scalable(
    offers: &[Offer],
    millicpu: u64,
    memory_mib: u64,
    per_node_monthly: impl Fn(&Offer) -> Money,
    basis: &str,
    largest: &str,
) -> Option<InstanceChoice> {
    let mut candidates = Vec::new();
    for offer in offers {
        let by_cpu = numbers::ceil_div(millicpu, offer.millicpu());
        let by_memory = numbers::ceil_div(memory_mib, offer.memory_mib);
        let nodes = by_cpu.max(by_memory).max(1);
        if MAX_NODES < nodes {
            continue;
        }
        let monthly = per_node_monthly(offer).times(nodes).round_to_cents();
        candidates.push((monthly, nodes, offer));
    }
    let considered = candidates.len();
    let (monthly, nodes, chosen) =
        candidates
            .into_iter()
            .min_by_key(|(monthly, nodes, offer)| {
                (
                    *monthly,
                    *nodes,
                    offer.vcpu,
                    offer.memory_mib,
                    offer.name.clone(),
                )
            })?;
    let nodes = u32::try_from(nodes).unwrap_or(u32::MAX);
    let spec = format!(
        "{} vCPU, {} GiB",
        chosen.vcpu,
        format::gib_short(chosen.memory_mib)
    );
    let needed = format!(
        "{} vCPU / {} GiB",
        format::vcpu(millicpu),
        format::gib(memory_mib)
    );
    let head = if nodes == 1 {
        format!("{}: {spec} covers {needed} {basis}", chosen.name)
    } else {
        format!(
            "{nodes} x {} ({spec} each) cover {needed} in total {basis}",
            chosen.name
        )
    };
    let reason = format!(
        "{head}, and {largest}; at {} a month with the root disks, the cheapest of {considered} instance types that can.",
        format::dollars(monthly.cents()),
    );
    Some(InstanceChoice {
        name: chosen.name.clone(),
        vcpu: chosen.vcpu,
        memory_mib: chosen.memory_mib,
        nodes,
        hourly: chosen.hourly,
        reason,
    })
}
