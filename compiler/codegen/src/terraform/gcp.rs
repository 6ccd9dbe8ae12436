//! The Google Cloud root module: a VPC with Cloud NAT, GKE or a Compute Engine Compose host,
//! persistent disks and buckets under a Cloud KMS key (CMEK), a GCS backup bucket kept as long as
//! the policy says (dual-region or in another region for the offsite copy), snapshot schedules or
//! Backup for GKE, Cloud DNS with a Google-managed certificate, Cloud Monitoring alert policies
//! to e-mail channels, firewall rules and IAM for operators.

use hostplan_core::ir::{self, AlertCondition, HostPurpose, TlsMode};

use crate::hcl::{Block, Expr, Object, Template};
use crate::terraform::cloud_init::{self, DataDisk, Health, HostInit};
use crate::terraform::{
    backup_hours, data, days, ident, instance_comment, int, named, offsite_region_variable, output,
    parent_domain, raw, refs, required_variable, resource, secret_variable, short_name, strings,
    Concern, Ctx, Module, Noted, GOOGLE_PROVIDER_VERSION, TERRAFORM_VERSION,
};

use crate::terraform::aws::{COUCHDB_NODE_LABEL, COUCHDB_TAINT};

/// The subnet of the VPC, and GKE's secondary ranges for pods and services.
const SUBNET_CIDR: &str = "10.42.0.0/20";
const PODS_CIDR: &str = "10.48.0.0/14";
const SERVICES_CIDR: &str = "10.52.0.0/20";
/// The private range of GKE's control plane.
const MASTER_CIDR: &str = "172.16.0.0/28";

/// Google's ranges for load balancer health checks and proxies.
const GOOGLE_HEALTH_CHECK_RANGES: [&str; 2] = ["35.191.0.0/16", "130.211.0.0/22"];

/// The range IAP TCP forwarding connects from: SSH without a public SSH port.
const IAP_RANGE: &str = "35.235.240.0/20";

/// Ubuntu LTS on Compute Engine, from Canonical's image project.
const UBUNTU_FAMILY: (&str, &str) = ("ubuntu-2404-lts-amd64", "ubuntu-os-cloud");

/// Cloud Storage keeps soft-deleted objects between 7 and 90 days.
const MIN_SOFT_DELETE_DAYS: i64 = 7;
const MAX_SOFT_DELETE_DAYS: i64 = 90;

struct Gcp<'c, 'a> {
    ctx: &'c Ctx<'a>,
    region: &'c str,
    project: &'c str,
    module: Module,
    /// Where the backup bucket is, and the key ring location its key must be in.
    bucket: Option<BucketPlacement>,
    load_balancer: bool,
}

/// Where the backup bucket lives.
struct BucketPlacement {
    /// The bucket's `location`.
    location: Expr,
    /// The two regions of a configurable dual-region, uppercase.
    dual: Option<[String; 2]>,
    /// The location of the key ring of the bucket's key; `None` when it is the environment's
    /// own key ring.
    key_location: Option<Expr>,
    /// A sentence for the bucket's comment.
    why: String,
}

/// The root module of an environment on Google Cloud.
pub(super) fn module(ctx: &Ctx<'_>, region: &str, project: &str) -> Module {
    let bucket = ctx
        .cloud
        .backup
        .as_ref()
        .map(|backup| placement(region, backup));
    let mut gcp = Gcp {
        ctx,
        region,
        project,
        module: Module::new(),
        bucket,
        load_balancer: !ctx.compose() || ctx.env.tls.mode == TlsMode::Managed,
    };
    gcp.versions();
    gcp.variables();
    gcp.main();
    gcp.network();
    gcp.keys();
    if ctx.compose() {
        gcp.compose_host();
    } else {
        gcp.gke();
    }
    gcp.watchdog_host();
    gcp.backup();
    gcp.dns();
    gcp.monitoring();
    gcp.access();
    gcp.outputs();
    gcp.steps();
    gcp.module
}

/// The multi-region a region belongs to, for configurable dual-region buckets.
fn continent(region: &str) -> Option<&'static str> {
    if region.starts_with("us-") {
        Some("US")
    } else if region.starts_with("europe-") {
        Some("EU")
    } else if region.starts_with("asia-") {
        Some("ASIA")
    } else {
        None
    }
}

fn placement(region: &str, backup: &ir::CloudBackup) -> BucketPlacement {
    match &backup.offsite {
        None => BucketPlacement {
            location: Expr::Str(region.to_ascii_uppercase()),
            dual: None,
            key_location: None,
            why: format!("in {region}; the policy asks for no offsite copy"),
        },
        Some(offsite) => match offsite.region() {
            Some(other) if continent(region).is_some() && continent(region) == continent(other) => {
                let multi = continent(region).unwrap_or("EU");
                BucketPlacement {
                    location: Expr::Str(multi.to_string()),
                    dual: Some([region.to_ascii_uppercase(), other.to_ascii_uppercase()]),
                    key_location: Some(Expr::Str(multi.to_ascii_lowercase())),
                    why: format!("in both {region} and {other} (a dual-region bucket): every backup is written to both, so a disaster at one site leaves the other copy"),
                }
            }
            Some(other) => BucketPlacement {
                location: Expr::Str(other.to_ascii_uppercase()),
                dual: None,
                key_location: Some(Expr::Str(other.to_string())),
                why: format!("in {other}, away from the environment's region: no dual-region joins {region} and {other}, so the backups are written offsite directly and the disk snapshots stay local"),
            },
            None => BucketPlacement {
                location: raw("upper(var.offsite_region)"),
                dual: None,
                key_location: Some(raw("var.offsite_region")),
                why: "in the region given as `offsite_region`, away from the environment's region".to_string(),
            },
        },
    }
}

impl Gcp<'_, '_> {
    fn add(&mut self, concern: Concern, block: Block) {
        self.module.add(concern, block);
    }

    fn machine(&self, purpose: HostPurpose) -> Option<&ir::Machine> {
        self.ctx.cloud.machine(purpose)
    }

    fn machine_type(&self, machine: &ir::Machine) -> Expr {
        match &machine.instance {
            Some(instance) => Expr::Str(instance.name.clone()),
            None => raw(format!("var.{}_instance_type", ident(&machine.host))),
        }
    }

    fn root_disk(&self, host: &str) -> u64 {
        self.ctx
            .host(host)
            .map_or(20, |it| it.root_disk_gib.max(10))
    }

    fn services(&self) -> Vec<&'static str> {
        let mut out = vec![
            "cloudkms.googleapis.com",
            "compute.googleapis.com",
            "dns.googleapis.com",
            "logging.googleapis.com",
            "monitoring.googleapis.com",
            "secretmanager.googleapis.com",
            "storage.googleapis.com",
        ];
        if !self.ctx.compose() {
            out.push("container.googleapis.com");
            if self.ctx.cloud.backup.is_some() {
                out.push("gkebackup.googleapis.com");
            }
        }
        out.sort_unstable();
        out
    }

    // ---------------------------------------------------------------- versions, variables, main

    fn versions(&mut self) {
        self.add(
            Concern::Versions,
            Block::new("terraform")
                .attr("required_version", TERRAFORM_VERSION)
                .block(
                    Block::new("required_providers").attr(
                        "google",
                        Object::new()
                            .with("source", "hashicorp/google")
                            .with("version", GOOGLE_PROVIDER_VERSION),
                    ),
                ),
        );
        self.add(
            Concern::Versions,
            Block::new("provider")
                .with_label("google")
                .attr("project", self.project)
                .attr("region", self.region)
                .attr("default_labels", raw("local.labels")),
        );
    }

    fn variables(&mut self) {
        for binding in &self.ctx.env.secrets {
            self.add(Concern::Variables, secret_variable(binding));
        }
        if let Some(variable) = offsite_region_variable(self.ctx, self.region, "Google Cloud") {
            self.add(Concern::Variables, variable);
        }
        self.add(
            Concern::Variables,
            Block::new("variable")
                .with_label("dns_zone")
                .attr(
                    "description",
                    format!(
                        "The name of the Cloud DNS managed zone that holds `{}` (the zone's resource name, not its domain).",
                        self.ctx.env.domain
                    ),
                )
                .attr("type", raw("string"))
                .attr("default", parent_domain(&self.ctx.env.domain).replace('.', "-")),
        );
        for machine in &self.ctx.cloud.machines {
            if machine.instance.is_none() {
                let name = format!("{}_instance_type", ident(&machine.host));
                self.add(
                    Concern::Variables,
                    required_variable(
                        &name,
                        "string",
                        &format!(
                            "The machine type of the {} machines: each needs {}, more than any type of the plan's price table; add a larger type to the table and build again, or name one here.",
                            machine.host, machine.need
                        ),
                    ),
                );
            }
        }
        for operator in &self.ctx.env.operators {
            let name = format!("operator_{}_member", ident(&operator.name));
            let mut block = Block::new("variable").with_label(&name).attr(
                "description",
                format!(
                    "The Google identity of operator {} ({}), as an IAM member (user:..., group:...).",
                    operator.name,
                    operator.role.name()
                ),
            );
            block = block.attr("type", raw("string"));
            if let Some(email) = &operator.email {
                block = block.attr("default", format!("user:{email}"));
            }
            block = block.attr("nullable", false).block(
                Block::new("validation")
                    .attr(
                        "condition",
                        raw(format!(
                            "can(regex(\"^(user|group|serviceAccount):\", var.{name}))"
                        )),
                    )
                    .attr(
                        "error_message",
                        "Give an IAM member such as user:name@example.org.",
                    ),
            );
            self.add(Concern::Variables, block);
        }
    }

    fn main(&mut self) {
        let env = self.ctx.env;
        let labels = Object::new()
            .with("project", label_value(&self.ctx.program.plan.name))
            .with("environment", label_value(&env.name))
            .with("data-class", env.data.name())
            .with("managed-by", "hostplan");
        self.add(
            Concern::Main,
            Block::new("locals")
                .attr_noted(
                    "name",
                    self.ctx.name.as_str(),
                    "The prefix of every name, so environments never collide.",
                )
                .attr("labels", labels)
                .attr_noted(
                    "zone",
                    raw("data.google_compute_zones.available.names[0]"),
                    "The zone of the machines that must stay together with their disks.",
                ),
        );
        self.add(Concern::Main, data("google_project", "current"));
        self.add(
            Concern::Main,
            data("google_compute_zones", "available")
                .attr("region", self.region)
                .attr("status", "UP"),
        );
        self.add(
            Concern::Main,
            resource("google_project_service", "apis")
                .note("The Google Cloud APIs the module uses; left enabled when the module is destroyed, since other work may use them.")
                .attr("for_each", Expr::call("toset", [strings(self.services())]))
                .attr("service", raw("each.value"))
                .attr("disable_on_destroy", false),
        );
    }

    // ---------------------------------------------------------------------------- network

    fn network(&mut self) {
        let gke = !self.ctx.compose();
        self.add(
            Concern::Network,
            resource("google_compute_network", "main")
                .attr("name", raw("local.name"))
                .attr("auto_create_subnetworks", false)
                .attr("routing_mode", "REGIONAL")
                .attr("depends_on", refs(["google_project_service.apis"])),
        );
        let mut subnet = resource("google_compute_subnetwork", "main")
            .note("One subnet; machines reach Google's APIs without public addresses, and every flow is logged.")
            .attr("name", raw("local.name"))
            .attr("network", raw("google_compute_network.main.id"))
            .attr("region", self.region)
            .attr("ip_cidr_range", SUBNET_CIDR)
            .attr("private_ip_google_access", true);
        if gke {
            subnet = subnet
                .block(
                    Block::new("secondary_ip_range")
                        .attr("range_name", "pods")
                        .attr("ip_cidr_range", PODS_CIDR),
                )
                .block(
                    Block::new("secondary_ip_range")
                        .attr("range_name", "services")
                        .attr("ip_cidr_range", SERVICES_CIDR),
                );
        }
        subnet = subnet.block(
            Block::new("log_config")
                .attr("aggregation_interval", "INTERVAL_5_SEC")
                .attr("flow_sampling", Expr::float(0.5).unwrap_or(Expr::Int(1)))
                .attr("metadata", "INCLUDE_ALL_METADATA"),
        );
        self.add(Concern::Network, subnet);
        self.add(
            Concern::Network,
            resource("google_compute_router", "main")
                .attr("name", raw("local.name"))
                .attr("region", self.region)
                .attr("network", raw("google_compute_network.main.id")),
        );
        self.add(
            Concern::Network,
            resource("google_compute_router_nat", "main")
                .note("Outbound access for machines without public addresses (GKE nodes, the Watchdog host).")
                .attr("name", raw("local.name"))
                .attr("router", raw("google_compute_router.main.name"))
                .attr("region", self.region)
                .attr("nat_ip_allocate_option", "AUTO_ONLY")
                .attr("source_subnetwork_ip_ranges_to_nat", "ALL_SUBNETWORKS_ALL_IP_RANGES")
                .block(Block::new("log_config").attr("enable", true).attr("filter", "ERRORS_ONLY")),
        );
        let admin_from = self.ctx.env.security.admin_from.clone();
        if self.ctx.compose() {
            if self.load_balancer {
                self.add(
                    Concern::Network,
                    firewall("load_balancer", "-lb", "The load balancer reaches the CHT host on 443 (Google's proxy and health-check ranges); nothing else from outside.", &["443"], strings(GOOGLE_HEALTH_CHECK_RANGES), &["cht-web"]),
                );
            } else {
                self.add(
                    Concern::Network,
                    firewall("web", "-web", "HTTP (ACME challenges, redirect) and HTTPS to the CHT host from anywhere: the only ports open to the world.", &["80", "443"], strings(["0.0.0.0/0"]), &["cht-web"]),
                );
            }
        }
        let (ssh_sources, ssh_note) = if admin_from.is_empty() {
            (strings([IAP_RANGE]), "SSH only through Identity-Aware Proxy (gcloud compute ssh --tunnel-through-iap), with OS Login: the policy sets no `admin_from`.".to_string())
        } else {
            (
                strings(&admin_from),
                "SSH only from the policy's admin networks (`admin_from`), with OS Login."
                    .to_string(),
            )
        };
        let mut ssh_targets: Vec<&str> = Vec::new();
        if self.ctx.compose() {
            ssh_targets.push("cht-ssh");
        }
        if self.ctx.env.monitoring.is_some() && self.machine(HostPurpose::Watchdog).is_some() {
            ssh_targets.push("watchdog-ssh");
        }
        if !ssh_targets.is_empty() {
            self.add(
                Concern::Network,
                firewall("ssh", "-ssh", &ssh_note, &["22"], ssh_sources, &ssh_targets),
            );
        }
    }

    // ---------------------------------------------------------------------------- keys

    fn compute_agent(&self) -> Expr {
        Expr::Template(
            Template::new()
                .lit("serviceAccount:service-")
                .interp("data.google_project.current.number")
                .lit("@compute-system.iam.gserviceaccount.com"),
        )
    }

    fn keys(&mut self) {
        self.add(
            Concern::Storage,
            resource("google_kms_key_ring", "main")
                .attr("name", raw("local.name"))
                .attr("location", self.region)
                .attr("depends_on", refs(["google_project_service.apis"])),
        );
        self.add(
            Concern::Storage,
            resource("google_kms_crypto_key", "data")
                .note("The key of this environment (CMEK): disks, snapshots, Kubernetes secrets and backups are encrypted with it. Rotated every 90 days; deleting it makes every backup unreadable, so Terraform refuses to.")
                .attr("name", "data")
                .attr("key_ring", raw("google_kms_key_ring.main.id"))
                .attr("rotation_period", "7776000s")
                .block(Block::new("lifecycle").attr("prevent_destroy", true)),
        );
        let encrypter = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
        self.add(
            Concern::Storage,
            resource("google_kms_crypto_key_iam_member", "compute")
                .note("Compute Engine encrypts the persistent disks and their snapshots with the key.")
                .attr("crypto_key_id", raw("google_kms_crypto_key.data.id"))
                .attr("role", encrypter)
                .attr("member", self.compute_agent()),
        );
        if !self.ctx.compose() {
            self.add(
                Concern::Storage,
                resource("google_kms_crypto_key_iam_member", "gke")
                    .note("GKE encrypts Kubernetes Secrets (CouchDB's credentials) with the key.")
                    .attr("crypto_key_id", raw("google_kms_crypto_key.data.id"))
                    .attr("role", encrypter)
                    .attr(
                        "member",
                        Expr::Template(
                            Template::new()
                                .lit("serviceAccount:service-")
                                .interp("data.google_project.current.number")
                                .lit("@container-engine-robot.iam.gserviceaccount.com"),
                        ),
                    ),
            );
        }
        if let Some(key_location) = self.bucket.as_ref().map(|it| it.key_location.clone()) {
            self.add(
                Concern::Storage,
                data("google_storage_project_service_account", "gcs"),
            );
            let key = match &key_location {
                Some(location) => {
                    self.add(
                        Concern::Storage,
                        resource("google_kms_key_ring", "backups")
                            .note("The backup bucket's key lives where the bucket does, as Cloud Storage requires.")
                            .attr("name", named("-backups"))
                            .attr("location", location.clone())
                            .attr("depends_on", refs(["google_project_service.apis"])),
                    );
                    self.add(
                        Concern::Storage,
                        resource("google_kms_crypto_key", "backups")
                            .attr("name", "backups")
                            .attr("key_ring", raw("google_kms_key_ring.backups.id"))
                            .attr("rotation_period", "7776000s")
                            .block(Block::new("lifecycle").attr("prevent_destroy", true)),
                    );
                    "google_kms_crypto_key.backups.id"
                }
                None => "google_kms_crypto_key.data.id",
            };
            self.add(
                Concern::Storage,
                resource("google_kms_crypto_key_iam_member", "gcs")
                    .note("Cloud Storage encrypts the backups with the key.")
                    .attr("crypto_key_id", raw(key))
                    .attr("role", encrypter)
                    .attr(
                        "member",
                        Expr::Template(Template::new().lit("serviceAccount:").interp(
                            "data.google_storage_project_service_account.gcs.email_address",
                        )),
                    ),
            );
        }
    }

    fn backup_key(&self) -> &'static str {
        match self.bucket.as_ref().and_then(|it| it.key_location.as_ref()) {
            Some(_) => "google_kms_crypto_key.backups.id",
            None => "google_kms_crypto_key.data.id",
        }
    }

    // ---------------------------------------------------------------------------- compute

    fn ubuntu_image(&mut self) {
        let address = "google_compute_image.ubuntu";
        if self
            .module
            .body(Concern::Compute)
            .is_some_and(|body| body.blocks("data").any(|it| it.labels.join(".") == address))
        {
            return;
        }
        self.add(
            Concern::Compute,
            data("google_compute_image", "ubuntu")
                .note("Ubuntu 24.04 LTS from Canonical, for the Docker hosts.")
                .attr("family", UBUNTU_FAMILY.0)
                .attr("project", UBUNTU_FAMILY.1),
        );
    }

    fn service_account(&mut self, name: &str, what: &str, roles: &[&str]) {
        self.add(
            Concern::Access,
            resource("google_service_account", name)
                .note(format!("The identity of the {what}: only what it needs."))
                .attr(
                    "account_id",
                    Expr::Str(short_name(&self.ctx.name, &name.replace('_', "-"), 30)),
                )
                .attr(
                    "display_name",
                    Template::new()
                        .lit(format!("{what} of "))
                        .interp("local.name"),
                ),
        );
        self.add(
            Concern::Access,
            resource("google_project_iam_member", name)
                .attr("for_each", Expr::call("toset", [strings(roles)]))
                .attr("project", self.project)
                .attr("role", raw("each.value"))
                .attr(
                    "member",
                    raw(format!("google_service_account.{name}.member")),
                ),
        );
    }

    #[expect(clippy::too_many_arguments, reason = "a host is these facts")]
    fn instance(
        &self,
        name: &str,
        machine: &ir::Machine,
        tags: &[&str],
        user_data: &str,
        address: Option<&str>,
        disks: &[(String, String)],
        account: &str,
    ) -> Block {
        let production = self.ctx.env.kind == ir::EnvKind::Production;
        let mut block = resource("google_compute_instance", name)
            .attr("name", named(&format!("-{}", machine.host)))
            .attr("zone", raw("local.zone"))
            .attr_noted(
                "machine_type",
                self.machine_type(machine),
                instance_comment(self.ctx, machine),
            )
            .attr("tags", strings(tags))
            .attr("allow_stopping_for_update", true)
            .attr("deletion_protection", production)
            .block(
                Block::new("boot_disk")
                    .attr("kms_key_self_link", raw("google_kms_crypto_key.data.id"))
                    .block(
                        Block::new("initialize_params")
                            .attr("image", raw("data.google_compute_image.ubuntu.self_link"))
                            .attr("size", int(self.root_disk(&machine.host)))
                            .attr("type", "pd-balanced"),
                    ),
            );
        for (resource_name, device) in disks {
            block = block.block(
                Block::new("attached_disk")
                    .attr(
                        "source",
                        raw(format!("google_compute_disk.{resource_name}.id")),
                    )
                    .attr("device_name", device.as_str())
                    .attr("kms_key_self_link", raw("google_kms_crypto_key.data.id")),
            );
        }
        let mut interface = Block::new("network_interface")
            .attr("subnetwork", raw("google_compute_subnetwork.main.id"));
        if let Some(address) = address {
            interface = interface.block(Block::new("access_config").attr("nat_ip", raw(address)));
        }
        block
            .block(interface)
            .attr(
                "metadata",
                Object::new()
                    .with("user-data", raw(user_data))
                    .with("enable-oslogin", "TRUE")
                    .with("block-project-ssh-keys", "TRUE"),
            )
            .block(
                Block::new("service_account")
                    .attr("email", raw(format!("google_service_account.{account}.email")))
                    .attr("scopes", strings(["cloud-platform"])),
            )
            .block(
                Block::new("shielded_instance_config")
                    .attr("enable_secure_boot", true)
                    .attr("enable_vtpm", true)
                    .attr("enable_integrity_monitoring", true),
            )
            .block(
                Block::new("scheduling")
                    .note("Power failures and host maintenance: the VM restarts on its own or migrates live.")
                    .attr("automatic_restart", true)
                    .attr("on_host_maintenance", "MIGRATE"),
            )
            .block(
                Block::new("lifecycle")
                    .note("A newer Ubuntu image or a changed first-boot script must not replace a running host: cloud-init runs once.")
                    .attr("ignore_changes", refs(["boot_disk[0].initialize_params[0].image", "metadata[\"user-data\"]"])),
            )
            .attr("depends_on", refs(["google_kms_crypto_key_iam_member.compute"]))
    }

    fn compose_host(&mut self) {
        let Some(machine) = self.machine(HostPurpose::ChtHost).cloned() else {
            return;
        };
        self.ubuntu_image();
        let env = self.ctx.env;
        let disks: Vec<ir::Disk> = self
            .ctx
            .disks_of(&machine.host)
            .into_iter()
            .cloned()
            .collect();
        let mut init_disks = Vec::new();
        let mut attached = Vec::new();
        let snapshots = self.ctx.cloud.backup.is_some();
        for disk in &disks {
            let name = ident(&disk.volume);
            let device = disk.volume.clone();
            init_disks.push(DataDisk {
                device: format!("/dev/disk/by-id/google-{device}"),
                mount_point: self.ctx.mount_point(disk),
                label: disk.volume.chars().take(16).collect(),
            });
            attached.push((name.clone(), device));
            self.add(
                Concern::Storage,
                resource("google_compute_disk", &name)
                    .note(format!(
                        "The `{}` volume of the CHT host ({} GiB from the capacity estimate), encrypted with this environment's key. Never destroyed with the module: it holds the data.",
                        disk.volume, disk.size_gib
                    ))
                    .attr("name", named(&format!("-{}", disk.volume)))
                    .attr("zone", raw("local.zone"))
                    .attr("type", "pd-balanced")
                    .attr("size", int(disk.size_gib))
                    .block(Block::new("disk_encryption_key").attr("kms_key_self_link", raw("google_kms_crypto_key.data.id")))
                    .block(Block::new("lifecycle").attr("prevent_destroy", true))
                    .attr("depends_on", refs(["google_kms_crypto_key_iam_member.compute"])),
            );
            if snapshots {
                self.add(
                    Concern::Backup,
                    resource("google_compute_disk_resource_policy_attachment", &name)
                        .attr("name", raw("google_compute_resource_policy.snapshots.name"))
                        .attr("disk", raw(format!("google_compute_disk.{name}.name")))
                        .attr("zone", raw("local.zone")),
                );
            }
        }
        let mut directories = vec![
            hostplan_core::lower::HOST_ROOT.to_string(),
            format!("{}/compose", hostplan_core::lower::HOST_ROOT),
            format!("{}/upgrade-service", hostplan_core::lower::HOST_ROOT),
        ];
        for disk in &init_disks {
            if disk
                .mount_point
                .starts_with(hostplan_core::lower::HOST_ROOT)
                && !directories.contains(&disk.mount_point)
            {
                directories.push(disk.mount_point.clone());
            }
        }
        let wants_backup =
            self.ctx.alerts().contains(&AlertCondition::BackupFailed) && env.backup.is_some();
        let health = wants_backup.then(|| Health::CloudLogging {
            backup_window_secs: env.backup.as_ref().map(|it| it.every_secs + 3600),
        });
        let text = cloud_init::render(&HostInit {
            disks: init_disks,
            directories,
            health,
            ops_agent: true,
            commands: Vec::new(),
            about: format!("First boot of the CHT host of {}: Docker at boot, data disks, CHT's directories, the Ops Agent.", env.name),
        });
        self.add(
            Concern::Compute,
            Block::new("locals").attr_noted(
                "cht_cloud_init",
                Expr::heredoc(text),
                "What the CHT host does on its first boot (cloud-init).",
            ),
        );
        let address = if self.load_balancer {
            None
        } else {
            self.add(
                Concern::Compute,
                resource("google_compute_address", "cht")
                    .note("A fixed public address, which the DNS record points at.")
                    .attr("name", named("-cht"))
                    .attr("region", self.region)
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
            Some("google_compute_address.cht.address")
        };
        let instance = self.instance(
            "cht",
            &machine,
            &["cht-web", "cht-ssh"],
            "local.cht_cloud_init",
            address,
            &attached,
            "cht_host",
        );
        self.add(Concern::Compute, instance);
        self.service_account(
            "cht_host",
            "CHT host",
            &["roles/logging.logWriter", "roles/monitoring.metricWriter"],
        );
        if self.load_balancer {
            self.host_load_balancer();
        }
    }

    /// With managed TLS, a global external HTTPS load balancer terminates TLS with a
    /// Google-managed certificate and forwards to nginx on the host; Cloud Armor guards the
    /// admin paths.
    fn host_load_balancer(&mut self) {
        self.add(
            Concern::Compute,
            resource("google_compute_instance_group", "cht")
                .attr("name", named("-cht"))
                .attr("zone", raw("local.zone"))
                .attr("instances", refs(["google_compute_instance.cht.self_link"]))
                .block(
                    Block::new("named_port")
                        .attr("name", "https")
                        .attr("port", 443),
                ),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_health_check", "cht")
                .attr("name", named("-cht"))
                .block(
                    Block::new("https_health_check")
                        .attr("port", 443)
                        .attr("request_path", "/api/info"),
                ),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_backend_service", "cht")
                .attr("name", named("-cht"))
                .attr("protocol", "HTTPS")
                .attr("port_name", "https")
                .attr("load_balancing_scheme", "EXTERNAL_MANAGED")
                .attr(
                    "health_checks",
                    refs(["google_compute_health_check.cht.id"]),
                )
                .attr(
                    "security_policy",
                    raw("google_compute_security_policy.cht.id"),
                )
                .block(
                    Block::new("backend")
                        .attr("group", raw("google_compute_instance_group.cht.id")),
                )
                .block(Block::new("log_config").attr("enable", true)),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_url_map", "cht")
                .attr("name", named("-cht"))
                .attr(
                    "default_service",
                    raw("google_compute_backend_service.cht.id"),
                ),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_target_https_proxy", "cht")
                .attr("name", named("-cht"))
                .attr("url_map", raw("google_compute_url_map.cht.id"))
                .attr(
                    "ssl_certificates",
                    refs(["google_compute_managed_ssl_certificate.cht.id"]),
                ),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_global_forwarding_rule", "https")
                .attr("name", named("-https"))
                .attr("target", raw("google_compute_target_https_proxy.cht.id"))
                .attr("port_range", "443")
                .attr("ip_address", raw("google_compute_global_address.cht.id"))
                .attr("load_balancing_scheme", "EXTERNAL_MANAGED"),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_url_map", "redirect")
                .note("Port 80 only redirects to HTTPS.")
                .attr("name", named("-redirect"))
                .block(
                    Block::new("default_url_redirect")
                        .attr("https_redirect", true)
                        .attr("strip_query", false),
                ),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_target_http_proxy", "redirect")
                .attr("name", named("-redirect"))
                .attr("url_map", raw("google_compute_url_map.redirect.id")),
        );
        self.add(
            Concern::Compute,
            resource("google_compute_global_forwarding_rule", "http")
                .attr("name", named("-http"))
                .attr(
                    "target",
                    raw("google_compute_target_http_proxy.redirect.id"),
                )
                .attr("port_range", "80")
                .attr("ip_address", raw("google_compute_global_address.cht.id"))
                .attr("load_balancing_scheme", "EXTERNAL_MANAGED"),
        );
    }

    fn watchdog_host(&mut self) {
        if self.ctx.env.monitoring.is_none() {
            return;
        }
        let Some(machine) = self.machine(HostPurpose::Watchdog).cloned() else {
            return;
        };
        self.ubuntu_image();
        let text = cloud_init::watchdog_host(self.ctx.env, true);
        self.add(
            Concern::Compute,
            Block::new("locals").attr("watchdog_cloud_init", Expr::heredoc(text)),
        );
        let instance = self
            .instance("watchdog", &machine, &["watchdog-ssh"], "local.watchdog_cloud_init", None, &[], "watchdog")
            .note("CHT Watchdog runs on its own host without a public address, so it still sees the instance when that host is down.");
        self.add(Concern::Compute, instance);
        self.service_account(
            "watchdog",
            "CHT Watchdog host",
            &["roles/logging.logWriter", "roles/monitoring.metricWriter"],
        );
    }

    fn gke(&mut self) {
        let env = self.ctx.env;
        self.service_account(
            "nodes",
            "GKE nodes",
            &[
                "roles/artifactregistry.reader",
                "roles/autoscaling.metricsWriter",
                "roles/logging.logWriter",
                "roles/monitoring.metricWriter",
                "roles/monitoring.viewer",
                "roles/stackdriver.resourceMetadata.writer",
            ],
        );
        let mut cluster = resource("google_container_cluster", "main")
            .attr("name", raw("local.name"))
            .attr_noted(
                "location",
                self.region,
                "A regional cluster: the control plane survives the loss of a zone.",
            )
            .attr("deletion_protection", env.kind == ir::EnvKind::Production)
            .attr_noted(
                "remove_default_node_pool",
                true,
                "The node pools below replace the default one.",
            )
            .attr("initial_node_count", 1)
            .attr("network", raw("google_compute_network.main.id"))
            .attr("subnetwork", raw("google_compute_subnetwork.main.id"))
            .attr("networking_mode", "VPC_NATIVE")
            .attr_noted(
                "datapath_provider",
                "ADVANCED_DATAPATH",
                "GKE Dataplane V2: Kubernetes NetworkPolicies are enforced.",
            )
            .attr("enable_intranode_visibility", true)
            .attr("enable_shielded_nodes", true)
            .attr("resource_labels", raw("local.labels"))
            .block(
                Block::new("ip_allocation_policy")
                    .attr("cluster_secondary_range_name", "pods")
                    .attr("services_secondary_range_name", "services"),
            )
            .block(
                Block::new("private_cluster_config")
                    .note("Nodes have no public addresses.")
                    .attr("enable_private_nodes", true)
                    .attr("enable_private_endpoint", false)
                    .attr("master_ipv4_cidr_block", MASTER_CIDR),
            );
        if env.security.admin_from.is_empty() {
            // Without the block, authorized networks are off; an empty block would shut the
            // API to every public address.
            cluster = cluster.note("The policy sets no `admin_from`, so the Kubernetes API is reachable from anywhere (still behind IAM); set `admin_from` to restrict it.");
        } else {
            let mut networks = Block::new("master_authorized_networks_config")
                .note("Admin access only from the policy's allow-list (`admin_from`).");
            for cidr in &env.security.admin_from {
                networks = networks.block(
                    Block::new("cidr_blocks")
                        .attr("cidr_block", cidr.as_str())
                        .attr("display_name", "admin_from"),
                );
            }
            cluster = cluster.block(networks);
        }
        let mut addons = Block::new("addons_config")
            .block(Block::new("gce_persistent_disk_csi_driver_config").attr("enabled", true))
            .block(Block::new("http_load_balancing").attr("disabled", false));
        if self.ctx.cloud.backup.is_some() {
            addons = addons.block(Block::new("gke_backup_agent_config").attr("enabled", true));
        }
        cluster = cluster
            .block(Block::new("release_channel").attr("channel", "REGULAR"))
            .block(Block::new("workload_identity_config").attr("workload_pool", format!("{}.svc.id.goog", self.project)))
            .block(
                Block::new("database_encryption")
                    .note("Kubernetes Secrets (CouchDB's credentials) are encrypted with this environment's key.")
                    .attr("state", "ENCRYPTED")
                    .attr("key_name", raw("google_kms_crypto_key.data.id")),
            )
            .block(addons)
            .block(Block::new("logging_config").attr("enable_components", strings(["SYSTEM_COMPONENTS", "WORKLOADS"])))
            .block(
                Block::new("monitoring_config")
                    .attr("enable_components", strings(["SYSTEM_COMPONENTS"]))
                    .block(Block::new("managed_prometheus").attr("enabled", true)),
            )
            .attr("depends_on", refs(["google_project_service.apis", "google_kms_crypto_key_iam_member.gke"]));
        self.add(Concern::Compute, cluster);
        for purpose in [
            HostPurpose::Couchdb,
            HostPurpose::Services,
            HostPurpose::ChtSync,
        ] {
            let Some(machine) = self.machine(purpose).cloned() else {
                continue;
            };
            let count = self.ctx.host(&machine.host).map_or(1, |it| it.count.max(1));
            match purpose {
                HostPurpose::Couchdb => {
                    for node in 1..=count {
                        let zone = format!(
                            "element(data.google_compute_zones.available.names, {})",
                            node - 1
                        );
                        let pool = self
                            .node_pool(&format!("couchdb_{node}"), &format!("couchdb-{node}"), &machine, 1, &zone, Object::new().with(COUCHDB_NODE_LABEL, node.to_string()), true)
                            .note(format!(
                                "CouchDB node {node} of {count}: a node of its own, tainted so nothing else runs there, in one zone because its disk cannot follow it to another. Ubuntu with containerd, as CHT's GKE guide uses, so CouchDB can raise its open-file limit."
                            ));
                        self.add(Concern::Compute, pool);
                    }
                }
                HostPurpose::Services => {
                    let pool = self
                        .node_pool(
                            "services",
                            "services",
                            &machine,
                            count,
                            "local.zone",
                            Object::new().with("cht-node-role", "services"),
                            false,
                        )
                        .note("API, Sentinel and HAProxy, and the cluster's own add-ons.");
                    self.add(Concern::Compute, pool);
                }
                _ => {
                    let pool = self
                        .node_pool(
                            "cht_sync",
                            "cht-sync",
                            &machine,
                            count,
                            "local.zone",
                            Object::new().with("cht-node-role", "cht-sync"),
                            false,
                        )
                        .note("CHT Sync (couch2pg, dbt and PostgreSQL).");
                    self.add(Concern::Compute, pool);
                }
            }
        }
        self.add(
            Concern::Dns,
            resource("google_compute_global_address", "cht")
                .note("The fixed address of CHT's Ingress (annotation kubernetes.io/ingress.global-static-ip-name), which the DNS record points at.")
                .attr("name", named("-ingress"))
                .attr("depends_on", refs(["google_project_service.apis"])),
        );
        if self.ctx.cloud.backup.is_some() {
            self.add(
                Concern::Access,
                resource("google_service_account", "backup")
                    .note(format!("For a backup job in the cluster: the Kubernetes service account `cht-backup` of namespace `{}` acts as this identity (Workload Identity), which may write the backup bucket.", env.namespace))
                    .attr("account_id", Expr::Str(short_name(&self.ctx.name, "backup", 30)))
                    .attr("display_name", Template::new().lit("Backups of ").interp("local.name")),
            );
            self.add(
                Concern::Access,
                resource(
                    "google_service_account_iam_member",
                    "backup_workload_identity",
                )
                .attr(
                    "service_account_id",
                    raw("google_service_account.backup.name"),
                )
                .attr("role", "roles/iam.workloadIdentityUser")
                .attr(
                    "member",
                    format!(
                        "serviceAccount:{}.svc.id.goog[{}/cht-backup]",
                        self.project, env.namespace
                    ),
                )
                .attr("depends_on", refs(["google_container_cluster.main"])),
            );
            self.add(
                Concern::Access,
                resource("google_storage_bucket_iam_member", "backup_job")
                    .attr("bucket", raw("google_storage_bucket.backups.name"))
                    .attr("role", "roles/storage.objectAdmin")
                    .attr("member", raw("google_service_account.backup.member")),
            );
        }
    }

    #[expect(clippy::too_many_arguments, reason = "a node pool is these facts")]
    fn node_pool(
        &self,
        name: &str,
        pool_name: &str,
        machine: &ir::Machine,
        count: u32,
        zone: &str,
        labels: Object,
        couchdb: bool,
    ) -> Block {
        let mut config = Block::new("node_config")
            .attr_noted(
                "machine_type",
                self.machine_type(machine),
                instance_comment(self.ctx, machine),
            )
            .attr(
                "image_type",
                if couchdb {
                    "UBUNTU_CONTAINERD"
                } else {
                    "COS_CONTAINERD"
                },
            )
            .attr("disk_type", "pd-balanced")
            .attr("disk_size_gb", int(self.root_disk(&machine.host)))
            .attr("boot_disk_kms_key", raw("google_kms_crypto_key.data.id"))
            .attr("service_account", raw("google_service_account.nodes.email"))
            .attr(
                "oauth_scopes",
                strings(["https://www.googleapis.com/auth/cloud-platform"]),
            )
            .attr("labels", labels)
            .attr(
                "metadata",
                Object::new().with("disable-legacy-endpoints", "true"),
            );
        if couchdb {
            config = config.block(
                Block::new("taint")
                    .attr("key", COUCHDB_TAINT.0)
                    .attr("value", COUCHDB_TAINT.1)
                    .attr("effect", "NO_SCHEDULE"),
            );
        }
        config = config
            .block(
                Block::new("shielded_instance_config")
                    .attr("enable_secure_boot", true)
                    .attr("enable_integrity_monitoring", true),
            )
            .block(Block::new("workload_metadata_config").attr("mode", "GKE_METADATA"));
        resource("google_container_node_pool", name)
            .attr("name", pool_name)
            .attr("cluster", raw("google_container_cluster.main.id"))
            .attr("location", self.region)
            .attr("node_locations", refs([zone]))
            .attr("node_count", count)
            .block(
                Block::new("management")
                    .attr("auto_repair", true)
                    .attr("auto_upgrade", true),
            )
            .block(config)
    }

    // ---------------------------------------------------------------------------- backup

    fn backup(&mut self) {
        let Some(backup) = self.ctx.cloud.backup.clone() else {
            return;
        };
        let Some(placement) = self.bucket.as_ref() else {
            return;
        };
        let keep = days(backup.keep_secs);
        let soft_delete = keep.clamp(MIN_SOFT_DELETE_DAYS, MAX_SOFT_DELETE_DAYS);
        let mut bucket = resource("google_storage_bucket", "backups")
            .note(format!("The backup bucket, {}. Never public, versioned, encrypted with this environment's key.", placement.why))
            .attr("name", backup.bucket.as_str())
            .attr("location", placement.location.clone())
            .attr("storage_class", "STANDARD")
            .attr("uniform_bucket_level_access", true)
            .attr("public_access_prevention", "enforced")
            .attr("force_destroy", false);
        if let Some([first, second]) = &placement.dual {
            bucket = bucket.block(
                Block::new("custom_placement_config")
                    .attr("data_locations", strings([first, second])),
            );
        }
        bucket = bucket
            .block(Block::new("versioning").attr("enabled", true))
            .block(Block::new("encryption").attr("default_kms_key_name", raw(self.backup_key())))
            .block(
                Block::new("soft_delete_policy")
                    .note(if soft_delete < keep {
                        format!("Deleted objects stay recoverable {soft_delete} days, the longest Cloud Storage allows.")
                    } else if keep < soft_delete {
                        format!("Deleted objects stay recoverable {soft_delete} days, the shortest Cloud Storage allows.")
                    } else {
                        "Deleted objects stay recoverable as long as backups are kept.".to_string()
                    })
                    .attr("retention_duration_seconds", soft_delete * 86_400),
            )
            .block(
                Block::new("lifecycle_rule")
                    .note(format!(
                        "The policy keeps backups {keep} days. The backup tool prunes its own copies (restic forgets snapshots older than that, keeping the data newer ones share, which an expiry by age would break), so the bucket deletes what was replaced or deleted {keep} days later."
                    ))
                    .block(Block::new("condition").attr("days_since_noncurrent_time", keep))
                    .block(Block::new("action").attr("type", "Delete")),
            )
            .block(
                Block::new("lifecycle_rule")
                    .block(Block::new("condition").attr("age", 7))
                    .block(Block::new("action").attr("type", "AbortIncompleteMultipartUpload")),
            )
            .block(Block::new("lifecycle").attr("prevent_destroy", true))
            .attr("depends_on", refs(["google_kms_crypto_key_iam_member.gcs"]));
        self.add(Concern::Backup, bucket);
        if self.ctx.compose() {
            self.add(
                Concern::Backup,
                resource("google_storage_bucket_iam_member", "cht_host")
                    .note("The backup container (restic) writes with the host's identity, so no key file lives on the host.")
                    .attr("bucket", raw("google_storage_bucket.backups.name"))
                    .attr("role", "roles/storage.objectAdmin")
                    .attr("member", raw("google_service_account.cht_host.member")),
            );
            self.snapshot_schedule(&backup);
        } else {
            self.gke_backup_plan(&backup);
        }
    }

    fn snapshot_schedule(&mut self, backup: &ir::CloudBackup) {
        let keep = days(backup.keep_secs);
        let hours = backup_hours(backup.every_secs);
        let schedule = if hours < 24 {
            let every = [1u64, 2, 3, 4, 6, 8, 12]
                .iter()
                .copied()
                .filter(|it| *it <= hours && 24 % it == 0)
                .max()
                .unwrap_or(1);
            Block::new("hourly_schedule")
                .attr("hours_in_cycle", int(every))
                .attr("start_time", "02:00")
        } else {
            Block::new("daily_schedule")
                .attr("days_in_cycle", int((hours / 24).max(1)))
                .attr("start_time", "02:00")
        };
        self.add(
            Concern::Backup,
            resource("google_compute_resource_policy", "snapshots")
                .note(format!(
                    "Snapshots of the CHT host's data disks, every {hours} hours, kept {keep} days, encrypted with the disks' key. They stay in {} for fast restores; the bucket holds the offsite copy.",
                    self.region
                ))
                .attr("name", named("-snapshots"))
                .attr("region", self.region)
                .block(
                    Block::new("snapshot_schedule_policy")
                        .block(Block::new("schedule").block(schedule))
                        .block(
                            Block::new("retention_policy")
                                .attr("max_retention_days", keep)
                                .attr("on_source_disk_delete", "KEEP_AUTO_SNAPSHOTS"),
                        )
                        .block(
                            Block::new("snapshot_properties")
                                .attr("storage_locations", strings([self.region]))
                                .attr("labels", raw("local.labels")),
                        ),
                ),
        );
    }

    fn gke_backup_plan(&mut self, backup: &ir::CloudBackup) {
        let keep = days(backup.keep_secs);
        let hours = backup_hours(backup.every_secs);
        let cron = if hours >= 24 && hours.is_multiple_of(24) {
            if hours == 24 {
                "0 2 * * *".to_string()
            } else {
                format!("0 2 */{} * *", hours / 24)
            }
        } else {
            let every = [1u64, 2, 3, 4, 6, 8, 12]
                .iter()
                .copied()
                .filter(|it| *it <= hours)
                .max()
                .unwrap_or(1);
            format!("0 */{every} * * *")
        };
        let location = match &backup.offsite {
            Some(offsite) => match offsite.region() {
                Some(region) => Expr::Str(region.to_string()),
                None => raw("var.offsite_region"),
            },
            None => Expr::Str(self.region.to_string()),
        };
        let where_ = if backup.offsite.is_some() {
            "in the offsite region"
        } else {
            "in the environment's region"
        };
        self.add(
            Concern::Backup,
            resource("google_gke_backup_backup_plan", "daily")
                .note(format!(
                    "Backup for GKE: the namespace `{}` with its volumes' data and its Secrets, every {hours} hours, kept {keep} days, stored {where_}.",
                    self.ctx.env.namespace
                ))
                .attr("name", named("-backups"))
                .attr("cluster", raw("google_container_cluster.main.id"))
                .attr("location", location)
                .block(Block::new("retention_policy").attr("backup_retain_days", keep))
                .block(Block::new("backup_schedule").attr("cron_schedule", cron))
                .block(
                    Block::new("backup_config")
                        .attr("include_volume_data", true)
                        .attr("include_secrets", true)
                        .block(Block::new("selected_namespaces").attr("namespaces", strings([self.ctx.env.namespace.as_str()]))),
                ),
        );
    }

    // ---------------------------------------------------------------------------- dns

    fn dns(&mut self) {
        let env = self.ctx.env;
        self.add(
            Concern::Dns,
            data("google_dns_managed_zone", "main").attr("name", raw("var.dns_zone")),
        );
        let compose_lb = self.ctx.compose() && self.load_balancer;
        if compose_lb {
            self.add(
                Concern::Dns,
                resource("google_compute_global_address", "cht")
                    .note("The fixed address of the load balancer, which the DNS record points at.")
                    .attr("name", named("-cht"))
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
        }
        if self.load_balancer {
            self.add(
                Concern::Dns,
                resource("google_compute_managed_ssl_certificate", "cht")
                    .note("The TLS certificate, issued and renewed by Google once the DNS record points at the load balancer.")
                    .attr("name", named("-cht"))
                    .block(Block::new("managed").attr("domains", strings([format!("{}.", env.domain)])))
                    .block(Block::new("lifecycle").attr("create_before_destroy", true)),
            );
        }
        let address = if self.load_balancer {
            "google_compute_global_address.cht.address"
        } else {
            "google_compute_address.cht.address"
        };
        self.add(
            Concern::Dns,
            resource("google_dns_record_set", "cht")
                .attr(
                    "managed_zone",
                    raw("data.google_dns_managed_zone.main.name"),
                )
                .attr("name", format!("{}.", env.domain))
                .attr("type", "A")
                .attr("ttl", 300)
                .attr("rrdatas", refs([address])),
        );
        if self.load_balancer {
            self.security_policy();
        }
    }

    /// Cloud Armor in front of CHT: admin paths only from the policy's allow-list.
    fn security_policy(&mut self) {
        let admin_from = self.ctx.env.security.admin_from.clone();
        let mut policy = resource("google_compute_security_policy", "cht")
            .note(if admin_from.is_empty() {
                "Cloud Armor in front of CHT: known exploit attempts are refused. The policy sets no `admin_from`, so admin paths are open to every address (still behind CHT's login)."
            } else {
                "Cloud Armor in front of CHT: admin paths (/_utils, /admin) only from the policy's allow-list, and known exploit attempts refused."
            })
            .attr("name", named("-cht"));
        if !admin_from.is_empty() {
            let ranges: Vec<String> = admin_from
                .iter()
                .map(|it| format!("inIpRange(origin.ip, '{it}')"))
                .collect();
            let expression = format!(
                "(request.path.startsWith('/_utils') || request.path.startsWith('/admin')) && !({})",
                ranges.join(" || ")
            );
            policy = policy.block(
                Block::new("rule")
                    .attr("action", "deny(403)")
                    .attr("priority", 1000)
                    .attr(
                        "description",
                        "Admin paths from the policy's admin networks only",
                    )
                    .block(
                        Block::new("match")
                            .block(Block::new("expr").attr("expression", expression)),
                    ),
            );
        }
        policy = policy.block(
            Block::new("rule")
                .attr("action", "deny(403)")
                .attr("priority", 900)
                .attr("description", "Known exploit attempts (Log4j and similar)")
                .block(Block::new("match").block(
                    Block::new("expr").attr("expression", "evaluatePreconfiguredWaf('cve-canary')"),
                )),
        );
        policy = policy.block(
            Block::new("rule")
                .attr("action", "allow")
                .attr("priority", 2147483647)
                .attr("description", "Everything else")
                .block(
                    Block::new("match")
                        .attr("versioned_expr", "SRC_IPS_V1")
                        .block(Block::new("config").attr("src_ip_ranges", strings(["*"]))),
                ),
        );
        self.add(Concern::Access, policy);
    }

    // ---------------------------------------------------------------------------- monitoring

    fn monitoring(&mut self) {
        let env = self.ctx.env;
        let Some(alerting) = env.alerting.clone() else {
            return;
        };
        let mut channels = Vec::new();
        if !alerting.email.is_empty() {
            self.add(
                Concern::Monitoring,
                resource("google_monitoring_notification_channel", "email")
                    .note("Where every alert goes.")
                    .attr("for_each", Expr::call("toset", [strings(&alerting.email)]))
                    .attr(
                        "display_name",
                        Template::new()
                            .interp("local.name")
                            .lit(": ")
                            .interp("each.value"),
                    )
                    .attr("type", "email")
                    .attr(
                        "labels",
                        Object::new().with("email_address", raw("each.value")),
                    )
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
            channels.push("[for it in google_monitoring_notification_channel.email : it.id]");
        }
        if !alerting.webhook.is_empty() {
            self.add(
                Concern::Monitoring,
                resource("google_monitoring_notification_channel", "webhook")
                    .attr(
                        "for_each",
                        Expr::call("toset", [strings(&alerting.webhook)]),
                    )
                    .attr(
                        "display_name",
                        Template::new()
                            .interp("local.name")
                            .lit(": ")
                            .interp("each.value"),
                    )
                    .attr("type", "webhook_tokenauth")
                    .attr("labels", Object::new().with("url", raw("each.value")))
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
            channels.push("[for it in google_monitoring_notification_channel.webhook : it.id]");
        }
        let channels_expr = match channels.as_slice() {
            [one] => raw(*one),
            _ => raw(format!("concat({})", channels.join(", "))),
        };
        let mut locals = Block::new("locals").attr("alert_channels", channels_expr);
        if alerting.on.contains(&AlertCondition::ReplicationLimit) {
            locals = locals.note(if env.monitoring.is_some() {
                "Users over the replication limit are not watched here: no cloud metric can see them, and CHT Watchdog's rule \"Users Over Replication Limit\" raises that alert."
            } else {
                "Users over the replication limit are not watched: only CHT Watchdog can see them (add `monitor = watchdog` to the environment)."
            });
        }
        self.add(Concern::Monitoring, locals);
        let uptime = alerting.on.iter().any(|it| {
            matches!(
                it,
                AlertCondition::Downtime { .. } | AlertCondition::CertExpiry { .. }
            )
        });
        if uptime {
            self.add(
                Concern::Monitoring,
                resource("google_monitoring_uptime_check_config", "cht")
                    .note("Checks from several places on the Internet that CHT answers, as users see it, and reads its certificate.")
                    .attr("display_name", Template::new().interp("local.name").lit(" CHT"))
                    .attr("timeout", "10s")
                    .attr("period", "60s")
                    .block(
                        Block::new("http_check")
                            .attr("path", "/api/info")
                            .attr("port", 443)
                            .attr("use_ssl", true)
                            .attr("validate_ssl", true),
                    )
                    .block(
                        Block::new("monitored_resource")
                            .attr("type", "uptime_url")
                            .attr("labels", Object::new().with("project_id", self.project).with("host", env.domain.as_str())),
                    )
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
        }
        for condition in &alerting.on {
            match condition {
                AlertCondition::Downtime { minutes } => {
                    let secs = ((minutes * 60.0).round() as i64).max(60);
                    let policy = alert_policy(
                        "downtime",
                        &format!(
                            "{} does not answer for {} minutes (policy: downtime).",
                            env.url(),
                            ir::trim_float(*minutes)
                        ),
                        threshold_condition(
                            "CHT does not answer",
                            uptime_filter("check_passed"),
                            "COMPARISON_GT",
                            Expr::Int(1),
                            secs,
                            Block::new("aggregations")
                                .attr("alignment_period", "60s")
                                .attr("per_series_aligner", "ALIGN_NEXT_OLDER")
                                .attr("cross_series_reducer", "REDUCE_COUNT_FALSE")
                                .attr("group_by_fields", strings(["resource.label.*"])),
                        ),
                    );
                    self.add(Concern::Monitoring, policy);
                }
                AlertCondition::CertExpiry { days } => {
                    let policy = alert_policy(
                        "certificate_expiry",
                        &format!("The certificate of {} expires within {} days: its renewal has failed (policy: cert_expiry).", env.domain, ir::trim_float(*days)),
                        threshold_condition(
                            "the certificate expires soon",
                            uptime_filter("time_until_ssl_cert_expires"),
                            "COMPARISON_LT",
                            number(*days),
                            600,
                            Block::new("aggregations")
                                .attr("alignment_period", "1200s")
                                .attr("per_series_aligner", "ALIGN_NEXT_OLDER")
                                .attr("cross_series_reducer", "REDUCE_MEAN")
                                .attr("group_by_fields", strings(["resource.label.*"])),
                        ),
                    );
                    self.add(Concern::Monitoring, policy);
                }
                AlertCondition::DiskUsed { percent } => {
                    let (filter, threshold, what) = if self.ctx.compose() {
                        (
                            Expr::Template(
                                Template::new()
                                    .lit("metric.type=\"agent.googleapis.com/disk/percent_used\" AND resource.type=\"gce_instance\" AND metric.label.state=\"used\" AND resource.label.instance_id=\"")
                                    .interp("google_compute_instance.cht.instance_id")
                                    .lit("\""),
                            ),
                            number(*percent),
                            "A disk of the CHT host",
                        )
                    } else {
                        (
                            Expr::Template(
                                Template::new()
                                    .lit("metric.type=\"kubernetes.io/pod/volume/utilization\" AND resource.type=\"k8s_pod\" AND resource.label.cluster_name=\"")
                                    .interp("google_container_cluster.main.name")
                                    .lit(format!("\" AND resource.label.namespace_name=\"{}\"", env.namespace)),
                            ),
                            number(percent / 100.0),
                            "A volume of CHT (CouchDB, PostgreSQL)",
                        )
                    };
                    let policy = alert_policy(
                        "disk_used",
                        &format!(
                            "{what} is more than {}% full (policy: disk_used).",
                            ir::trim_float(*percent)
                        ),
                        threshold_condition(
                            "a disk is filling up",
                            filter,
                            "COMPARISON_GT",
                            threshold,
                            300,
                            Block::new("aggregations")
                                .attr("alignment_period", "300s")
                                .attr("per_series_aligner", "ALIGN_MAX"),
                        ),
                    );
                    self.add(Concern::Monitoring, policy);
                }
                AlertCondition::BackupFailed => {
                    if self.ctx.cloud.backup.is_none() {
                        continue;
                    }
                    let filter = if self.ctx.compose() {
                        Expr::Template(
                            Template::new()
                                .lit("(resource.type=\"gce_instance\" AND resource.labels.instance_id=\"")
                                .interp("google_compute_instance.cht.instance_id")
                                .lit("\" AND \"hostplan-backup\" AND \"FAILED\") OR (resource.type=\"gce_disk\" AND severity>=ERROR AND protoPayload.methodName:\"Snapshot\" AND protoPayload.resourceName:\"")
                                .interp("local.name")
                                .lit("\")"),
                        )
                    } else {
                        Expr::Str("logName:\"gkebackup.googleapis.com\" AND (severity>=ERROR OR \"FAILED\")".to_string())
                    };
                    let policy = alert_policy(
                        "backup_failed",
                        "A scheduled backup failed, or none ran in time (policy: backup_failed).",
                        Block::new("conditions")
                            .attr("display_name", "a backup failed")
                            .block(Block::new("condition_matched_log").attr("filter", filter)),
                    )
                    .block(
                        Block::new("alert_strategy")
                            .block(Block::new("notification_rate_limit").attr("period", "3600s"))
                            .attr("auto_close", "86400s"),
                    );
                    self.add(Concern::Monitoring, policy);
                }
                AlertCondition::ReplicationLimit => {}
            }
        }
    }

    // ---------------------------------------------------------------------------- access

    fn access(&mut self) {
        let env = self.ctx.env;
        for binding in &env.secrets {
            let name = binding.slot.name();
            self.add(
                Concern::Access,
                resource("google_secret_manager_secret", name)
                    .note(format!("{}: stored in Secret Manager, in the environment's region, for the deployment to read; the value comes from `var.{name}`.", crate::terraform::secret_what(binding.slot)))
                    .attr("secret_id", Template::new().interp("local.name").lit(format!("-{}", name.replace('_', "-"))))
                    .block(
                        Block::new("replication").block(
                            Block::new("user_managed").block(Block::new("replicas").attr("location", self.region)),
                        ),
                    )
                    .attr("depends_on", refs(["google_project_service.apis"])),
            );
            self.add(
                Concern::Access,
                resource("google_secret_manager_secret_version", name)
                    .attr(
                        "secret",
                        raw(format!("google_secret_manager_secret.{name}.id")),
                    )
                    .attr("secret_data", raw(format!("var.{name}"))),
            );
            if self.ctx.compose() {
                self.add(
                    Concern::Access,
                    resource(
                        "google_secret_manager_secret_iam_member",
                        &format!("{name}_cht_host"),
                    )
                    .attr(
                        "secret_id",
                        raw(format!("google_secret_manager_secret.{name}.id")),
                    )
                    .attr("role", "roles/secretmanager.secretAccessor")
                    .attr("member", raw("google_service_account.cht_host.member")),
                );
            }
        }
        for operator in &env.operators {
            let member = raw(format!("var.operator_{}_member", ident(&operator.name)));
            let name = ident(&operator.name);
            if self.ctx.compose() {
                match operator.role {
                    ir::OperatorRole::Admin | ir::OperatorRole::Deployer => {
                        let role = if operator.role == ir::OperatorRole::Admin {
                            "roles/compute.osAdminLogin"
                        } else {
                            "roles/compute.osLogin"
                        };
                        self.add(
                            Concern::Access,
                            resource(
                                "google_compute_instance_iam_member",
                                &format!("operator_{name}"),
                            )
                            .note(format!(
                                "{} ({}) signs in to the CHT host with OS Login.",
                                operator.name,
                                operator.role.name()
                            ))
                            .attr("zone", raw("local.zone"))
                            .attr("instance_name", raw("google_compute_instance.cht.name"))
                            .attr("role", role)
                            .attr("member", member.clone()),
                        );
                        self.add(
                            Concern::Access,
                            resource(
                                "google_service_account_iam_member",
                                &format!("operator_{name}"),
                            )
                            .attr(
                                "service_account_id",
                                raw("google_service_account.cht_host.name"),
                            )
                            .attr("role", "roles/iam.serviceAccountUser")
                            .attr("member", member.clone()),
                        );
                        if env.security.admin_from.is_empty() {
                            self.add(
                                Concern::Access,
                                resource(
                                    "google_project_iam_member",
                                    &format!("operator_{name}_iap"),
                                )
                                .attr("project", self.project)
                                .attr("role", "roles/iap.tunnelResourceAccessor")
                                .attr("member", member.clone()),
                            );
                        }
                        if operator.role == ir::OperatorRole::Admin
                            && self.ctx.cloud.backup.is_some()
                        {
                            self.add(
                                Concern::Access,
                                resource(
                                    "google_storage_bucket_iam_member",
                                    &format!("operator_{name}"),
                                )
                                .attr("bucket", raw("google_storage_bucket.backups.name"))
                                .attr("role", "roles/storage.objectViewer")
                                .attr("member", member.clone()),
                            );
                        }
                    }
                    ir::OperatorRole::Viewer => {
                        self.add(
                            Concern::Access,
                            resource("google_project_iam_member", &format!("operator_{name}"))
                                .attr("project", self.project)
                                .attr("role", "roles/monitoring.viewer")
                                .attr("member", member.clone()),
                        );
                    }
                }
            } else {
                let role = match operator.role {
                    ir::OperatorRole::Admin => "roles/container.admin",
                    ir::OperatorRole::Deployer => "roles/container.developer",
                    ir::OperatorRole::Viewer => "roles/container.viewer",
                };
                self.add(
                    Concern::Access,
                    resource("google_project_iam_member", &format!("operator_{name}"))
                        .note(format!("{} ({}) on the cluster; the Kubernetes API answers only the policy's admin networks.", operator.name, operator.role.name()))
                        .attr("project", self.project)
                        .attr("role", role)
                        .attr("member", member),
                );
            }
        }
    }

    // ---------------------------------------------------------------------------- outputs

    fn outputs(&mut self) {
        let env = self.ctx.env;
        let mut outputs = vec![
            output("project", "The Google Cloud project.", Expr::Str(self.project.to_string())),
            output("region", "The region of the environment.", Expr::Str(self.region.to_string())),
            output("kms_key_id", "The key everything at rest is encrypted with; a StorageClass for CHT's volumes names it as disk-encryption-kms-key.", raw("google_kms_crypto_key.data.id")),
        ];
        if self.ctx.compose() {
            if self.load_balancer {
                outputs.push(output(
                    "load_balancer_address",
                    "The load balancer's address, which the DNS record points at.",
                    raw("google_compute_global_address.cht.address"),
                ));
            } else {
                outputs.push(output(
                    "cht_host_address",
                    "The CHT host's fixed public address, which the DNS record points at.",
                    raw("google_compute_address.cht.address"),
                ));
            }
            outputs.push(output(
                "cht_host_name",
                "For SSH: gcloud compute ssh <name> --zone <zone>.",
                raw("google_compute_instance.cht.name"),
            ));
            outputs.push(output(
                "zone",
                "The zone of the CHT host.",
                raw("local.zone"),
            ));
        } else {
            outputs.push(output("cluster_name", "The GKE cluster: gcloud container clusters get-credentials <name> --region <region>.", raw("google_container_cluster.main.name")));
            outputs.push(output("ingress_static_ip_name", "The global address of CHT's Ingress (annotation kubernetes.io/ingress.global-static-ip-name).", raw("google_compute_global_address.cht.name")));
            outputs.push(output("ingress_certificate_name", "The Google-managed certificate of CHT's Ingress (annotation ingress.gcp.kubernetes.io/pre-shared-cert).", raw("google_compute_managed_ssl_certificate.cht.name")));
            outputs.push(output(
                "security_policy_name",
                "The Cloud Armor policy CHT's backend uses (BackendConfig securityPolicy).",
                raw("google_compute_security_policy.cht.name"),
            ));
            outputs.push(output(
                "couchdb_node_selector",
                "Where CouchDB node N runs: the label and the toleration its pods need.",
                Expr::Object(
                    Object::new()
                        .with("label", COUCHDB_NODE_LABEL)
                        .with("taint_key", COUCHDB_TAINT.0)
                        .with("taint_value", COUCHDB_TAINT.1)
                        .with("taint_effect", "NoSchedule"),
                ),
            ));
            if self.ctx.cloud.backup.is_some() {
                outputs.push(output("backup_service_account", "The identity a backup job's Kubernetes service account `cht-backup` acts as (annotation iam.gke.io/gcp-service-account).", raw("google_service_account.backup.email")));
            }
        }
        if self.ctx.cloud.backup.is_some() {
            outputs.push(output(
                "backup_bucket",
                "The backup bucket (restic: gs:<bucket>:/).",
                raw("google_storage_bucket.backups.name"),
            ));
        }
        if env.monitoring.is_some() && self.machine(HostPurpose::Watchdog).is_some() {
            outputs.push(output(
                "watchdog_host_name",
                "The CHT Watchdog host, for SSH through IAP and Grafana port forwarding.",
                raw("google_compute_instance.watchdog.name"),
            ));
        }
        if !env.secrets.is_empty() {
            let secrets: Object = env
                .secrets
                .iter()
                .map(|it| {
                    (
                        it.slot.name(),
                        raw(format!(
                            "google_secret_manager_secret.{}.id",
                            it.slot.name()
                        )),
                    )
                })
                .collect();
            outputs.push(output(
                "secret_ids",
                "Where each secret is stored (its id, never its value).",
                Expr::Object(secrets),
            ));
        }
        for block in outputs {
            self.add(Concern::Outputs, block);
        }
    }

    fn steps(&mut self) {
        let env = self.ctx.env;
        let before = vec![
            format!("Make sure the Cloud DNS managed zone `{}` exists in project `{}` and holds `{}` (or set `dns_zone` to the zone that does).", parent_domain(&env.domain).replace('.', "-"), self.project, env.domain),
            "Keep Terraform's state in an encrypted, access-controlled backend (a Cloud Storage bucket with versioning): the state holds the secrets' values.".to_string(),
        ];
        let mut after = Vec::new();
        if self.load_balancer {
            after.push("Google issues the managed certificate once the DNS record resolves to the load balancer; this can take up to an hour.".to_string());
        }
        if env.alerting.as_ref().is_some_and(|it| !it.email.is_empty()) {
            after.push("Cloud Monitoring sends alerts to the addresses of the policy; no confirmation is needed.".to_string());
        }
        if self.ctx.compose() {
            let ssh = if env.security.admin_from.is_empty() {
                "gcloud compute ssh $(terraform output -raw cht_host_name) --zone $(terraform output -raw zone) --tunnel-through-iap"
            } else {
                "gcloud compute ssh $(terraform output -raw cht_host_name) --zone $(terraform output -raw zone)"
            };
            after.push(format!("Sign in to the CHT host with `{ssh}`; cloud-init has installed Docker, mounted the data disks and created the CHT directories (`cloud-init status --wait`)."));
            if !env.secrets.is_empty() {
                after.push("Fill `upgrade-service/.env` on the host: the secrets are in Secret Manager (`gcloud secrets versions access latest --secret <id>`, with the ids of `terraform output secret_ids`); the host's identity may read them.".to_string());
            }
            if env.backup.is_some() {
                after.push(format!("Set `GOOGLE_PROJECT_ID={}` beside `RESTIC_REPOSITORY` for the backup container; restic then writes with the host's identity, no key file needed.", self.project));
            }
            after.push("Then follow ../README.md from \"Deploy, step by step\".".to_string());
        } else {
            after.push("`gcloud container clusters get-credentials $(terraform output -raw cluster_name) --region $(terraform output -raw region)`.".to_string());
            after.push(format!(
                "Deploy CHT with its Ingress on the global address `terraform output ingress_static_ip_name` and the certificate `terraform output ingress_certificate_name`, and a BackendConfig with the Cloud Armor policy `terraform output security_policy_name`; CouchDB's pods tolerate `{}={}:NoSchedule` and select `{}`. The StorageClass of CHT's volumes sets `disk-encryption-kms-key` from `terraform output kms_key_id`.",
                COUCHDB_TAINT.0, COUCHDB_TAINT.1, COUCHDB_NODE_LABEL
            ));
        }
        if env.monitoring.is_some() {
            after.push("On the Watchdog host (`gcloud compute ssh $(terraform output -raw watchdog_host_name) --tunnel-through-iap`), CHT Watchdog is checked out in `/home/ubuntu/cht-watchdog`: copy in this environment's Watchdog settings, fill its `.env`, and `docker compose up --detach`. Reach Grafana through the SSH tunnel (`-- -L 3000:127.0.0.1:3000`).".to_string());
        }
        self.module.before_apply = before;
        self.module.after_apply = after;
    }
}

/// A label value Google accepts: lowercase letters, digits, `-` and `_`, at most 63.
fn label_value(text: &str) -> String {
    text.to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect()
}

fn number(value: f64) -> Expr {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Expr::Int(value as i64)
    } else {
        Expr::float(value).unwrap_or(Expr::Int(0))
    }
}

fn firewall(
    name: &str,
    suffix: &str,
    note: &str,
    ports: &[&str],
    sources: Expr,
    targets: &[&str],
) -> Block {
    resource("google_compute_firewall", name)
        .note(note)
        .attr("name", named(suffix))
        .attr("network", raw("google_compute_network.main.id"))
        .attr("direction", "INGRESS")
        .attr("source_ranges", sources)
        .attr("target_tags", strings(targets))
        .block(
            Block::new("allow")
                .attr("protocol", "tcp")
                .attr("ports", strings(ports)),
        )
        .block(Block::new("log_config").attr("metadata", "INCLUDE_ALL_METADATA"))
}

fn uptime_filter(metric: &str) -> Expr {
    Expr::Template(
        Template::new()
            .lit(format!("metric.type=\"monitoring.googleapis.com/uptime_check/{metric}\" AND resource.type=\"uptime_url\" AND metric.label.check_id=\""))
            .interp("google_monitoring_uptime_check_config.cht.uptime_check_id")
            .lit("\""),
    )
}

fn threshold_condition(
    name: &str,
    filter: Expr,
    comparison: &str,
    threshold: Expr,
    secs: i64,
    aggregations: Block,
) -> Block {
    Block::new("conditions").attr("display_name", name).block(
        Block::new("condition_threshold")
            .attr("filter", filter)
            .attr("comparison", comparison)
            .attr("threshold_value", threshold)
            .attr("duration", format!("{secs}s"))
            .block(aggregations)
            .block(Block::new("trigger").attr("count", 1)),
    )
}

fn alert_policy(name: &str, description: &str, condition: Block) -> Block {
    resource("google_monitoring_alert_policy", name)
        .attr(
            "display_name",
            named(&format!(": {}", name.replace('_', " "))),
        )
        .attr("combiner", "OR")
        .attr("notification_channels", raw("local.alert_channels"))
        .block(
            Block::new("documentation")
                .attr("content", description)
                .attr("mime_type", "text/markdown"),
        )
        .block(condition)
}
