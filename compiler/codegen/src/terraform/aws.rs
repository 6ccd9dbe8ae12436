//! The AWS root module: a VPC (or the plan's), EKS or an EC2 Compose host, KMS-encrypted
//! disks, an S3 backup bucket replicated offsite, Data Lifecycle Manager snapshots, Route 53 and
//! ACM, CloudWatch alarms to SNS, and IAM for operators.

use hostplan_core::ir::{self, AlertCondition, HostPurpose, OffsiteRegion, TlsMode};

use crate::hcl::{Block, Expr, Object, Template};
use crate::terraform::cloud_init::{self, DataDisk, Health, HostInit};
use crate::terraform::{
    backup_hours, data, days, ident, instance_comment, int, named, offsite_region_variable, output,
    parent_domain, raw, refs, required_variable, resource, schedule_text, secret_variable,
    short_name, strings, Concern, Ctx, Module, Noted, AWS_PROVIDER_VERSION, TERRAFORM_VERSION,
};

/// The Kubernetes release of the EKS cluster: the newest in EKS standard support when the
/// provider version was pinned.
const EKS_VERSION: &str = "1.33";

/// Canonical's AWS account, which publishes the Ubuntu images.
const CANONICAL_ACCOUNT: &str = "099720109477";

/// The Ubuntu LTS image of Compose and Watchdog hosts.
const UBUNTU_IMAGE: &str = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*";

/// The CIDR block of a VPC the module creates; each subnet is a /20 of it.
const VPC_CIDR: &str = "10.42.0.0/16";

/// The toleration CHT's Helm chart gives CouchDB pods by default (values/platform-eks.yaml), so
/// the chart's pods land on the CouchDB nodes without changes.
pub(crate) const COUCHDB_TAINT: (&str, &str) = ("dev-couchdb-only", "true");

/// The node label that pins CouchDB node N to its node group (and so to its zone, where its
/// EBS volume lives).
pub(crate) const COUCHDB_NODE_LABEL: &str = "cht-couchdb-node";

/// Regions an AWS account must enable before use (of the standard library's catalogue).
const OPT_IN_REGIONS: &[&str] = &["af-south-1", "me-south-1"];

/// A region other than the environment's, reached through a provider alias.
#[derive(Clone, Debug, PartialEq)]
struct Place {
    alias: &'static str,
    /// The region's name, or `None` when the operator gives it (`var.offsite_region`).
    region: Option<String>,
}

impl Place {
    fn provider(&self) -> String {
        format!("aws.{}", self.alias)
    }

    fn region_expr(&self) -> Expr {
        match &self.region {
            Some(region) => Expr::Str(region.clone()),
            None => raw("var.offsite_region"),
        }
    }

    fn key_arn(&self) -> String {
        format!("aws_kms_replica_key.{}.arn", self.alias)
    }
}

struct Aws<'c, 'a> {
    ctx: &'c Ctx<'a>,
    region: &'c str,
    vpc: Option<&'c str>,
    zones: u64,
    module: Module,
    /// Where the offsite copies go (bucket replica, snapshot copies), when the policy wants one.
    offsite: Option<Place>,
    /// Where the backup bucket is when that is not the environment's region.
    bucket_place: Option<Place>,
    /// us-east-1, where Route 53 health-check metrics and so the downtime alarm live.
    alarm_place: Option<Place>,
    /// The ALB in front of a Compose host when TLS is managed.
    host_load_balancer: bool,
    /// Blocks written once however many parts need them, by address.
    written_once: Vec<String>,
}

/// The root module of an environment on AWS.
pub(super) fn module(ctx: &Ctx<'_>, region: &str, vpc: Option<&str>, zones: u64) -> Module {
    let backup = ctx.cloud.backup.as_ref();
    let offsite_region = backup.and_then(|it| it.offsite.as_ref());
    let bucket_offsite = backup.is_some_and(|it| it.bucket_region != region);
    let offsite = match offsite_region {
        Some(OffsiteRegion::Plan(name) | OffsiteRegion::Partner(name)) => Some(Place {
            alias: "offsite",
            region: Some(name.clone()),
        }),
        Some(OffsiteRegion::Ask) => Some(Place {
            alias: "offsite",
            region: None,
        }),
        None => None,
    };
    let bucket_place = if bucket_offsite {
        offsite.clone()
    } else {
        None
    };
    let downtime = ctx
        .alerts()
        .iter()
        .any(|it| matches!(it, AlertCondition::Downtime { .. }));
    let alarm_place = if !downtime || region == "us-east-1" {
        None
    } else if offsite
        .as_ref()
        .is_some_and(|it| it.region.as_deref() == Some("us-east-1"))
    {
        offsite.clone()
    } else {
        Some(Place {
            alias: "us_east_1",
            region: Some("us-east-1".to_string()),
        })
    };
    let mut aws = Aws {
        ctx,
        region,
        vpc,
        zones: zones.clamp(2, 6),
        module: Module::new(),
        offsite,
        bucket_place,
        alarm_place,
        host_load_balancer: ctx.compose() && ctx.env.tls.mode == TlsMode::Managed,
        written_once: Vec::new(),
    };
    aws.versions();
    aws.variables();
    aws.main();
    aws.network();
    aws.keys();
    if ctx.compose() {
        aws.compose_host();
    } else {
        aws.eks();
    }
    aws.watchdog_host();
    aws.backup();
    aws.dns();
    aws.monitoring();
    aws.access();
    aws.outputs();
    aws.steps();
    aws.module
}

impl Aws<'_, '_> {
    fn add(&mut self, concern: Concern, block: Block) {
        self.module.add(concern, block);
    }

    /// Adds a block that several parts need, the first time only.
    fn once(&mut self, concern: Concern, block: Block) {
        let address = block.labels.join(".");
        if self.written_once.contains(&address) {
            return;
        }
        self.written_once.push(address);
        self.module.add(concern, block);
    }

    fn places(&self) -> Vec<Place> {
        let mut out: Vec<Place> = Vec::new();
        for place in [&self.offsite, &self.alarm_place].into_iter().flatten() {
            if !out.contains(place) {
                out.push(place.clone());
            }
        }
        out
    }

    fn created_vpc(&self) -> bool {
        self.vpc.is_none()
    }

    fn vpc_id(&self) -> &'static str {
        if self.created_vpc() {
            "aws_vpc.main.id"
        } else {
            "data.aws_vpc.main.id"
        }
    }

    fn subnets(&self, tier: &str) -> String {
        if self.created_vpc() {
            format!("aws_subnet.{tier}[*].id")
        } else {
            format!("var.{tier}_subnet_ids")
        }
    }

    /// The subnet at `idx` of a tier, wrapping around the zones.
    fn subnet(&self, tier: &str, idx: usize) -> String {
        format!("element({}, {idx})", self.subnets(tier))
    }

    fn first_public_zone(&self) -> &'static str {
        if self.created_vpc() {
            "aws_subnet.public[0].availability_zone"
        } else {
            "data.aws_subnet.public_first.availability_zone"
        }
    }

    fn backup_key_arn(&self) -> String {
        match &self.bucket_place {
            Some(place) => place.key_arn(),
            None => "aws_kms_key.main.arn".to_string(),
        }
    }

    fn partition_arn(&self, rest: &str) -> Expr {
        Expr::Template(
            Template::new()
                .lit("arn:")
                .interp("data.aws_partition.current.partition")
                .lit(rest),
        )
    }

    fn managed_policy(&self, name: &str) -> Expr {
        self.partition_arn(&format!(":iam::aws:policy/{name}"))
    }

    // ---------------------------------------------------------------- versions, variables, main

    fn versions(&mut self) {
        let terraform = Block::new("terraform")
            .attr("required_version", TERRAFORM_VERSION)
            .block(
                Block::new("required_providers").attr(
                    "aws",
                    Object::new()
                        .with("source", "hashicorp/aws")
                        .with("version", AWS_PROVIDER_VERSION),
                ),
            );
        self.add(Concern::Versions, terraform);
        let default_tags = || Block::new("default_tags").attr("tags", raw("local.tags"));
        self.add(
            Concern::Versions,
            Block::new("provider")
                .with_label("aws")
                .attr("region", self.region)
                .block(default_tags()),
        );
        for place in self.places() {
            let comment = if Some(&place) == self.alarm_place.as_ref()
                && Some(&place) != self.offsite.as_ref()
            {
                "Route 53 health checks publish their metrics in us-east-1 only, so the downtime alarm lives there.".to_string()
            } else {
                format!(
                    "The offsite copies of the backups: {}",
                    match self.ctx.cloud.backup.as_ref().and_then(|it| it.offsite.as_ref()) {
                        Some(OffsiteRegion::Plan(region)) => format!("{region}, the region the policy names."),
                        Some(OffsiteRegion::Partner(region)) => format!("the policy asks for an offsite copy without naming a region, so Hostplan chose {region}, the nearest region at another site. The backups, which hold patient data, leave {}; set `offsite_region` in the policy if the law requires another choice.", self.region),
                        _ => "a region the operator chooses (`offsite_region`).".to_string(),
                    }
                )
            };
            self.add(
                Concern::Versions,
                Block::new("provider")
                    .with_label("aws")
                    .note(comment)
                    .attr("alias", place.alias)
                    .attr("region", place.region_expr())
                    .block(default_tags()),
            );
        }
    }

    fn variables(&mut self) {
        for binding in &self.ctx.env.secrets {
            self.add(Concern::Variables, secret_variable(binding));
        }
        if !self.created_vpc() {
            for tier in ["public", "private"] {
                let name = format!("{tier}_subnet_ids");
                self.add(
                    Concern::Variables,
                    required_variable(
                        &name,
                        "list(string)",
                        &format!(
                            "The {tier} subnets of the plan's VPC `{}`, one per availability zone{}.",
                            self.vpc.unwrap_or_default(),
                            if tier == "public" {
                                ", tagged kubernetes.io/role/elb = 1 for load balancers"
                            } else {
                                ", with a route to the Internet through a NAT gateway"
                            }
                        ),
                    )
                    .block(
                        Block::new("validation")
                            .attr("condition", raw(format!("length(var.{name}) >= 2")))
                            .attr("error_message", "Give at least two subnets, in different availability zones."),
                    ),
                );
            }
        }
        if let Some(variable) = offsite_region_variable(self.ctx, self.region, "AWS") {
            self.add(Concern::Variables, variable);
        }
        self.add(
            Concern::Variables,
            Block::new("variable")
                .with_label("dns_zone")
                .attr(
                    "description",
                    format!(
                        "The public Route 53 hosted zone that holds `{}`; change it if the zone is another parent of the domain.",
                        self.ctx.env.domain
                    ),
                )
                .attr("type", raw("string"))
                .attr("default", parent_domain(&self.ctx.env.domain)),
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
                            "The EC2 instance type of the {} hosts: each needs {}, more than any type of the plan's price table; add a larger type to the table and build again, or name one here.",
                            machine.host, machine.need
                        ),
                    ),
                );
            }
        }
        for operator in &self.ctx.env.operators {
            let name = format!("operator_{}_arn", ident(&operator.name));
            self.add(
                Concern::Variables,
                required_variable(
                    &name,
                    "string",
                    &format!(
                        "The IAM user or role operator {}{} signs in as; it may assume this environment's {} role{}.",
                        operator.name,
                        operator.email.as_deref().map(|it| format!(" ({it})")).unwrap_or_default(),
                        operator.role.name(),
                        if self.ctx.env.security.admin_from.is_empty() { String::new() } else { " from the policy's admin networks only".to_string() }
                    ),
                )
                .block(
                    Block::new("validation")
                        .attr("condition", raw(format!("can(regex(\"^arn:aws[a-z-]*:iam::[0-9]{{12}}:(user|role)/\", var.{name}))")))
                        .attr("error_message", "Give the ARN of an IAM user or role."),
                ),
            );
        }
    }

    fn main(&mut self) {
        let env = self.ctx.env;
        let tags = Object::new()
            .with("Project", self.ctx.program.plan.name.as_str())
            .with("Environment", env.name.as_str())
            .with("DataClass", env.data.name())
            .with("ManagedBy", "hostplan");
        self.add(
            Concern::Main,
            Block::new("locals")
                .attr_noted(
                    "name",
                    self.ctx.name.as_str(),
                    "The prefix of every name, so environments never collide.",
                )
                .attr("tags", tags),
        );
        self.add(Concern::Main, data("aws_caller_identity", "current"));
        self.add(Concern::Main, data("aws_partition", "current"));
        if self.created_vpc() {
            self.add(
                Concern::Main,
                data("aws_availability_zones", "available").attr("state", "available"),
            );
        }
    }

    // ---------------------------------------------------------------------------- network

    fn network(&mut self) {
        if let Some(vpc) = self.vpc {
            self.add(
                Concern::Network,
                data("aws_vpc", "main")
                    .note("The plan's own VPC: its subnets come from variables.tf.")
                    .attr("id", vpc),
            );
            self.add(
                Concern::Network,
                data("aws_subnet", "public_first").attr("id", raw("var.public_subnet_ids[0]")),
            );
        } else {
            self.created_network();
        }
        self.security_groups();
    }

    fn created_network(&mut self) {
        let zones = int(self.zones);
        let production = self.ctx.env.kind == ir::EnvKind::Production;
        let eks = !self.ctx.compose();
        self.add(
            Concern::Network,
            resource("aws_vpc", "main")
                .attr("cidr_block", VPC_CIDR)
                .attr("enable_dns_hostnames", true)
                .attr("enable_dns_support", true)
                .attr("tags", Object::new().with("Name", raw("local.name"))),
        );
        self.add(
            Concern::Network,
            resource("aws_default_security_group", "main")
                .note("The VPC's default security group, emptied: nothing may use it to open traffic by accident.")
                .attr("vpc_id", raw("aws_vpc.main.id")),
        );
        for (tier, offset) in [("public", 0), ("private", 8)] {
            let mut tags = Object::new().with(
                "Name",
                Template::new()
                    .interp("local.name")
                    .lit(format!("-{tier}-"))
                    .interp("count.index"),
            );
            if eks {
                let role = if tier == "public" {
                    "kubernetes.io/role/elb"
                } else {
                    "kubernetes.io/role/internal-elb"
                };
                tags.insert(role, "1");
            }
            let comment = if tier == "public" {
                "Public subnets, one per zone: load balancers and NAT gateways. Nothing gets a public address by default."
            } else {
                "Private subnets, one per zone: the nodes and hosts that need no inbound traffic from the Internet."
            };
            let index = if offset == 0 {
                "count.index".to_string()
            } else {
                format!("count.index + {offset}")
            };
            self.add(
                Concern::Network,
                resource("aws_subnet", tier)
                    .note(comment)
                    .attr("count", zones.clone())
                    .attr("vpc_id", raw("aws_vpc.main.id"))
                    .attr(
                        "availability_zone",
                        raw("data.aws_availability_zones.available.names[count.index]"),
                    )
                    .attr(
                        "cidr_block",
                        raw(format!("cidrsubnet(aws_vpc.main.cidr_block, 4, {index})")),
                    )
                    .attr("map_public_ip_on_launch", false)
                    .attr("tags", tags),
            );
        }
        self.add(
            Concern::Network,
            resource("aws_internet_gateway", "main")
                .attr("vpc_id", raw("aws_vpc.main.id"))
                .attr("tags", Object::new().with("Name", raw("local.name"))),
        );
        let nat_count = if production {
            zones.clone()
        } else {
            Expr::Int(1)
        };
        let nat_comment = if production {
            "One NAT gateway per zone in production, so losing a zone does not cut the others off."
        } else {
            "One NAT gateway for the private subnets; production environments get one per zone."
        };
        self.add(
            Concern::Network,
            resource("aws_eip", "nat")
                .note(nat_comment)
                .attr("count", nat_count.clone())
                .attr("domain", "vpc")
                .attr(
                    "tags",
                    Object::new().with(
                        "Name",
                        Template::new()
                            .interp("local.name")
                            .lit("-nat-")
                            .interp("count.index"),
                    ),
                ),
        );
        self.add(
            Concern::Network,
            resource("aws_nat_gateway", "main")
                .attr("count", nat_count)
                .attr("allocation_id", raw("aws_eip.nat[count.index].id"))
                .attr("subnet_id", raw("aws_subnet.public[count.index].id"))
                .attr(
                    "tags",
                    Object::new().with(
                        "Name",
                        Template::new()
                            .interp("local.name")
                            .lit("-")
                            .interp("count.index"),
                    ),
                )
                .attr("depends_on", refs(["aws_internet_gateway.main"])),
        );
        self.add(
            Concern::Network,
            resource("aws_route_table", "public")
                .attr("vpc_id", raw("aws_vpc.main.id"))
                .block(
                    Block::new("route")
                        .attr("cidr_block", "0.0.0.0/0")
                        .attr("gateway_id", raw("aws_internet_gateway.main.id")),
                )
                .attr("tags", Object::new().with("Name", named("-public"))),
        );
        self.add(
            Concern::Network,
            resource("aws_route_table_association", "public")
                .attr("count", zones.clone())
                .attr("subnet_id", raw("aws_subnet.public[count.index].id"))
                .attr("route_table_id", raw("aws_route_table.public.id")),
        );
        let nat_index = if production { "count.index" } else { "0" };
        self.add(
            Concern::Network,
            resource("aws_route_table", "private")
                .attr("count", zones.clone())
                .attr("vpc_id", raw("aws_vpc.main.id"))
                .block(Block::new("route").attr("cidr_block", "0.0.0.0/0").attr(
                    "nat_gateway_id",
                    raw(format!("aws_nat_gateway.main[{nat_index}].id")),
                ))
                .attr(
                    "tags",
                    Object::new().with(
                        "Name",
                        Template::new()
                            .interp("local.name")
                            .lit("-private-")
                            .interp("count.index"),
                    ),
                ),
        );
        self.add(
            Concern::Network,
            resource("aws_route_table_association", "private")
                .attr("count", zones)
                .attr("subnet_id", raw("aws_subnet.private[count.index].id"))
                .attr(
                    "route_table_id",
                    raw("aws_route_table.private[count.index].id"),
                ),
        );
        // Flow logs: a record of every connection, for incident response.
        self.add(
            Concern::Network,
            resource("aws_cloudwatch_log_group", "flow_logs")
                .note("Every connection in and out of the VPC, kept a year for incident response, encrypted.")
                .attr("name", Template::new().lit("/hostplan/").interp("local.name").lit("/vpc-flow-logs"))
                .attr("retention_in_days", 365)
                .attr("kms_key_id", raw("aws_kms_key.main.arn")),
        );
        self.add(
            Concern::Network,
            resource("aws_iam_role", "flow_logs")
                .attr("name", named("-flow-logs"))
                .attr(
                    "assume_role_policy",
                    raw("data.aws_iam_policy_document.flow_logs_assume.json"),
                ),
        );
        self.add(
            Concern::Network,
            assume_role_document("flow_logs_assume", "vpc-flow-logs.amazonaws.com"),
        );
        self.add(
            Concern::Network,
            data("aws_iam_policy_document", "flow_logs").block(
                Block::new("statement")
                    .attr(
                        "actions",
                        strings([
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ]),
                    )
                    .attr(
                        "resources",
                        Expr::Tuple(vec![
                            raw("aws_cloudwatch_log_group.flow_logs.arn"),
                            Expr::Template(
                                Template::new()
                                    .interp("aws_cloudwatch_log_group.flow_logs.arn")
                                    .lit(":*"),
                            ),
                        ]),
                    ),
            ),
        );
        self.add(
            Concern::Network,
            resource("aws_iam_role_policy", "flow_logs")
                .attr("role", raw("aws_iam_role.flow_logs.id"))
                .attr("policy", raw("data.aws_iam_policy_document.flow_logs.json")),
        );
        self.add(
            Concern::Network,
            resource("aws_flow_log", "main")
                .attr("vpc_id", raw("aws_vpc.main.id"))
                .attr("traffic_type", "ALL")
                .attr(
                    "log_destination",
                    raw("aws_cloudwatch_log_group.flow_logs.arn"),
                )
                .attr("iam_role_arn", raw("aws_iam_role.flow_logs.arn")),
        );
    }

    fn security_groups(&mut self) {
        if self.ctx.compose() {
            let open = if self.host_load_balancer {
                "The CHT host: HTTPS from its load balancer only; operators come in through Systems Manager, never SSH."
            } else {
                "The CHT host: HTTP (ACME challenges, redirect) and HTTPS from anywhere, nothing else; operators come in through Systems Manager, never SSH."
            };
            self.add(
                Concern::Network,
                resource("aws_security_group", "cht")
                    .note(open)
                    .attr("name", named("-cht-host"))
                    .attr("description", "CHT host: only 80 and 443 are reachable")
                    .attr("vpc_id", raw(self.vpc_id())),
            );
            if self.host_load_balancer {
                self.add(
                    Concern::Network,
                    resource("aws_security_group", "load_balancer")
                        .note(
                            "The load balancer in front of the CHT host: 80 and 443 from anywhere.",
                        )
                        .attr("name", named("-load-balancer"))
                        .attr("description", "CHT load balancer: 80 and 443 from anywhere")
                        .attr("vpc_id", raw(self.vpc_id())),
                );
                for port in [80u16, 443] {
                    self.add(
                        Concern::Network,
                        ingress_rule(
                            &format!("load_balancer_{port}"),
                            "aws_security_group.load_balancer.id",
                            port,
                            Some("0.0.0.0/0"),
                            None,
                        ),
                    );
                }
                self.add(
                    Concern::Network,
                    egress_all("load_balancer", "aws_security_group.load_balancer.id"),
                );
                self.add(
                    Concern::Network,
                    ingress_rule(
                        "cht_https",
                        "aws_security_group.cht.id",
                        443,
                        None,
                        Some("aws_security_group.load_balancer.id"),
                    ),
                );
            } else {
                for port in [80u16, 443] {
                    self.add(
                        Concern::Network,
                        ingress_rule(
                            &format!("cht_{port}"),
                            "aws_security_group.cht.id",
                            port,
                            Some("0.0.0.0/0"),
                            None,
                        ),
                    );
                }
            }
            self.add(
                Concern::Network,
                egress_all("cht", "aws_security_group.cht.id"),
            );
        }
        if self.ctx.env.monitoring.is_some() {
            self.add(
                Concern::Network,
                resource("aws_security_group", "watchdog")
                    .note("The CHT Watchdog host: no inbound traffic at all (Grafana is reached through a Systems Manager port forward).")
                    .attr("name", named("-watchdog"))
                    .attr("description", "CHT Watchdog host: no inbound traffic")
                    .attr("vpc_id", raw(self.vpc_id())),
            );
            self.add(
                Concern::Network,
                egress_all("watchdog", "aws_security_group.watchdog.id"),
            );
        }
    }

    // ---------------------------------------------------------------------------- keys

    fn keys(&mut self) {
        let places = self.places();
        let mut policy = data("aws_iam_policy_document", "kms")
            .block(
                Block::new("statement")
                    .note("The account administers the key; IAM policies grant its use.")
                    .attr("sid", "AccountAdministers")
                    .attr("actions", strings(["kms:*"]))
                    .attr("resources", strings(["*"]))
                    .block(
                        Block::new("principals")
                            .attr("type", "AWS")
                            .attr("identifiers", Expr::Tuple(vec![account_root()])),
                    ),
            )
            .block(
                Block::new("statement")
                    .note("CloudWatch alarms publish to the encrypted alert topic.")
                    .attr("sid", "AlarmsPublishToEncryptedTopics")
                    .attr("actions", strings(["kms:Decrypt", "kms:GenerateDataKey*"]))
                    .attr("resources", strings(["*"]))
                    .block(
                        Block::new("principals")
                            .attr("type", "Service")
                            .attr("identifiers", strings(["cloudwatch.amazonaws.com"])),
                    ),
            );
        let mut log_regions = vec![self.region.to_string()];
        log_regions.extend(places.iter().filter_map(|it| it.region.clone()));
        policy = policy.block(
            Block::new("statement")
                .note("CloudWatch Logs encrypts this environment's log groups.")
                .attr("sid", "LogsEncryptLogGroups")
                .attr(
                    "actions",
                    strings([
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ]),
                )
                .attr("resources", strings(["*"]))
                .block(
                    Block::new("principals").attr("type", "Service").attr(
                        "identifiers",
                        Expr::Tuple(
                            log_regions
                                .iter()
                                .map(|it| Expr::Str(format!("logs.{it}.amazonaws.com")))
                                .collect(),
                        ),
                    ),
                )
                .block(
                    Block::new("condition")
                        .attr("test", "ArnLike")
                        .attr("variable", "kms:EncryptionContext:aws:logs:arn")
                        .attr(
                            "values",
                            Expr::Tuple(vec![Expr::Template(
                                Template::new()
                                    .lit("arn:")
                                    .interp("data.aws_partition.current.partition")
                                    .lit(":logs:*:")
                                    .interp("data.aws_caller_identity.current.account_id")
                                    .lit(":log-group:*"),
                            )]),
                        ),
                ),
        );
        self.add(Concern::Storage, policy);
        let mut key = resource("aws_kms_key", "main")
            .note("The key of this environment: disks, snapshots, backups, secrets, logs and alerts are encrypted with it. Rotated yearly; deleting it makes every backup unreadable, so Terraform refuses to.")
            .attr("description", Template::new().lit("Data of ").interp("local.name"))
            .attr("enable_key_rotation", true)
            .attr("deletion_window_in_days", 30);
        if !places.is_empty() {
            key = key.attr_noted("multi_region", true, "Replicated to the offsite region, so copies there are encrypted with the same key material.");
        }
        key = key
            .attr("policy", raw("data.aws_iam_policy_document.kms.json"))
            .block(Block::new("lifecycle").attr("prevent_destroy", true));
        self.add(Concern::Storage, key);
        self.add(
            Concern::Storage,
            resource("aws_kms_alias", "main")
                .attr("name", Template::new().lit("alias/").interp("local.name"))
                .attr("target_key_id", raw("aws_kms_key.main.key_id")),
        );
        for place in places {
            self.add(
                Concern::Storage,
                resource("aws_kms_replica_key", place.alias)
                    .attr("provider", raw(place.provider()))
                    .attr(
                        "description",
                        Template::new()
                            .lit("Data of ")
                            .interp("local.name")
                            .lit(", replica"),
                    )
                    .attr("primary_key_arn", raw("aws_kms_key.main.arn"))
                    .attr("deletion_window_in_days", 30)
                    .attr("policy", raw("data.aws_iam_policy_document.kms.json"))
                    .block(Block::new("lifecycle").attr("prevent_destroy", true)),
            );
        }
    }

    // ---------------------------------------------------------------------------- compute

    fn machine(&self, purpose: HostPurpose) -> Option<&ir::Machine> {
        self.ctx.cloud.machine(purpose)
    }

    /// The instance type of a machine: the estimate's choice, or the variable that asks for one.
    fn instance_type(&self, machine: &ir::Machine) -> Expr {
        match &machine.instance {
            Some(instance) => Expr::Str(instance.name.clone()),
            None => raw(format!("var.{}_instance_type", ident(&machine.host))),
        }
    }

    fn root_disk(&self, host: &str) -> u64 {
        self.ctx.host(host).map_or(20, |it| it.root_disk_gib)
    }

    fn ubuntu_image(&mut self) {
        self.once(
            Concern::Compute,
            data("aws_ami", "ubuntu")
                .note("Ubuntu 24.04 LTS from Canonical, for the Docker hosts.")
                .attr("most_recent", true)
                .attr("owners", strings([CANONICAL_ACCOUNT]))
                .block(
                    Block::new("filter")
                        .attr("name", "name")
                        .attr("values", strings([UBUNTU_IMAGE])),
                )
                .block(
                    Block::new("filter")
                        .attr("name", "virtualization-type")
                        .attr("values", strings(["hvm"])),
                ),
        );
    }

    /// An EC2 host: the instance with an encrypted root disk, required IMDSv2, automatic
    /// recovery, and its role for Systems Manager and the health job.
    fn host_instance(
        &mut self,
        name: &str,
        machine: &ir::Machine,
        subnet: String,
        security_group: &str,
        user_data: Expr,
    ) -> Block {
        let production = self.ctx.env.kind == ir::EnvKind::Production;
        let mut block = resource("aws_instance", name)
            .attr("ami", raw("data.aws_ami.ubuntu.id"))
            .attr_noted(
                "instance_type",
                self.instance_type(machine),
                instance_comment(self.ctx, machine),
            )
            .attr("subnet_id", raw(subnet))
            .attr(
                "vpc_security_group_ids",
                refs([format!("{security_group}.id")]),
            )
            .attr(
                "iam_instance_profile",
                raw(format!("aws_iam_instance_profile.{name}.name")),
            )
            .attr("user_data", user_data)
            .attr("monitoring", true)
            .attr("ebs_optimized", true);
        if production {
            block = block.attr_noted(
                "disable_api_termination",
                true,
                "A production host cannot be terminated by accident.",
            );
        }
        block
            .block(
                Block::new("metadata_options")
                    .attr("http_endpoint", "enabled")
                    .attr("http_tokens", "required"),
            )
            .block(
                Block::new("root_block_device")
                    .attr("volume_size", int(self.root_disk(&machine.host)))
                    .attr("volume_type", "gp3")
                    .attr("encrypted", true)
                    .attr("kms_key_id", raw("aws_kms_key.main.arn"))
                    .attr("delete_on_termination", true),
            )
            .block(Block::new("maintenance_options").attr("auto_recovery", "default"))
            .attr("tags", Object::new().with("Name", named(&format!("-{}", machine.host))))
            .block(
                Block::new("lifecycle")
                    .note("A newer Ubuntu image or a changed first-boot script must not replace a running host: cloud-init runs once.")
                    .attr("ignore_changes", refs(["ami", "user_data"])),
            )
    }

    fn instance_role(&mut self, name: &str, what: &str) {
        self.add(
            Concern::Access,
            resource("aws_iam_role", name)
                .note(format!("The role of the {what}: Systems Manager for operators, and what the host itself needs."))
                .attr("name", named(&format!("-{}", name.replace('_', "-"))))
                .attr("assume_role_policy", raw("data.aws_iam_policy_document.ec2_assume.json")),
        );
        let ssm = self.managed_policy("AmazonSSMManagedInstanceCore");
        self.add(
            Concern::Access,
            resource("aws_iam_role_policy_attachment", &format!("{name}_ssm"))
                .attr("role", raw(format!("aws_iam_role.{name}.name")))
                .attr("policy_arn", ssm),
        );
        self.add(
            Concern::Access,
            resource("aws_iam_instance_profile", name)
                .attr("name", named(&format!("-{}", name.replace('_', "-"))))
                .attr("role", raw(format!("aws_iam_role.{name}.name"))),
        );
    }

    fn compose_host(&mut self) {
        let Some(machine) = self.machine(HostPurpose::ChtHost).cloned() else {
            return;
        };
        self.once(
            Concern::Compute,
            assume_role_document("ec2_assume", "ec2.amazonaws.com"),
        );
        self.ubuntu_image();
        let disks: Vec<ir::Disk> = self
            .ctx
            .disks_of(&machine.host)
            .into_iter()
            .cloned()
            .collect();
        let mut init_disks = Vec::new();
        let mut placeholders = Vec::new();
        for (idx, disk) in disks.iter().enumerate() {
            let name = ident(&disk.volume);
            let placeholder = format!("@{}_DEVICE@", name.to_ascii_uppercase());
            init_disks.push(DataDisk {
                device: placeholder.clone(),
                mount_point: self.ctx.mount_point(disk),
                label: disk.volume.chars().take(16).collect(),
            });
            placeholders.push((placeholder, name.clone()));
            self.add(
                Concern::Storage,
                resource("aws_ebs_volume", &name)
                    .note(format!(
                        "The `{}` volume of the CHT host ({} GiB from the capacity estimate), encrypted with this environment's key. Never destroyed with the module: it holds the data.",
                        disk.volume, disk.size_gib
                    ))
                    .attr("availability_zone", raw(self.first_public_zone()))
                    .attr("size", int(disk.size_gib))
                    .attr("type", "gp3")
                    .attr("encrypted", true)
                    .attr("kms_key_id", raw("aws_kms_key.main.arn"))
                    .attr(
                        "tags",
                        Object::new()
                            .with("Name", named(&format!("-{}", disk.volume)))
                            .with("Backup", raw("local.name")),
                    )
                    .block(Block::new("lifecycle").attr("prevent_destroy", true)),
            );
            self.add(
                Concern::Storage,
                resource("aws_volume_attachment", &name)
                    .attr(
                        "device_name",
                        format!("/dev/sd{}", char::from(b'f' + (idx as u8).min(10))),
                    )
                    .attr("volume_id", raw(format!("aws_ebs_volume.{name}.id")))
                    .attr("instance_id", raw("aws_instance.cht.id")),
            );
        }
        let env = self.ctx.env;
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
        let alerts = self.ctx.alerts();
        let wants_disk = alerts
            .iter()
            .any(|it| matches!(it, AlertCondition::DiskUsed { .. }));
        let wants_cert = alerts
            .iter()
            .any(|it| matches!(it, AlertCondition::CertExpiry { .. }))
            && !self.host_load_balancer;
        let wants_backup = alerts
            .iter()
            .any(|it| matches!(it, AlertCondition::BackupFailed))
            && env.backup.is_some();
        let health = (wants_disk || wants_cert || wants_backup).then(|| Health::CloudWatch {
            region: self.region.to_string(),
            environment: env.name.clone(),
            disk_paths: if wants_disk {
                self.disk_paths(&init_disks)
            } else {
                Vec::new()
            },
            certificate_domain: wants_cert.then(|| env.domain.clone()),
            backup_window_secs: if wants_backup {
                env.backup.as_ref().map(|it| it.every_secs + 3600)
            } else {
                None
            },
        });
        let text = cloud_init::render(&HostInit {
            disks: init_disks,
            directories,
            health,
            ops_agent: false,
            commands: Vec::new(),
            about: format!("First boot of the CHT host of {}: Docker at boot, data disks, CHT's directories, the health job.", env.name),
        });
        self.add(
            Concern::Compute,
            Block::new("locals").attr_noted(
                "cht_cloud_init",
                Expr::heredoc(text),
                "What the CHT host does on its first boot (cloud-init); the data disks' device paths are filled in below.",
            ),
        );
        let mut user_data = raw("local.cht_cloud_init");
        for (placeholder, name) in &placeholders {
            user_data = Expr::call(
                "replace",
                [
                    user_data,
                    Expr::Str(placeholder.clone()),
                    Expr::Template(
                        Template::new()
                            .lit("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_")
                            .interp(format!("replace(aws_ebs_volume.{name}.id, \"-\", \"\")")),
                    ),
                ],
            );
        }
        let subnet = self.subnet("public", 0);
        let instance =
            self.host_instance("cht", &machine, subnet, "aws_security_group.cht", user_data);
        self.add(Concern::Compute, instance);
        if !self.host_load_balancer {
            self.add(
                Concern::Compute,
                resource("aws_eip", "cht")
                    .note("A fixed public address, which the DNS record points at.")
                    .attr("domain", "vpc")
                    .attr("instance", raw("aws_instance.cht.id"))
                    .attr("tags", Object::new().with("Name", named("-cht"))),
            );
        } else {
            self.host_load_balancer_blocks();
        }
        self.instance_role("cht", "CHT host");
        self.cht_host_permissions();
    }

    fn disk_paths(&self, disks: &[DataDisk]) -> Vec<String> {
        let mut paths = vec!["/".to_string()];
        paths.extend(disks.iter().map(|it| it.mount_point.clone()));
        paths
    }

    /// What the CHT host may do besides Systems Manager: read and write its backup bucket, read
    /// its secrets, publish its health figures.
    fn cht_host_permissions(&mut self) {
        let mut doc = data("aws_iam_policy_document", "cht_host");
        if self.ctx.env.backup.is_some() && self.ctx.cloud.backup.is_some() {
            doc = doc
                .block(
                    Block::new("statement")
                        .note("The backup container (restic) uses the instance's role, so no access key lives on the host.")
                        .attr("sid", "BackupBucket")
                        .attr("actions", strings(["s3:ListBucket", "s3:GetBucketLocation"]))
                        .attr("resources", refs(["aws_s3_bucket.backups.arn"])),
                )
                .block(
                    Block::new("statement")
                        .attr("sid", "BackupObjects")
                        .attr("actions", strings(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]))
                        .attr("resources", Expr::Tuple(vec![Expr::Template(Template::new().interp("aws_s3_bucket.backups.arn").lit("/*"))])),
                )
                .block(
                    Block::new("statement")
                        .attr("sid", "BackupKey")
                        .attr("actions", strings(["kms:Decrypt", "kms:GenerateDataKey"]))
                        .attr("resources", refs([self.backup_key_arn()])),
                );
        }
        if !self.ctx.env.secrets.is_empty() {
            doc = doc.block(
                Block::new("statement")
                    .note("The operator fills upgrade-service/.env from the secrets on the host (see README.md).")
                    .attr("sid", "ReadSecrets")
                    .attr("actions", strings(["secretsmanager:GetSecretValue"]))
                    .attr("resources", Expr::Tuple(self.ctx.env.secrets.iter().map(|it| raw(format!("aws_secretsmanager_secret.{}.arn", it.slot.name()))).collect())),
            );
            doc = doc.block(
                Block::new("statement")
                    .attr("sid", "DecryptSecrets")
                    .attr("actions", strings(["kms:Decrypt"]))
                    .attr("resources", refs(["aws_kms_key.main.arn"])),
            );
        }
        doc = doc.block(
            Block::new("statement")
                .attr("sid", "PublishHealth")
                .attr("actions", strings(["cloudwatch:PutMetricData"]))
                .attr("resources", strings(["*"]))
                .block(
                    Block::new("condition")
                        .attr("test", "StringEquals")
                        .attr("variable", "cloudwatch:namespace")
                        .attr("values", strings(["Hostplan/CHT"])),
                ),
        );
        self.add(Concern::Access, doc);
        self.add(
            Concern::Access,
            resource("aws_iam_role_policy", "cht_host")
                .attr("role", raw("aws_iam_role.cht.id"))
                .attr("policy", raw("data.aws_iam_policy_document.cht_host.json")),
        );
    }

    /// With managed TLS, an Application Load Balancer terminates HTTPS with the ACM
    /// certificate and forwards to nginx on the host.
    fn host_load_balancer_blocks(&mut self) {
        self.add(
            Concern::Compute,
            resource("aws_lb", "cht")
                .note("The load balancer that terminates TLS with the managed certificate (the policy's `tls { mode = managed }`).")
                .attr("name", Expr::Str(short_name(&self.ctx.name, "cht", 32)))
                .attr("load_balancer_type", "application")
                .attr("internal", false)
                .attr("security_groups", refs(["aws_security_group.load_balancer.id"]))
                .attr("subnets", raw(self.subnets("public")))
                .attr("drop_invalid_header_fields", true)
                .attr("enable_deletion_protection", self.ctx.env.kind == ir::EnvKind::Production),
        );
        self.add(
            Concern::Compute,
            resource("aws_lb_target_group", "cht")
                .attr("name", Expr::Str(short_name(&self.ctx.name, "cht", 32)))
                .attr("port", 443)
                .attr("protocol", "HTTPS")
                .attr("vpc_id", raw(self.vpc_id()))
                .block(
                    Block::new("health_check")
                        .attr("path", "/api/info")
                        .attr("protocol", "HTTPS")
                        .attr("matcher", "200"),
                ),
        );
        self.add(
            Concern::Compute,
            resource("aws_lb_target_group_attachment", "cht")
                .attr("target_group_arn", raw("aws_lb_target_group.cht.arn"))
                .attr("target_id", raw("aws_instance.cht.id"))
                .attr("port", 443),
        );
        self.add(
            Concern::Compute,
            resource("aws_lb_listener", "https")
                .attr("load_balancer_arn", raw("aws_lb.cht.arn"))
                .attr("port", 443)
                .attr("protocol", "HTTPS")
                .attr("ssl_policy", "ELBSecurityPolicy-TLS13-1-2-2021-06")
                .attr(
                    "certificate_arn",
                    raw("aws_acm_certificate_validation.main.certificate_arn"),
                )
                .block(
                    Block::new("default_action")
                        .attr("type", "forward")
                        .attr("target_group_arn", raw("aws_lb_target_group.cht.arn")),
                ),
        );
        self.add(
            Concern::Compute,
            resource("aws_lb_listener", "http")
                .attr("load_balancer_arn", raw("aws_lb.cht.arn"))
                .attr("port", 80)
                .attr("protocol", "HTTP")
                .block(
                    Block::new("default_action").attr("type", "redirect").block(
                        Block::new("redirect")
                            .attr("port", "443")
                            .attr("protocol", "HTTPS")
                            .attr("status_code", "HTTP_301"),
                    ),
                ),
        );
        self.add(
            Concern::Compute,
            resource("aws_wafv2_web_acl_association", "cht")
                .attr("resource_arn", raw("aws_lb.cht.arn"))
                .attr("web_acl_arn", raw("aws_wafv2_web_acl.main.arn")),
        );
        self.waf();
    }

    fn watchdog_host(&mut self) {
        if self.ctx.env.monitoring.is_none() {
            return;
        }
        let Some(machine) = self.machine(HostPurpose::Watchdog).cloned() else {
            return;
        };
        self.once(
            Concern::Compute,
            assume_role_document("ec2_assume", "ec2.amazonaws.com"),
        );
        self.ubuntu_image();
        let text = cloud_init::watchdog_host(self.ctx.env, false);
        self.add(
            Concern::Compute,
            Block::new("locals").attr("watchdog_cloud_init", Expr::heredoc(text)),
        );
        let subnet = self.subnet("private", 0);
        let instance = self.host_instance(
            "watchdog",
            &machine,
            subnet,
            "aws_security_group.watchdog",
            raw("local.watchdog_cloud_init"),
        );
        self.add(Concern::Compute, instance.note("CHT Watchdog runs on its own host, so it still sees the instance when that host is down."));
        self.instance_role("watchdog", "CHT Watchdog host");
    }

    fn eks(&mut self) {
        let env = self.ctx.env;
        self.add(
            Concern::Compute,
            assume_role_document("eks_assume", "eks.amazonaws.com"),
        );
        self.once(
            Concern::Compute,
            assume_role_document("ec2_assume", "ec2.amazonaws.com"),
        );
        self.add(
            Concern::Compute,
            data("aws_iam_policy_document", "pods_assume")
                .note("EKS Pod Identity: Kubernetes service accounts assume these roles, no OIDC provider needed.")
                .block(
                    Block::new("statement")
                        .attr("actions", strings(["sts:AssumeRole", "sts:TagSession"]))
                        .block(
                            Block::new("principals")
                                .attr("type", "Service")
                                .attr("identifiers", strings(["pods.eks.amazonaws.com"])),
                        ),
                ),
        );
        self.add(
            Concern::Compute,
            resource("aws_iam_role", "cluster")
                .attr("name", named("-eks-cluster"))
                .attr(
                    "assume_role_policy",
                    raw("data.aws_iam_policy_document.eks_assume.json"),
                ),
        );
        let cluster_policy = self.managed_policy("AmazonEKSClusterPolicy");
        self.add(
            Concern::Compute,
            resource("aws_iam_role_policy_attachment", "cluster")
                .attr("role", raw("aws_iam_role.cluster.name"))
                .attr("policy_arn", cluster_policy),
        );
        self.add(
            Concern::Compute,
            resource("aws_cloudwatch_log_group", "eks")
                .note("The control plane's logs, audit included, kept a year and encrypted.")
                .attr(
                    "name",
                    Template::new()
                        .lit("/aws/eks/")
                        .interp("local.name")
                        .lit("/cluster"),
                )
                .attr("retention_in_days", 365)
                .attr("kms_key_id", raw("aws_kms_key.main.arn")),
        );
        let admin_from = &env.security.admin_from;
        let public_cidrs = if admin_from.is_empty() {
            strings(["0.0.0.0/0"])
        } else {
            strings(admin_from)
        };
        let endpoint_comment = if admin_from.is_empty() {
            "The policy sets no `admin_from`, so the Kubernetes API is reachable from anywhere (still behind IAM); set `admin_from` to restrict it."
        } else {
            "Admin access only from the policy's allow-list (`admin_from`)."
        };
        self.add(
            Concern::Compute,
            resource("aws_eks_cluster", "main")
                .attr("name", raw("local.name"))
                .attr("version", EKS_VERSION)
                .attr("role_arn", raw("aws_iam_role.cluster.arn"))
                .attr("enabled_cluster_log_types", strings(["api", "audit", "authenticator", "controllerManager", "scheduler"]))
                .block(
                    Block::new("access_config")
                        .note("Access entries (access.tf) decide who may use the cluster; whoever applies this module is its first admin.")
                        .attr("authentication_mode", "API")
                        .attr("bootstrap_cluster_creator_admin_permissions", true),
                )
                .block(
                    Block::new("vpc_config")
                        .attr("subnet_ids", raw(self.subnets("private")))
                        .attr("endpoint_private_access", true)
                        .attr("endpoint_public_access", true)
                        .attr_noted("public_access_cidrs", public_cidrs, endpoint_comment),
                )
                .block(
                    Block::new("encryption_config")
                        .note("Kubernetes Secrets (CouchDB's credentials) are encrypted with this environment's key.")
                        .attr("resources", strings(["secrets"]))
                        .block(Block::new("provider").attr("key_arn", raw("aws_kms_key.main.arn"))),
                )
                .attr("depends_on", refs(["aws_iam_role_policy_attachment.cluster", "aws_cloudwatch_log_group.eks"])),
        );
        // Nodes.
        self.add(
            Concern::Compute,
            resource("aws_iam_role", "node")
                .attr("name", named("-eks-node"))
                .attr(
                    "assume_role_policy",
                    raw("data.aws_iam_policy_document.ec2_assume.json"),
                ),
        );
        for policy in [
            "AmazonEKSWorkerNodePolicy",
            "AmazonEKS_CNI_Policy",
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonSSMManagedInstanceCore",
        ] {
            let arn = self.managed_policy(policy);
            self.add(
                Concern::Compute,
                resource(
                    "aws_iam_role_policy_attachment",
                    &format!("node_{}", ident(policy).trim_start_matches("amazon")),
                )
                .attr("role", raw("aws_iam_role.node.name"))
                .attr("policy_arn", arn),
            );
        }
        let node_depends = refs([
            "aws_iam_role_policy_attachment.node_eksworkernodepolicy",
            "aws_iam_role_policy_attachment.node_eks_cni_policy",
            "aws_iam_role_policy_attachment.node_ec2containerregistryreadonly",
        ]);
        let groups: Vec<ir::Machine> = [
            HostPurpose::Couchdb,
            HostPurpose::Services,
            HostPurpose::ChtSync,
        ]
        .into_iter()
        .filter_map(|purpose| self.machine(purpose).cloned())
        .collect();
        for machine in &groups {
            let template = ident(&machine.host);
            self.add(
                Concern::Compute,
                resource("aws_launch_template", &template)
                    .note(format!(
                        "The {} nodes: an encrypted root disk ({} GiB: the system, images and container logs; CHT's data lives on encrypted volumes), and IMDSv2 only.",
                        machine.host,
                        self.root_disk(&machine.host)
                    ))
                    .attr("name", named(&format!("-{}", machine.host)))
                    .block(
                        Block::new("block_device_mappings")
                            .attr("device_name", "/dev/xvda")
                            .block(
                                Block::new("ebs")
                                    .attr("volume_size", int(self.root_disk(&machine.host)))
                                    .attr("volume_type", "gp3")
                                    .attr("encrypted", true)
                                    .attr("delete_on_termination", true),
                            ),
                    )
                    .block(
                        Block::new("metadata_options")
                            .attr("http_endpoint", "enabled")
                            .attr("http_tokens", "required")
                            .attr_noted("http_put_response_hop_limit", 1, "Pods cannot reach the instance's metadata: they get credentials from EKS Pod Identity."),
                    )
                    .block(
                        Block::new("tag_specifications")
                            .attr("resource_type", "instance")
                            .attr("tags", Object::new().with("Name", named(&format!("-{}", machine.host)))),
                    ),
            );
        }
        for machine in &groups {
            let count = self.ctx.host(&machine.host).map_or(1, |it| it.count.max(1));
            match machine.purpose {
                HostPurpose::Couchdb => {
                    for node in 1..=count {
                        let subnet =
                            Expr::Tuple(vec![raw(self.subnet("private", (node - 1) as usize))]);
                        let block = self
                            .node_group(
                                &format!("couchdb_{node}"),
                                &format!("couchdb-{node}"),
                                machine,
                                1,
                                subnet,
                                Object::new().with(COUCHDB_NODE_LABEL, node.to_string()),
                                true,
                            )
                            .note(format!(
                                "CouchDB node {node} of {count}: a node of its own, tainted so nothing else runs there, pinned to one zone because its EBS volume cannot follow it to another."
                            ))
                            .attr("depends_on", node_depends.clone());
                        self.add(Concern::Compute, block);
                    }
                }
                HostPurpose::Services => {
                    let block = self
                        .node_group(
                            "services",
                            "services",
                            machine,
                            count,
                            raw(self.subnets("private")),
                            Object::new().with("cht-node-role", "services"),
                            false,
                        )
                        .note("API, Sentinel and HAProxy, and the cluster's own add-ons.")
                        .attr("depends_on", node_depends.clone());
                    self.add(Concern::Compute, block);
                }
                _ => {
                    let block = self
                        .node_group(
                            "cht_sync",
                            "cht-sync",
                            machine,
                            count,
                            raw(self.subnets("private")),
                            Object::new().with("cht-node-role", "cht-sync"),
                            false,
                        )
                        .note("CHT Sync (couch2pg, dbt and PostgreSQL).")
                        .attr("depends_on", node_depends.clone());
                    self.add(Concern::Compute, block);
                }
            }
        }
        // Add-ons.
        self.add(
            Concern::Compute,
            resource("aws_eks_addon", "pod_identity")
                .attr("cluster_name", raw("aws_eks_cluster.main.name"))
                .attr("addon_name", "eks-pod-identity-agent"),
        );
        self.add(
            Concern::Compute,
            resource("aws_iam_role", "ebs_csi")
                .note("The EBS CSI driver creates CouchDB's and PostgreSQL's volumes, encrypted with this environment's key.")
                .attr("name", named("-ebs-csi"))
                .attr("assume_role_policy", raw("data.aws_iam_policy_document.pods_assume.json")),
        );
        let csi_policy = self.managed_policy("service-role/AmazonEBSCSIDriverPolicy");
        self.add(
            Concern::Compute,
            resource("aws_iam_role_policy_attachment", "ebs_csi")
                .attr("role", raw("aws_iam_role.ebs_csi.name"))
                .attr("policy_arn", csi_policy),
        );
        self.add(
            Concern::Compute,
            data("aws_iam_policy_document", "ebs_csi_kms")
                .block(
                    Block::new("statement")
                        .attr(
                            "actions",
                            strings([
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ReEncrypt*",
                                "kms:GenerateDataKey*",
                                "kms:DescribeKey",
                            ]),
                        )
                        .attr("resources", refs(["aws_kms_key.main.arn"])),
                )
                .block(
                    Block::new("statement")
                        .attr(
                            "actions",
                            strings(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]),
                        )
                        .attr("resources", refs(["aws_kms_key.main.arn"]))
                        .block(
                            Block::new("condition")
                                .attr("test", "Bool")
                                .attr("variable", "kms:GrantIsForAWSResource")
                                .attr("values", strings(["true"])),
                        ),
                ),
        );
        self.add(
            Concern::Compute,
            resource("aws_iam_role_policy", "ebs_csi_kms")
                .attr("role", raw("aws_iam_role.ebs_csi.id"))
                .attr(
                    "policy",
                    raw("data.aws_iam_policy_document.ebs_csi_kms.json"),
                ),
        );
        self.add(
            Concern::Compute,
            pod_identity(
                "ebs_csi",
                "kube-system",
                "ebs-csi-controller-sa",
                "aws_iam_role.ebs_csi.arn",
            ),
        );
        self.add(
            Concern::Compute,
            resource("aws_eks_addon", "ebs_csi")
                .attr("cluster_name", raw("aws_eks_cluster.main.name"))
                .attr("addon_name", "aws-ebs-csi-driver")
                .attr(
                    "depends_on",
                    refs([
                        "aws_eks_node_group.services",
                        "aws_eks_pod_identity_association.ebs_csi",
                    ]),
                ),
        );
        let wants_disk = self
            .ctx
            .alerts()
            .iter()
            .any(|it| matches!(it, AlertCondition::DiskUsed { .. }));
        if wants_disk {
            self.add(
                Concern::Compute,
                resource("aws_iam_role", "cloudwatch_agent")
                    .note("Container Insights: node and container metrics for the disk alarm.")
                    .attr("name", named("-cloudwatch-agent"))
                    .attr(
                        "assume_role_policy",
                        raw("data.aws_iam_policy_document.pods_assume.json"),
                    ),
            );
            let agent_policy = self.managed_policy("CloudWatchAgentServerPolicy");
            self.add(
                Concern::Compute,
                resource("aws_iam_role_policy_attachment", "cloudwatch_agent")
                    .attr("role", raw("aws_iam_role.cloudwatch_agent.name"))
                    .attr("policy_arn", agent_policy),
            );
            self.add(
                Concern::Compute,
                pod_identity(
                    "cloudwatch_agent",
                    "amazon-cloudwatch",
                    "cloudwatch-agent",
                    "aws_iam_role.cloudwatch_agent.arn",
                ),
            );
            self.add(
                Concern::Compute,
                resource("aws_eks_addon", "cloudwatch")
                    .attr("cluster_name", raw("aws_eks_cluster.main.name"))
                    .attr("addon_name", "amazon-cloudwatch-observability")
                    .attr(
                        "depends_on",
                        refs([
                            "aws_eks_node_group.services",
                            "aws_eks_pod_identity_association.cloudwatch_agent",
                        ]),
                    ),
            );
        }
        self.load_balancer_controller();
        if self.ctx.cloud.backup.is_some() {
            self.add(
                Concern::Access,
                resource("aws_iam_role", "backup")
                    .note(format!(
                        "For a backup job in the cluster: the service account `cht-backup` of namespace `{}` may write the backup bucket.",
                        env.namespace
                    ))
                    .attr("name", named("-backup"))
                    .attr("assume_role_policy", raw("data.aws_iam_policy_document.pods_assume.json")),
            );
            self.add(
                Concern::Access,
                data("aws_iam_policy_document", "backup")
                    .block(
                        Block::new("statement")
                            .attr(
                                "actions",
                                strings(["s3:ListBucket", "s3:GetBucketLocation"]),
                            )
                            .attr("resources", refs(["aws_s3_bucket.backups.arn"])),
                    )
                    .block(
                        Block::new("statement")
                            .attr(
                                "actions",
                                strings(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
                            )
                            .attr(
                                "resources",
                                Expr::Tuple(vec![Expr::Template(
                                    Template::new()
                                        .interp("aws_s3_bucket.backups.arn")
                                        .lit("/*"),
                                )]),
                            ),
                    )
                    .block(
                        Block::new("statement")
                            .attr("actions", strings(["kms:Decrypt", "kms:GenerateDataKey"]))
                            .attr("resources", refs([self.backup_key_arn()])),
                    ),
            );
            self.add(
                Concern::Access,
                resource("aws_iam_role_policy", "backup")
                    .attr("role", raw("aws_iam_role.backup.id"))
                    .attr("policy", raw("data.aws_iam_policy_document.backup.json")),
            );
            self.add(
                Concern::Access,
                pod_identity(
                    "backup",
                    &env.namespace,
                    "cht-backup",
                    "aws_iam_role.backup.arn",
                ),
            );
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a node group is these seven facts"
    )]
    fn node_group(
        &self,
        name: &str,
        group_name: &str,
        machine: &ir::Machine,
        count: u32,
        subnets: Expr,
        labels: Object,
        tainted: bool,
    ) -> Block {
        let template = ident(&machine.host);
        let mut block = resource("aws_eks_node_group", name)
            .attr("cluster_name", raw("aws_eks_cluster.main.name"))
            .attr("node_group_name", group_name)
            .attr("node_role_arn", raw("aws_iam_role.node.arn"))
            .attr("subnet_ids", subnets)
            .attr("ami_type", "AL2023_x86_64_STANDARD")
            .attr("capacity_type", "ON_DEMAND")
            .attr_noted(
                "instance_types",
                Expr::Tuple(vec![self.instance_type(machine)]),
                instance_comment(self.ctx, machine),
            )
            .attr("labels", labels)
            .block(
                Block::new("scaling_config")
                    .attr("desired_size", count)
                    .attr("min_size", count)
                    .attr("max_size", count),
            )
            .block(Block::new("update_config").attr("max_unavailable", 1))
            .block(
                Block::new("launch_template")
                    .attr("id", raw(format!("aws_launch_template.{template}.id")))
                    .attr(
                        "version",
                        raw(format!("aws_launch_template.{template}.latest_version")),
                    ),
            );
        if tainted {
            block = block.block(
                Block::new("taint")
                    .attr("key", COUCHDB_TAINT.0)
                    .attr("value", COUCHDB_TAINT.1)
                    .attr("effect", "NO_SCHEDULE"),
            );
        }
        block
    }

    /// The IAM role of the AWS Load Balancer Controller, which turns CHT's Ingress into an
    /// Application Load Balancer. The policy follows the controller's published one: read
    /// anything it must discover, and change only load balancers, target groups and security
    /// groups tagged as its own.
    fn load_balancer_controller(&mut self) {
        self.add(
            Concern::Compute,
            resource("aws_iam_role", "load_balancer_controller")
                .note("The AWS Load Balancer Controller (installed with Helm, see README.md) turns CHT's Ingress into an Application Load Balancer.")
                .attr("name", named("-lb-controller"))
                .attr("assume_role_policy", raw("data.aws_iam_policy_document.pods_assume.json")),
        );
        let owned = |test: &str| {
            Block::new("condition")
                .attr("test", test)
                .attr("variable", "aws:ResourceTag/elbv2.k8s.aws/cluster")
                .attr("values", strings(["false"]))
        };
        let statement = |sid: &str, actions: &[&str]| {
            Block::new("statement")
                .attr("sid", sid)
                .attr("actions", strings(actions))
                .attr("resources", strings(["*"]))
        };
        let doc = data("aws_iam_policy_document", "load_balancer_controller")
            .block(
                statement("CreateServiceLinkedRole", &["iam:CreateServiceLinkedRole"]).block(
                    Block::new("condition")
                        .attr("test", "StringEquals")
                        .attr("variable", "iam:AWSServiceName")
                        .attr("values", strings(["elasticloadbalancing.amazonaws.com"])),
                ),
            )
            .block(statement(
                "Discover",
                &[
                    "ec2:DescribeAccountAttributes",
                    "ec2:DescribeAddresses",
                    "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeInternetGateways",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeInstances",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeTags",
                    "ec2:DescribeCoipPools",
                    "ec2:GetCoipPoolUsage",
                    "ec2:GetSecurityGroupsForVpc",
                    "ec2:DescribeIpamPools",
                    "ec2:DescribeRouteTables",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeLoadBalancerAttributes",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeListenerCertificates",
                    "elasticloadbalancing:DescribeListenerAttributes",
                    "elasticloadbalancing:DescribeSSLPolicies",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetGroupAttributes",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeTags",
                    "elasticloadbalancing:DescribeTrustStores",
                    "elasticloadbalancing:DescribeCapacityReservation",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "iam:ListServerCertificates",
                    "iam:GetServerCertificate",
                    "cognito-idp:DescribeUserPoolClient",
                    "waf-regional:GetWebACL",
                    "waf-regional:GetWebACLForResource",
                    "waf-regional:AssociateWebACL",
                    "waf-regional:DisassociateWebACL",
                    "wafv2:GetWebACL",
                    "wafv2:GetWebACLForResource",
                    "wafv2:AssociateWebACL",
                    "wafv2:DisassociateWebACL",
                    "shield:GetSubscriptionState",
                    "shield:DescribeProtection",
                    "shield:CreateProtection",
                    "shield:DeleteProtection",
                ],
            ))
            .block(statement(
                "ManageSecurityGroupRules",
                &[
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                ],
            ))
            .block(statement(
                "CreateSecurityGroup",
                &["ec2:CreateSecurityGroup"],
            ))
            .block(
                statement("TagOwnSecurityGroups", &["ec2:CreateTags"])
                    .block(
                        Block::new("condition")
                            .attr("test", "StringEquals")
                            .attr("variable", "ec2:CreateAction")
                            .attr("values", strings(["CreateSecurityGroup"])),
                    )
                    .block(
                        Block::new("condition")
                            .attr("test", "Null")
                            .attr("variable", "aws:RequestTag/elbv2.k8s.aws/cluster")
                            .attr("values", strings(["false"])),
                    ),
            )
            .block(
                statement(
                    "ChangeOwnSecurityGroups",
                    &[
                        "ec2:CreateTags",
                        "ec2:DeleteTags",
                        "ec2:AuthorizeSecurityGroupIngress",
                        "ec2:RevokeSecurityGroupIngress",
                        "ec2:DeleteSecurityGroup",
                    ],
                )
                .block(owned("Null")),
            )
            .block(
                statement(
                    "CreateOwnLoadBalancers",
                    &[
                        "elasticloadbalancing:CreateLoadBalancer",
                        "elasticloadbalancing:CreateTargetGroup",
                    ],
                )
                .block(
                    Block::new("condition")
                        .attr("test", "Null")
                        .attr("variable", "aws:RequestTag/elbv2.k8s.aws/cluster")
                        .attr("values", strings(["false"])),
                ),
            )
            .block(statement(
                "ManageListenersAndRules",
                &[
                    "elasticloadbalancing:CreateListener",
                    "elasticloadbalancing:DeleteListener",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:DeleteRule",
                    "elasticloadbalancing:ModifyListener",
                    "elasticloadbalancing:AddListenerCertificates",
                    "elasticloadbalancing:RemoveListenerCertificates",
                    "elasticloadbalancing:ModifyRule",
                    "elasticloadbalancing:SetWebAcl",
                    "elasticloadbalancing:ModifyListenerAttributes",
                ],
            ))
            .block(statement(
                "TagLoadBalancers",
                &[
                    "elasticloadbalancing:AddTags",
                    "elasticloadbalancing:RemoveTags",
                ],
            ))
            .block(
                statement(
                    "ChangeOwnLoadBalancers",
                    &[
                        "elasticloadbalancing:ModifyLoadBalancerAttributes",
                        "elasticloadbalancing:SetIpAddressType",
                        "elasticloadbalancing:SetSecurityGroups",
                        "elasticloadbalancing:SetSubnets",
                        "elasticloadbalancing:DeleteLoadBalancer",
                        "elasticloadbalancing:ModifyTargetGroup",
                        "elasticloadbalancing:ModifyTargetGroupAttributes",
                        "elasticloadbalancing:DeleteTargetGroup",
                        "elasticloadbalancing:ModifyCapacityReservation",
                        "elasticloadbalancing:ModifyIpPools",
                    ],
                )
                .block(owned("Null")),
            )
            .block(statement(
                "RegisterTargets",
                &[
                    "elasticloadbalancing:RegisterTargets",
                    "elasticloadbalancing:DeregisterTargets",
                ],
            ));
        self.add(Concern::Compute, doc);
        self.add(
            Concern::Compute,
            resource("aws_iam_role_policy", "load_balancer_controller")
                .attr("role", raw("aws_iam_role.load_balancer_controller.id"))
                .attr(
                    "policy",
                    raw("data.aws_iam_policy_document.load_balancer_controller.json"),
                ),
        );
        self.add(
            Concern::Compute,
            pod_identity(
                "load_balancer_controller",
                "kube-system",
                "aws-load-balancer-controller",
                "aws_iam_role.load_balancer_controller.arn",
            ),
        );
        self.waf();
    }

    /// A web ACL that blocks CHT's admin paths except from the policy's allow-list, and known
    /// bad inputs for everyone.
    fn waf(&mut self) {
        let admin_from = self.ctx.env.security.admin_from.clone();
        let visibility = |metric: &str| {
            Block::new("visibility_config")
                .attr("cloudwatch_metrics_enabled", true)
                .attr("metric_name", metric)
                .attr("sampled_requests_enabled", true)
        };
        let mut acl = resource("aws_wafv2_web_acl", "main")
            .note(if admin_from.is_empty() {
                "The firewall in front of CHT: known bad inputs are blocked. The policy sets no `admin_from`, so admin paths are open to every address (still behind CHT's login).".to_string()
            } else {
                "The firewall in front of CHT: admin paths (/_utils, /admin) only from the policy's allow-list, and known bad inputs blocked for everyone.".to_string()
            })
            .attr("name", named("-cht"))
            .attr("scope", "REGIONAL")
            .block(Block::new("default_action").block(Block::new("allow")));
        if !admin_from.is_empty() {
            self.add(
                Concern::Access,
                resource("aws_wafv2_ip_set", "admin")
                    .note("The policy's admin networks (`admin_from`).")
                    .attr("name", named("-admin"))
                    .attr("scope", "REGIONAL")
                    .attr("ip_address_version", "IPV4")
                    .attr("addresses", strings(&admin_from)),
            );
            let path = |prefix: &str| {
                Block::new("statement").block(
                    Block::new("byte_match_statement")
                        .attr("search_string", prefix)
                        .attr("positional_constraint", "STARTS_WITH")
                        .block(Block::new("field_to_match").block(Block::new("uri_path")))
                        .block(
                            Block::new("text_transformation")
                                .attr("priority", 0)
                                .attr("type", "LOWERCASE"),
                        ),
                )
            };
            acl = acl.block(
                Block::new("rule")
                    .attr("name", "admin-paths-from-allow-list-only")
                    .attr("priority", 1)
                    .block(Block::new("action").block(Block::new("block")))
                    .block(
                        Block::new("statement").block(
                            Block::new("and_statement")
                                .block(
                                    Block::new("statement").block(
                                        Block::new("or_statement")
                                            .block(path("/_utils"))
                                            .block(path("/admin")),
                                    ),
                                )
                                .block(
                                    Block::new("statement").block(
                                        Block::new("not_statement").block(
                                            Block::new("statement").block(
                                                Block::new("ip_set_reference_statement")
                                                    .attr("arn", raw("aws_wafv2_ip_set.admin.arn")),
                                            ),
                                        ),
                                    ),
                                ),
                        ),
                    )
                    .block(visibility("admin-paths")),
            );
        }
        acl = acl
            .block(
                Block::new("rule")
                    .attr("name", "known-bad-inputs")
                    .attr("priority", 2)
                    .block(Block::new("override_action").block(Block::new("none")))
                    .block(
                        Block::new("statement").block(
                            Block::new("managed_rule_group_statement")
                                .attr("name", "AWSManagedRulesKnownBadInputsRuleSet")
                                .attr("vendor_name", "AWS"),
                        ),
                    )
                    .block(visibility("known-bad-inputs")),
            )
            .block(visibility("cht"));
        self.add(Concern::Access, acl);
        self.add(
            Concern::Access,
            resource("aws_cloudwatch_log_group", "waf")
                .note("What the firewall blocked, kept a year (WAF requires the aws-waf-logs- prefix).")
                .attr("name", Template::new().lit("aws-waf-logs-").interp("local.name"))
                .attr("retention_in_days", 365)
                .attr("kms_key_id", raw("aws_kms_key.main.arn")),
        );
        self.add(
            Concern::Access,
            resource("aws_wafv2_web_acl_logging_configuration", "main")
                .attr("resource_arn", raw("aws_wafv2_web_acl.main.arn"))
                .attr(
                    "log_destination_configs",
                    refs(["aws_cloudwatch_log_group.waf.arn"]),
                ),
        );
    }

    // ---------------------------------------------------------------------------- backup

    fn backup(&mut self) {
        let Some(backup) = self.ctx.cloud.backup.clone() else {
            return;
        };
        let keep = days(backup.keep_secs);
        let provider = self.bucket_place.as_ref().map(Place::provider);
        let with_provider = |block: Block| match &provider {
            Some(provider) => block.attr("provider", raw(provider)),
            None => block,
        };
        let bucket_comment = match (&self.bucket_place, &backup.offsite) {
            (Some(_), _) => format!(
                "The backup bucket, in {}, away from the environment's region: the Compose backup container writes there directly, so every backup is offsite.",
                backup.bucket_region
            ),
            (None, Some(_)) => format!("The backup bucket, in {}; it replicates to the offsite bucket below.", backup.bucket_region),
            (None, None) => format!("The backup bucket, in {}; the policy asks for no offsite copy.", backup.bucket_region),
        };
        self.bucket(
            "backups",
            &backup.bucket,
            &bucket_comment,
            keep,
            &self.backup_key_arn(),
            &with_provider,
        );
        let replicate = self.bucket_place.is_none() && backup.offsite.is_some();
        if replicate {
            if let Some(place) = self.offsite.clone() {
                let offsite_provider = place.provider();
                let with_offsite = |block: Block| block.attr("provider", raw(&offsite_provider));
                self.bucket(
                    "offsite",
                    &backup.replica_bucket,
                    "The offsite copy of every backup, in another region (the policy's `offsite`): a disaster at the environment's site cannot reach it.",
                    keep,
                    &place.key_arn(),
                    &with_offsite,
                );
                self.replication(&place);
            }
        }
        self.snapshots(&backup);
    }

    fn bucket(
        &mut self,
        name: &str,
        bucket: &str,
        comment: &str,
        keep: i64,
        key: &str,
        with_provider: &dyn Fn(Block) -> Block,
    ) {
        let reference = format!("aws_s3_bucket.{name}.id");
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket", name))
                .note(comment)
                .attr("bucket", bucket)
                .block(Block::new("lifecycle").attr("prevent_destroy", true)),
        );
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket_public_access_block", name))
                .note("Never public.")
                .attr("bucket", raw(&reference))
                .attr("block_public_acls", true)
                .attr("block_public_policy", true)
                .attr("ignore_public_acls", true)
                .attr("restrict_public_buckets", true),
        );
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket_ownership_controls", name))
                .attr("bucket", raw(&reference))
                .block(Block::new("rule").attr("object_ownership", "BucketOwnerEnforced")),
        );
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket_versioning", name))
                .note("Versioned: an overwritten or deleted backup can be recovered for as long as backups are kept.")
                .attr("bucket", raw(&reference))
                .block(Block::new("versioning_configuration").attr("status", "Enabled")),
        );
        self.add(
            Concern::Backup,
            with_provider(resource(
                "aws_s3_bucket_server_side_encryption_configuration",
                name,
            ))
            .attr("bucket", raw(&reference))
            .block(
                Block::new("rule").attr("bucket_key_enabled", true).block(
                    Block::new("apply_server_side_encryption_by_default")
                        .attr("sse_algorithm", "aws:kms")
                        .attr("kms_master_key_id", raw(key)),
                ),
            ),
        );
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket_lifecycle_configuration", name))
                .note(format!(
                    "The policy keeps backups {keep} days. The backup tool prunes its own copies (restic forgets snapshots older than that, keeping the data newer ones share, which an expiry by age would break), so the bucket expires what was replaced or deleted {keep} days later."
                ))
                .attr("bucket", raw(&reference))
                .block(
                    Block::new("rule")
                        .attr("id", format!("keep-{keep}-days"))
                        .attr("status", "Enabled")
                        .block(Block::new("filter"))
                        .block(Block::new("noncurrent_version_expiration").attr("noncurrent_days", keep))
                        .block(Block::new("expiration").attr("expired_object_delete_marker", true))
                        .block(Block::new("abort_incomplete_multipart_upload").attr("days_after_initiation", 7)),
                )
                .attr("depends_on", refs([format!("aws_s3_bucket_versioning.{name}")])),
        );
        self.add(
            Concern::Backup,
            data("aws_iam_policy_document", &format!("{name}_bucket")).block(
                Block::new("statement")
                    .attr("sid", "DenyInsecureTransport")
                    .attr("effect", "Deny")
                    .attr("actions", strings(["s3:*"]))
                    .attr(
                        "resources",
                        Expr::Tuple(vec![
                            raw(format!("aws_s3_bucket.{name}.arn")),
                            Expr::Template(
                                Template::new()
                                    .interp(format!("aws_s3_bucket.{name}.arn"))
                                    .lit("/*"),
                            ),
                        ]),
                    )
                    .block(
                        Block::new("principals")
                            .attr("type", "*")
                            .attr("identifiers", strings(["*"])),
                    )
                    .block(
                        Block::new("condition")
                            .attr("test", "Bool")
                            .attr("variable", "aws:SecureTransport")
                            .attr("values", strings(["false"])),
                    ),
            ),
        );
        self.add(
            Concern::Backup,
            with_provider(resource("aws_s3_bucket_policy", name))
                .note("Only over TLS.")
                .attr("bucket", raw(&reference))
                .attr(
                    "policy",
                    raw(format!("data.aws_iam_policy_document.{name}_bucket.json")),
                )
                .attr(
                    "depends_on",
                    refs([format!("aws_s3_bucket_public_access_block.{name}")]),
                ),
        );
    }

    fn replication(&mut self, place: &Place) {
        self.add(
            Concern::Backup,
            assume_role_document("replication_assume", "s3.amazonaws.com"),
        );
        self.add(
            Concern::Backup,
            resource("aws_iam_role", "replication")
                .attr("name", named("-backup-replication"))
                .attr(
                    "assume_role_policy",
                    raw("data.aws_iam_policy_document.replication_assume.json"),
                ),
        );
        let objects = |bucket: &str| {
            Expr::Template(
                Template::new()
                    .interp(format!("aws_s3_bucket.{bucket}.arn"))
                    .lit("/*"),
            )
        };
        self.add(
            Concern::Backup,
            data("aws_iam_policy_document", "replication")
                .block(
                    Block::new("statement")
                        .attr(
                            "actions",
                            strings(["s3:GetReplicationConfiguration", "s3:ListBucket"]),
                        )
                        .attr("resources", refs(["aws_s3_bucket.backups.arn"])),
                )
                .block(
                    Block::new("statement")
                        .attr(
                            "actions",
                            strings([
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ]),
                        )
                        .attr("resources", Expr::Tuple(vec![objects("backups")])),
                )
                .block(
                    Block::new("statement")
                        .attr(
                            "actions",
                            strings([
                                "s3:ReplicateObject",
                                "s3:ReplicateDelete",
                                "s3:ReplicateTags",
                            ]),
                        )
                        .attr("resources", Expr::Tuple(vec![objects("offsite")])),
                )
                .block(
                    Block::new("statement")
                        .attr("actions", strings(["kms:Decrypt"]))
                        .attr("resources", refs(["aws_kms_key.main.arn"])),
                )
                .block(
                    Block::new("statement")
                        .attr("actions", strings(["kms:Encrypt", "kms:GenerateDataKey"]))
                        .attr("resources", refs([place.key_arn()])),
                ),
        );
        self.add(
            Concern::Backup,
            resource("aws_iam_role_policy", "replication")
                .attr("role", raw("aws_iam_role.replication.id"))
                .attr(
                    "policy",
                    raw("data.aws_iam_policy_document.replication.json"),
                ),
        );
        self.add(
            Concern::Backup,
            resource("aws_s3_bucket_replication_configuration", "offsite")
                .note("Every backup object, and every deletion, is copied to the offsite bucket, whose own versioning keeps what was deleted as long as the policy keeps backups.")
                .attr("bucket", raw("aws_s3_bucket.backups.id"))
                .attr("role", raw("aws_iam_role.replication.arn"))
                .block(
                    Block::new("rule")
                        .attr("id", "offsite")
                        .attr("status", "Enabled")
                        .block(Block::new("filter"))
                        .block(Block::new("delete_marker_replication").attr("status", "Enabled"))
                        .block(
                            Block::new("source_selection_criteria").block(
                                Block::new("sse_kms_encrypted_objects").attr("status", "Enabled"),
                            ),
                        )
                        .block(
                            Block::new("destination")
                                .attr("bucket", raw("aws_s3_bucket.offsite.arn"))
                                .block(
                                    Block::new("encryption_configuration")
                                        .attr("replica_kms_key_id", raw(place.key_arn())),
                                )
                                .block(
                                    Block::new("metrics")
                                        .attr("status", "Enabled")
                                        .block(Block::new("event_threshold").attr("minutes", 15)),
                                ),
                        ),
                )
                .attr("depends_on", refs(["aws_s3_bucket_versioning.backups", "aws_s3_bucket_versioning.offsite"])),
        );
    }

    /// EBS snapshots of the data volumes on the policy's schedule (Data Lifecycle Manager),
    /// copied to the offsite region when the policy wants a copy there.
    fn snapshots(&mut self, backup: &ir::CloudBackup) {
        let keep = days(backup.keep_secs);
        self.add(
            Concern::Backup,
            assume_role_document("dlm_assume", "dlm.amazonaws.com"),
        );
        self.add(
            Concern::Backup,
            resource("aws_iam_role", "dlm")
                .attr("name", named("-snapshots"))
                .attr(
                    "assume_role_policy",
                    raw("data.aws_iam_policy_document.dlm_assume.json"),
                ),
        );
        let dlm_policy = self.managed_policy("service-role/AWSDataLifecycleManagerServiceRole");
        self.add(
            Concern::Backup,
            resource("aws_iam_role_policy_attachment", "dlm")
                .attr("role", raw("aws_iam_role.dlm.name"))
                .attr("policy_arn", dlm_policy),
        );
        let mut keys = vec!["aws_kms_key.main.arn".to_string()];
        let copy_place = self.offsite.clone();
        if let Some(place) = &copy_place {
            keys.push(place.key_arn());
        }
        self.add(
            Concern::Backup,
            data("aws_iam_policy_document", "dlm_kms").block(
                Block::new("statement")
                    .attr(
                        "actions",
                        strings([
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:DescribeKey",
                            "kms:CreateGrant",
                        ]),
                    )
                    .attr("resources", refs(&keys)),
            ),
        );
        self.add(
            Concern::Backup,
            resource("aws_iam_role_policy", "dlm_kms")
                .attr("role", raw("aws_iam_role.dlm.id"))
                .attr("policy", raw("data.aws_iam_policy_document.dlm_kms.json")),
        );
        let hours = backup_hours(backup.every_secs);
        let mut create = Block::new("create_rule");
        let allowed = [1u64, 2, 3, 4, 6, 8, 12, 24];
        let (create_comment, interval) = if allowed.contains(&hours) {
            (None, Some(hours))
        } else if hours.is_multiple_of(24) {
            (None, None)
        } else {
            let lower = allowed
                .iter()
                .copied()
                .filter(|it| *it <= hours)
                .max()
                .unwrap_or(1);
            (Some(format!("Data Lifecycle Manager takes snapshots every 1, 2, 3, 4, 6, 8, 12 or 24 hours; every {lower} hours is the nearest that is at least as frequent as the policy's {hours}.")), Some(lower))
        };
        match interval {
            Some(interval) => {
                create = create
                    .attr("interval", int(interval))
                    .attr("interval_unit", "HOURS");
                if interval == 24 {
                    create = create.attr("times", strings(["02:00"]));
                }
            }
            None => {
                create = create.attr(
                    "cron_expression",
                    format!("cron(0 2 */{} * ? *)", hours / 24),
                );
            }
        }
        if let Some(comment) = create_comment {
            create = create.note(comment);
        }
        let target_tags = if self.ctx.compose() {
            Object::new().with("Backup", raw("local.name"))
        } else {
            Object::new().with(
                "kubernetes.io/created-for/pvc/namespace",
                self.ctx.env.namespace.as_str(),
            )
        };
        let targets = if self.ctx.compose() {
            "the CHT host's data volumes (tagged Backup = the environment's name)".to_string()
        } else {
            format!(
                "the volumes of namespace `{}`, which the EBS CSI driver tags with it",
                self.ctx.env.namespace
            )
        };
        let mut schedule = Block::new("schedule")
            .attr("name", format!("every {hours} hours, kept {keep} days"))
            .attr("copy_tags", true)
            .block(create)
            .block(
                Block::new("retain_rule")
                    .attr("interval", keep)
                    .attr("interval_unit", "DAYS"),
            );
        if let Some(place) = &copy_place {
            schedule = schedule.block(
                Block::new("cross_region_copy_rule")
                    .note("A copy of every snapshot in the offsite region, kept as long.")
                    .attr("target", place.region_expr())
                    .attr("encrypted", true)
                    .attr("cmk_arn", raw(place.key_arn()))
                    .attr("copy_tags", true)
                    .block(
                        Block::new("retain_rule")
                            .attr("interval", keep)
                            .attr("interval_unit", "DAYS"),
                    ),
            );
        }
        self.add(
            Concern::Backup,
            resource("aws_dlm_lifecycle_policy", "snapshots")
                .note(format!(
                    "Snapshots of {targets}, {}.",
                    schedule_text(backup)
                ))
                .attr(
                    "description",
                    Template::new().lit("CHT data of ").interp("local.name"),
                )
                .attr("execution_role_arn", raw("aws_iam_role.dlm.arn"))
                .attr("state", "ENABLED")
                .block(
                    Block::new("policy_details")
                        .attr("resource_types", strings(["VOLUME"]))
                        .attr("target_tags", target_tags)
                        .block(schedule),
                ),
        );
    }

    // ---------------------------------------------------------------------------- dns

    fn needs_certificate(&self) -> bool {
        !self.ctx.compose() || self.host_load_balancer
    }

    fn dns(&mut self) {
        let env = self.ctx.env;
        self.add(
            Concern::Dns,
            data("aws_route53_zone", "main")
                .attr("name", raw("var.dns_zone"))
                .attr("private_zone", false),
        );
        if self.needs_certificate() {
            self.add(
                Concern::Dns,
                resource("aws_acm_certificate", "main")
                    .note("The TLS certificate, issued and renewed by ACM as long as the validation record below exists.")
                    .attr("domain_name", env.domain.as_str())
                    .attr("validation_method", "DNS")
                    .block(Block::new("lifecycle").attr("create_before_destroy", true)),
            );
            self.add(
                Concern::Dns,
                resource("aws_route53_record", "certificate_validation")
                    .attr("for_each", raw("{ for it in aws_acm_certificate.main.domain_validation_options : it.domain_name => it }"))
                    .attr("zone_id", raw("data.aws_route53_zone.main.zone_id"))
                    .attr("name", raw("each.value.resource_record_name"))
                    .attr("type", raw("each.value.resource_record_type"))
                    .attr("records", refs(["each.value.resource_record_value"]))
                    .attr("ttl", 300)
                    .attr("allow_overwrite", true),
            );
            self.add(
                Concern::Dns,
                resource("aws_acm_certificate_validation", "main")
                    .attr("certificate_arn", raw("aws_acm_certificate.main.arn"))
                    .attr(
                        "validation_record_fqdns",
                        raw("[for it in aws_route53_record.certificate_validation : it.fqdn]"),
                    ),
            );
        }
        if self.ctx.compose() {
            let record = resource("aws_route53_record", "cht")
                .attr("zone_id", raw("data.aws_route53_zone.main.zone_id"))
                .attr("name", env.domain.as_str())
                .attr("type", "A");
            let record = if self.host_load_balancer {
                record.block(
                    Block::new("alias")
                        .attr("name", raw("aws_lb.cht.dns_name"))
                        .attr("zone_id", raw("aws_lb.cht.zone_id"))
                        .attr("evaluate_target_health", true),
                )
            } else {
                record
                    .attr("ttl", 300)
                    .attr("records", refs(["aws_eip.cht.public_ip"]))
            };
            self.add(Concern::Dns, record);
        } else {
            self.add(
                Concern::Dns,
                data("aws_lbs", "ingress")
                    .note(format!(
                        "The Application Load Balancer the controller creates for CHT's Ingress (group `{}`). It exists only once CHT is deployed, so the DNS record and the firewall in front of it follow on the next `terraform apply` (see README.md).",
                        self.ctx.name
                    ))
                    .attr(
                        "tags",
                        Object::new()
                            .with("elbv2.k8s.aws/cluster", raw("local.name"))
                            .with("ingress.k8s.aws/stack", raw("local.name")),
                    ),
            );
            self.add(
                Concern::Dns,
                data("aws_lb", "ingress")
                    .attr("count", raw("min(length(data.aws_lbs.ingress.arns), 1)"))
                    .attr("arn", raw("tolist(data.aws_lbs.ingress.arns)[0]")),
            );
            self.add(
                Concern::Dns,
                resource("aws_route53_record", "cht")
                    .attr("count", raw("length(data.aws_lb.ingress)"))
                    .attr("zone_id", raw("data.aws_route53_zone.main.zone_id"))
                    .attr("name", env.domain.as_str())
                    .attr("type", "A")
                    .block(
                        Block::new("alias")
                            .attr("name", raw("data.aws_lb.ingress[count.index].dns_name"))
                            .attr("zone_id", raw("data.aws_lb.ingress[count.index].zone_id"))
                            .attr("evaluate_target_health", true),
                    ),
            );
            self.add(
                Concern::Access,
                resource("aws_wafv2_web_acl_association", "ingress")
                    .attr("count", raw("length(data.aws_lb.ingress)"))
                    .attr("resource_arn", raw("data.aws_lb.ingress[count.index].arn"))
                    .attr("web_acl_arn", raw("aws_wafv2_web_acl.main.arn")),
            );
        }
    }

    // ---------------------------------------------------------------------------- monitoring

    fn monitoring(&mut self) {
        let env = self.ctx.env;
        let Some(alerting) = env.alerting.as_ref() else {
            return;
        };
        let topic = |name: &str, key: &str, provider: Option<String>| {
            let block = resource("aws_sns_topic", name);
            let block = match provider {
                Some(provider) => block.attr("provider", raw(provider)),
                None => block,
            };
            block
                .attr("name", named("-alerts"))
                .attr("kms_master_key_id", raw(key))
        };
        let mut topic_note =
            "Where every alarm goes; each address confirms its subscription once, by e-mail."
                .to_string();
        if alerting.on.contains(&AlertCondition::ReplicationLimit) {
            topic_note.push_str(if self.covered_by_watchdog() {
                " Users over the replication limit are not here: no cloud metric can see them, and CHT Watchdog's rule \"Users Over Replication Limit\" raises that alert."
            } else {
                " Users over the replication limit are not watched: only CHT Watchdog can see them (add `monitor = watchdog` to the environment)."
            });
        }
        self.add(
            Concern::Monitoring,
            topic("alerts", "aws_kms_key.main.arn", None).note(topic_note),
        );
        self.subscriptions("alerts", None, alerting);
        let alarm_place = self.alarm_place.clone();
        if let Some(place) = &alarm_place {
            self.add(
                Concern::Monitoring,
                topic("alerts_us_east_1", &place.key_arn(), Some(place.provider()))
                    .note("The same channels for the downtime alarm, which lives in us-east-1."),
            );
            self.subscriptions("alerts_us_east_1", Some(place.provider()), alerting);
        }
        for condition in &alerting.on {
            match condition {
                AlertCondition::Downtime { minutes } => self.downtime_alarm(*minutes),
                AlertCondition::DiskUsed { percent } => self.disk_alarms(*percent),
                AlertCondition::CertExpiry { days } => self.certificate_alarm(*days),
                AlertCondition::BackupFailed => self.backup_alarms(),
                AlertCondition::ReplicationLimit => {}
            }
        }
        if self.ctx.compose() {
            self.instance_alarms("cht", "CHT host");
        }
        if env.monitoring.is_some() && self.machine(HostPurpose::Watchdog).is_some() {
            self.instance_alarms("watchdog", "CHT Watchdog host");
        }
    }

    fn covered_by_watchdog(&self) -> bool {
        self.ctx.env.monitoring.is_some()
    }

    fn subscriptions(&mut self, topic: &str, provider: Option<String>, alerting: &ir::Alerting) {
        let with_provider = |block: Block| match &provider {
            Some(provider) => block.attr("provider", raw(provider)),
            None => block,
        };
        if !alerting.email.is_empty() {
            self.add(
                Concern::Monitoring,
                with_provider(resource(
                    "aws_sns_topic_subscription",
                    &format!("{topic}_email"),
                ))
                .attr("for_each", Expr::call("toset", [strings(&alerting.email)]))
                .attr("topic_arn", raw(format!("aws_sns_topic.{topic}.arn")))
                .attr("protocol", "email")
                .attr("endpoint", raw("each.value")),
            );
        }
        if !alerting.webhook.is_empty() {
            self.add(
                Concern::Monitoring,
                with_provider(resource(
                    "aws_sns_topic_subscription",
                    &format!("{topic}_webhook"),
                ))
                .attr(
                    "for_each",
                    Expr::call("toset", [strings(&alerting.webhook)]),
                )
                .attr("topic_arn", raw(format!("aws_sns_topic.{topic}.arn")))
                .attr("protocol", "https")
                .attr("endpoint", raw("each.value")),
            );
        }
    }

    fn alarm(&self, name: &str, description: String, topic: &str) -> Block {
        self.alarm_in(None, name, description, topic)
    }

    fn alarm_in(
        &self,
        provider: Option<String>,
        name: &str,
        description: String,
        topic: &str,
    ) -> Block {
        let block = resource("aws_cloudwatch_metric_alarm", name);
        let block = match provider {
            Some(provider) => block.attr("provider", raw(provider)),
            None => block,
        };
        block
            .attr("alarm_name", named(&format!("-{}", name.replace('_', "-"))))
            .attr("alarm_description", description)
            .attr(
                "alarm_actions",
                refs([format!("aws_sns_topic.{topic}.arn")]),
            )
            .attr("ok_actions", refs([format!("aws_sns_topic.{topic}.arn")]))
    }

    fn downtime_alarm(&mut self, minutes: f64) {
        let env = self.ctx.env;
        let periods = (minutes.ceil() as i64).max(1);
        self.add(
            Concern::Monitoring,
            resource("aws_route53_health_check", "cht")
                .note(
                    "Checks from several places on the Internet that CHT answers, as users see it.",
                )
                .attr("fqdn", env.domain.as_str())
                .attr("port", 443)
                .attr("type", "HTTPS")
                .attr("resource_path", "/api/info")
                .attr("request_interval", 30)
                .attr("failure_threshold", 3)
                .attr("tags", Object::new().with("Name", named("-cht"))),
        );
        let (topic, provider) = match &self.alarm_place {
            Some(place) => ("alerts_us_east_1", Some(place.provider())),
            None => ("alerts", None),
        };
        let alarm = self
            .alarm_in(
                provider,
                "downtime",
                format!(
                    "{} does not answer for {} minutes (policy: downtime).",
                    env.url(),
                    hostplan_core::ir::trim_float(minutes)
                ),
                topic,
            )
            .attr("namespace", "AWS/Route53")
            .attr("metric_name", "HealthCheckStatus")
            .attr(
                "dimensions",
                Object::new().with("HealthCheckId", raw("aws_route53_health_check.cht.id")),
            )
            .attr("statistic", "Minimum")
            .attr("period", 60)
            .attr("evaluation_periods", periods)
            .attr("comparison_operator", "LessThanThreshold")
            .attr("threshold", 1)
            .attr("treat_missing_data", "breaching");
        self.add(Concern::Monitoring, alarm);
    }

    fn disk_alarms(&mut self, percent: f64) {
        let threshold = number(percent);
        let text = hostplan_core::ir::trim_float(percent);
        if self.ctx.compose() {
            let mut paths = vec!["/".to_string()];
            if let Some(machine) = self.machine(HostPurpose::ChtHost) {
                for disk in self.ctx.disks_of(&machine.host) {
                    paths.push(self.ctx.mount_point(disk));
                }
            }
            for path in paths {
                let name = if path == "/" {
                    "disk_root".to_string()
                } else {
                    format!("disk_{}", ident(path.rsplit('/').next().unwrap_or("data")))
                };
                let alarm = self
                    .alarm(
                        &name,
                        format!(
                            "{path} on the CHT host is more than {text}% full (policy: disk_used)."
                        ),
                        "alerts",
                    )
                    .attr("namespace", "Hostplan/CHT")
                    .attr("metric_name", "DiskUsedPercent")
                    .attr(
                        "dimensions",
                        Object::new()
                            .with("Environment", self.ctx.env.name.as_str())
                            .with("Path", path.as_str()),
                    )
                    .attr("statistic", "Maximum")
                    .attr("period", 300)
                    .attr("evaluation_periods", 1)
                    .attr("comparison_operator", "GreaterThanThreshold")
                    .attr("threshold", threshold.clone())
                    .attr("treat_missing_data", "breaching");
                self.add(Concern::Monitoring, alarm);
            }
        } else {
            let alarm = self
                .alarm(
                    "disk_nodes",
                    format!("A node's disk of the cluster is more than {text}% full (policy: disk_used). CouchDB's own volume is not visible to CloudWatch: watch it from inside the cluster."),
                    "alerts",
                )
                .attr("namespace", "ContainerInsights")
                .attr("metric_name", "node_filesystem_utilization")
                .attr("dimensions", Object::new().with("ClusterName", raw("aws_eks_cluster.main.name")))
                .attr("statistic", "Maximum")
                .attr("period", 300)
                .attr("evaluation_periods", 1)
                .attr("comparison_operator", "GreaterThanThreshold")
                .attr("threshold", threshold)
                .attr("treat_missing_data", "missing");
            self.add(Concern::Monitoring, alarm);
        }
    }

    fn certificate_alarm(&mut self, days: f64) {
        let env = self.ctx.env;
        let text = hostplan_core::ir::trim_float(days);
        let threshold = number(days);
        let alarm = if self.needs_certificate() {
            self.alarm(
                "certificate_expiry",
                format!("The certificate of {} expires within {text} days: ACM's renewal has failed (policy: cert_expiry).", env.domain),
                "alerts",
            )
            .attr("namespace", "AWS/CertificateManager")
            .attr("metric_name", "DaysToExpiry")
            .attr("dimensions", Object::new().with("CertificateArn", raw("aws_acm_certificate.main.arn")))
            .attr("statistic", "Minimum")
            .attr("period", 86_400)
            .attr("evaluation_periods", 1)
            .attr("comparison_operator", "LessThanThreshold")
            .attr("threshold", threshold)
            .attr("treat_missing_data", "notBreaching")
        } else {
            self.alarm(
                "certificate_expiry",
                format!("The certificate nginx serves for {} expires within {text} days: its renewal has failed (policy: cert_expiry).", env.domain),
                "alerts",
            )
            .attr("namespace", "Hostplan/CHT")
            .attr("metric_name", "CertificateDaysToExpiry")
            .attr("dimensions", Object::new().with("Environment", env.name.as_str()))
            .attr("statistic", "Minimum")
            .attr("period", 3600)
            .attr("evaluation_periods", 1)
            .attr("comparison_operator", "LessThanThreshold")
            .attr("threshold", threshold)
            .attr("treat_missing_data", "breaching")
        };
        self.add(Concern::Monitoring, alarm);
    }

    fn backup_alarms(&mut self) {
        let Some(backup) = self.ctx.cloud.backup.clone() else {
            return;
        };
        self.add(
            Concern::Monitoring,
            self.alarm(
                "snapshot_failed",
                "A scheduled snapshot of CHT's data failed (policy: backup_failed).".to_string(),
                "alerts",
            )
            .attr("namespace", "AWS/EBS")
            .attr("metric_name", "SnapshotsCreateFailed")
            .attr(
                "dimensions",
                Object::new().with("DLMPolicyId", raw("aws_dlm_lifecycle_policy.snapshots.id")),
            )
            .attr("statistic", "Sum")
            .attr("period", 3600)
            .attr("evaluation_periods", 1)
            .attr("comparison_operator", "GreaterThanOrEqualToThreshold")
            .attr("threshold", 1)
            .attr("treat_missing_data", "notBreaching"),
        );
        if self.offsite.is_some() {
            self.add(
                Concern::Monitoring,
                self.alarm(
                    "snapshot_copy_failed",
                    "A snapshot could not be copied to the offsite region (policy: backup_failed)."
                        .to_string(),
                    "alerts",
                )
                .attr("namespace", "AWS/EBS")
                .attr("metric_name", "SnapshotsCopiedRegionFailed")
                .attr(
                    "dimensions",
                    Object::new().with("DLMPolicyId", raw("aws_dlm_lifecycle_policy.snapshots.id")),
                )
                .attr("statistic", "Sum")
                .attr("period", 3600)
                .attr("evaluation_periods", 1)
                .attr("comparison_operator", "GreaterThanOrEqualToThreshold")
                .attr("threshold", 1)
                .attr("treat_missing_data", "notBreaching"),
            );
        }
        if self.bucket_place.is_none() && backup.offsite.is_some() {
            self.add(
                Concern::Monitoring,
                self.alarm("replication_failed", "Backup objects failed to replicate to the offsite bucket (policy: backup_failed).".to_string(), "alerts")
                    .attr("namespace", "AWS/S3")
                    .attr("metric_name", "OperationsFailedReplication")
                    .attr(
                        "dimensions",
                        Object::new()
                            .with("SourceBucket", raw("aws_s3_bucket.backups.id"))
                            .with("DestinationBucket", raw("aws_s3_bucket.offsite.id"))
                            .with("RuleId", "offsite"),
                    )
                    .attr("statistic", "Sum")
                    .attr("period", 3600)
                    .attr("evaluation_periods", 1)
                    .attr("comparison_operator", "GreaterThanOrEqualToThreshold")
                    .attr("threshold", 1)
                    .attr("treat_missing_data", "notBreaching"),
            );
        }
        if self.ctx.compose() && self.ctx.env.backup.is_some() {
            self.add(
                Concern::Monitoring,
                self.alarm(
                    "backup_failed",
                    format!("The latest backup of the CHT host failed, or none ran in the last {} hours (policy: backup_failed).", backup_hours(backup.every_secs) + 1),
                    "alerts",
                )
                .attr("namespace", "Hostplan/CHT")
                .attr("metric_name", "BackupSucceeded")
                .attr("dimensions", Object::new().with("Environment", self.ctx.env.name.as_str()))
                .attr("statistic", "Maximum")
                .attr("period", 300)
                .attr("evaluation_periods", 3)
                .attr("comparison_operator", "LessThanThreshold")
                .attr("threshold", 1)
                .attr("treat_missing_data", "breaching"),
            );
        }
    }

    /// Status checks of an EC2 host: a failed host is recovered onto new hardware, and the
    /// alert channels hear of it.
    fn instance_alarms(&mut self, name: &str, what: &str) {
        let recover = Expr::Template(
            Template::new()
                .lit("arn:")
                .interp("data.aws_partition.current.partition")
                .lit(":automate:")
                .lit(self.region)
                .lit(":ec2:recover"),
        );
        let alarm = self
            .alarm(&format!("{name}_system_check"), format!("The {what}'s hardware failed its status check; AWS recovers it onto other hardware."), "alerts")
            .attr("namespace", "AWS/EC2")
            .attr("metric_name", "StatusCheckFailed_System")
            .attr("dimensions", Object::new().with("InstanceId", raw(format!("aws_instance.{name}.id"))))
            .attr("statistic", "Maximum")
            .attr("period", 60)
            .attr("evaluation_periods", 2)
            .attr("comparison_operator", "GreaterThanOrEqualToThreshold")
            .attr("threshold", 1);
        let alarm = alarm.attr(
            "alarm_actions",
            Expr::Tuple(vec![raw("aws_sns_topic.alerts.arn"), recover]),
        );
        self.add(Concern::Monitoring, alarm);
        self.add(
            Concern::Monitoring,
            self.alarm(
                &format!("{name}_instance_check"),
                format!("The {what}'s operating system does not respond."),
                "alerts",
            )
            .attr("namespace", "AWS/EC2")
            .attr("metric_name", "StatusCheckFailed_Instance")
            .attr(
                "dimensions",
                Object::new().with("InstanceId", raw(format!("aws_instance.{name}.id"))),
            )
            .attr("statistic", "Maximum")
            .attr("period", 60)
            .attr("evaluation_periods", 5)
            .attr("comparison_operator", "GreaterThanOrEqualToThreshold")
            .attr("threshold", 1),
        );
    }

    // ---------------------------------------------------------------------------- access

    fn access(&mut self) {
        let env = self.ctx.env;
        for binding in &env.secrets {
            let name = binding.slot.name();
            self.add(
                Concern::Access,
                resource("aws_secretsmanager_secret", name)
                    .note(format!("{}: stored encrypted, for the deployment to read; the value comes from `var.{name}`.", crate::terraform::secret_what(binding.slot)))
                    .attr("name", Template::new().interp("local.name").lit(format!("/{name}")))
                    .attr("kms_key_id", raw("aws_kms_key.main.arn"))
                    .attr("recovery_window_in_days", 30),
            );
            self.add(
                Concern::Access,
                resource("aws_secretsmanager_secret_version", name)
                    .attr(
                        "secret_id",
                        raw(format!("aws_secretsmanager_secret.{name}.id")),
                    )
                    .attr("secret_string", raw(format!("var.{name}"))),
            );
        }
        let mut roles: Vec<ir::OperatorRole> = Vec::new();
        for operator in &env.operators {
            if !roles.contains(&operator.role) {
                roles.push(operator.role);
            }
        }
        for role in roles {
            let role_name = role.name();
            let members: Vec<String> = env
                .operators
                .iter()
                .filter(|it| it.role == role)
                .map(|it| format!("var.operator_{}_arn", ident(&it.name)))
                .collect();
            let mut statement = Block::new("statement")
                .attr("actions", strings(["sts:AssumeRole"]))
                .block(
                    Block::new("principals")
                        .attr("type", "AWS")
                        .attr("identifiers", refs(&members)),
                );
            if !env.security.admin_from.is_empty() {
                statement = statement.block(
                    Block::new("condition")
                        .attr("test", "IpAddress")
                        .attr("variable", "aws:SourceIp")
                        .attr("values", strings(&env.security.admin_from)),
                );
            }
            self.add(
                Concern::Access,
                data(
                    "aws_iam_policy_document",
                    &format!("operator_{role_name}_assume"),
                )
                .block(statement),
            );
            self.add(
                Concern::Access,
                resource("aws_iam_role", &format!("operator_{role_name}"))
                    .note(format!(
                        "The {role_name} role of this environment, for its operators{}.",
                        if env.security.admin_from.is_empty() {
                            String::new()
                        } else {
                            ", from the policy's admin networks only".to_string()
                        }
                    ))
                    .attr("name", named(&format!("-{role_name}")))
                    .attr(
                        "assume_role_policy",
                        raw(format!(
                            "data.aws_iam_policy_document.operator_{role_name}_assume.json"
                        )),
                    )
                    .attr("max_session_duration", 3600),
            );
            let policy = match role {
                ir::OperatorRole::Admin | ir::OperatorRole::Deployer => {
                    self.host_session_policy(role)
                }
                ir::OperatorRole::Viewer => None,
            };
            if let Some(policy) = policy {
                self.add(Concern::Access, policy);
                self.add(
                    Concern::Access,
                    resource("aws_iam_role_policy", &format!("operator_{role_name}"))
                        .attr("role", raw(format!("aws_iam_role.operator_{role_name}.id")))
                        .attr(
                            "policy",
                            raw(format!(
                                "data.aws_iam_policy_document.operator_{role_name}.json"
                            )),
                        ),
                );
            }
            if self.ctx.compose() {
                let cloudwatch = self.managed_policy("CloudWatchReadOnlyAccess");
                self.add(
                    Concern::Access,
                    resource(
                        "aws_iam_role_policy_attachment",
                        &format!("operator_{role_name}_read"),
                    )
                    .note("Every operator may read the alarms, metrics and logs.")
                    .attr(
                        "role",
                        raw(format!("aws_iam_role.operator_{role_name}.name")),
                    )
                    .attr("policy_arn", cloudwatch),
                );
            } else {
                let (policy, scope) = match role {
                    ir::OperatorRole::Admin => ("AmazonEKSClusterAdminPolicy", None),
                    ir::OperatorRole::Deployer => {
                        ("AmazonEKSEditPolicy", Some(env.namespace.as_str()))
                    }
                    ir::OperatorRole::Viewer => {
                        ("AmazonEKSViewPolicy", Some(env.namespace.as_str()))
                    }
                };
                self.add(
                    Concern::Access,
                    resource("aws_eks_access_entry", &format!("operator_{role_name}"))
                        .attr("cluster_name", raw("aws_eks_cluster.main.name"))
                        .attr(
                            "principal_arn",
                            raw(format!("aws_iam_role.operator_{role_name}.arn")),
                        ),
                );
                let mut scope_block = Block::new("access_scope");
                scope_block = match scope {
                    Some(namespace) => scope_block
                        .attr("type", "namespace")
                        .attr("namespaces", strings([namespace])),
                    None => scope_block.attr("type", "cluster"),
                };
                self.add(
                    Concern::Access,
                    resource(
                        "aws_eks_access_policy_association",
                        &format!("operator_{role_name}"),
                    )
                    .note(match scope {
                        Some(namespace) => {
                            format!("{role_name}s work in the namespace `{namespace}` only.")
                        }
                        None => "Admins administer the whole cluster.".to_string(),
                    })
                    .attr("cluster_name", raw("aws_eks_cluster.main.name"))
                    .attr(
                        "principal_arn",
                        raw(format!("aws_iam_role.operator_{role_name}.arn")),
                    )
                    .attr(
                        "policy_arn",
                        self.partition_arn(&format!(":eks::aws:cluster-access-policy/{policy}")),
                    )
                    .block(scope_block)
                    .attr(
                        "depends_on",
                        refs([format!("aws_eks_access_entry.operator_{role_name}")]),
                    ),
                );
            }
        }
    }

    /// Systems Manager sessions on the CHT host (admins and deployers), and for admins the
    /// backups too.
    fn host_session_policy(&self, role: ir::OperatorRole) -> Option<Block> {
        let mut hosts = Vec::new();
        if self.ctx.compose() {
            hosts.push(raw("aws_instance.cht.arn"));
        }
        if self.ctx.env.monitoring.is_some() && self.machine(HostPurpose::Watchdog).is_some() {
            hosts.push(raw("aws_instance.watchdog.arn"));
        }
        if hosts.is_empty() {
            return None;
        }
        hosts.push(Expr::Template(
            Template::new()
                .lit("arn:")
                .interp("data.aws_partition.current.partition")
                .lit(format!(":ssm:{}:", self.region))
                .interp("data.aws_caller_identity.current.account_id")
                .lit(":document/SSM-SessionManagerRunShell"),
        ));
        hosts.push(self.partition_arn(&format!(
            ":ssm:{}::document/AWS-StartPortForwardingSession",
            self.region
        )));
        let mut doc = data(
            "aws_iam_policy_document",
            &format!("operator_{}", role.name()),
        )
        .block(
            Block::new("statement")
                .note("Systems Manager sessions (a shell, or a port forward to Grafana) on the environment's hosts: no SSH anywhere.")
                .attr("sid", "SessionsOnTheHosts")
                .attr("actions", strings(["ssm:StartSession"]))
                .attr("resources", Expr::Tuple(hosts)),
        );
        doc = doc.block(
            Block::new("statement")
                .attr("sid", "OwnSessions")
                .attr(
                    "actions",
                    strings(["ssm:TerminateSession", "ssm:ResumeSession"]),
                )
                .attr(
                    "resources",
                    Expr::Tuple(vec![Expr::Template(
                        Template::new()
                            .lit("arn:")
                            .interp("data.aws_partition.current.partition")
                            .lit(format!(":ssm:{}:", self.region))
                            .interp("data.aws_caller_identity.current.account_id")
                            .lit(":session/${aws:userid}-*"),
                    )]),
                ),
        );
        if role == ir::OperatorRole::Admin && self.ctx.cloud.backup.is_some() && self.ctx.compose()
        {
            doc = doc.block(
                Block::new("statement")
                    .attr("sid", "ReadBackups")
                    .attr(
                        "actions",
                        strings(["s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion"]),
                    )
                    .attr(
                        "resources",
                        Expr::Tuple(vec![
                            raw("aws_s3_bucket.backups.arn"),
                            Expr::Template(
                                Template::new()
                                    .interp("aws_s3_bucket.backups.arn")
                                    .lit("/*"),
                            ),
                        ]),
                    ),
            );
            doc = doc.block(
                Block::new("statement")
                    .attr("sid", "DecryptBackups")
                    .attr("actions", strings(["kms:Decrypt"]))
                    .attr("resources", refs([self.backup_key_arn()])),
            );
        }
        Some(doc)
    }

    // ---------------------------------------------------------------------------- outputs

    fn outputs(&mut self) {
        let env = self.ctx.env;
        let mut outputs = vec![
            output("region", "The AWS region of the environment.", Expr::Str(self.region.to_string())),
            output("vpc_id", "The VPC.", raw(self.vpc_id())),
            output("kms_key_arn", "The key everything at rest is encrypted with; a StorageClass for CHT's volumes names it as kmsKeyId.", raw("aws_kms_key.main.arn")),
        ];
        if self.ctx.compose() {
            if self.host_load_balancer {
                outputs.push(output(
                    "load_balancer_dns_name",
                    "The load balancer in front of the CHT host.",
                    raw("aws_lb.cht.dns_name"),
                ));
            } else {
                outputs.push(output(
                    "cht_host_public_ip",
                    "The CHT host's fixed public address, which the DNS record points at.",
                    raw("aws_eip.cht.public_ip"),
                ));
            }
            outputs.push(output(
                "cht_host_instance_id",
                "For Systems Manager sessions: aws ssm start-session --target <id>.",
                raw("aws_instance.cht.id"),
            ));
        } else {
            outputs.push(output(
                "cluster_name",
                "The EKS cluster: aws eks update-kubeconfig --name <name>.",
                raw("aws_eks_cluster.main.name"),
            ));
            outputs.push(output(
                "cluster_endpoint",
                "The Kubernetes API, reachable from the policy's admin networks.",
                raw("aws_eks_cluster.main.endpoint"),
            ));
            outputs.push(output("certificate_arn", "The ACM certificate of CHT's Ingress (annotation alb.ingress.kubernetes.io/certificate-arn).", raw("aws_acm_certificate_validation.main.certificate_arn")));
            outputs.push(output("ingress_group_name", "The Ingress group name (annotation alb.ingress.kubernetes.io/group.name) the DNS record follows.", raw("local.name")));
            outputs.push(output("load_balancer_controller_role_arn", "The role the AWS Load Balancer Controller's service account uses (EKS Pod Identity).", raw("aws_iam_role.load_balancer_controller.arn")));
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
                outputs.push(output("backup_role_arn", "The role a backup job's service account `cht-backup` uses to write the backup bucket.", raw("aws_iam_role.backup.arn")));
            }
        }
        if let Some(backup) = &self.ctx.cloud.backup {
            outputs.push(output(
                "backup_bucket",
                &format!("The backup bucket, in {}.", backup.bucket_region),
                raw("aws_s3_bucket.backups.id"),
            ));
        }
        if env.monitoring.is_some() && self.machine(HostPurpose::Watchdog).is_some() {
            outputs.push(output(
                "watchdog_instance_id",
                "The CHT Watchdog host, for Systems Manager sessions and Grafana port forwarding.",
                raw("aws_instance.watchdog.id"),
            ));
        }
        if !env.secrets.is_empty() {
            let secrets: Object = env
                .secrets
                .iter()
                .map(|it| {
                    (
                        it.slot.name(),
                        raw(format!("aws_secretsmanager_secret.{}.arn", it.slot.name())),
                    )
                })
                .collect();
            outputs.push(output(
                "secret_arns",
                "Where each secret is stored (its ARN, never its value).",
                Expr::Object(secrets),
            ));
        }
        if env.alerting.is_some() {
            outputs.push(output(
                "alert_topic_arn",
                "The SNS topic every alarm notifies.",
                raw("aws_sns_topic.alerts.arn"),
            ));
        }
        let mut roles: Vec<ir::OperatorRole> = Vec::new();
        for operator in &env.operators {
            if !roles.contains(&operator.role) {
                roles.push(operator.role);
            }
        }
        if !roles.is_empty() {
            let object: Object = roles
                .iter()
                .map(|it| {
                    (
                        it.name(),
                        raw(format!("aws_iam_role.operator_{}.arn", it.name())),
                    )
                })
                .collect();
            outputs.push(output(
                "operator_role_arns",
                "The role each kind of operator assumes.",
                Expr::Object(object),
            ));
        }
        for block in outputs {
            self.add(Concern::Outputs, block);
        }
    }

    fn steps(&mut self) {
        let env = self.ctx.env;
        let mut before = vec![
            format!("Make sure the public hosted zone `{}` exists in Route 53 (or set `dns_zone` to the zone that holds `{}`).", parent_domain(&env.domain), env.domain),
            "Keep Terraform's state in an encrypted, access-controlled backend (an S3 bucket with versioning and a DynamoDB lock table, or Terraform Cloud): the state holds the secrets' values.".to_string(),
        ];
        let places = self.places();
        let mut opt_in: Vec<&str> = Vec::new();
        for region in std::iter::once(Some(self.region))
            .chain(places.iter().map(|it| it.region.as_deref()))
            .flatten()
        {
            if OPT_IN_REGIONS.contains(&region) && !opt_in.contains(&region) {
                opt_in.push(region);
            }
        }
        if !opt_in.is_empty() {
            before.push(format!(
                "Enable the opt-in region{} {} in the account first.",
                if opt_in.len() == 1 { "" } else { "s" },
                opt_in.join(" and ")
            ));
        }
        let mut after = Vec::new();
        if env.alerting.as_ref().is_some_and(|it| !it.email.is_empty()) {
            after.push("Every alert address receives a subscription e-mail from AWS; alerts reach it only after the link in it is followed.".to_string());
        }
        if self.ctx.compose() {
            after.push("Open a session on the CHT host with `aws ssm start-session --target $(terraform output -raw cht_host_instance_id)`; cloud-init has installed Docker, mounted the data disks and created the CHT directories (`cloud-init status --wait`).".to_string());
            if !env.secrets.is_empty() {
                after.push("Fill `upgrade-service/.env` on the host: the secrets are in Secrets Manager (`aws secretsmanager get-secret-value --secret-id <arn> --query SecretString --output text`, with the ARNs of `terraform output secret_arns`); the host's role may read them.".to_string());
            }
            if env.backup.is_some() {
                after.push("Leave `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` empty in `.env`: the backup container uses the host's role.".to_string());
            }
            after.push("Then follow ../README.md from \"Deploy, step by step\".".to_string());
        } else {
            after.push(
                "`aws eks update-kubeconfig --name $(terraform output -raw cluster_name)`."
                    .to_string(),
            );
            after.push("Install the AWS Load Balancer Controller with Helm: `helm repo add eks https://aws.github.io/eks-charts`, then `helm install aws-load-balancer-controller eks/aws-load-balancer-controller -n kube-system --set clusterName=$(terraform output -raw cluster_name) --set serviceAccount.name=aws-load-balancer-controller --set region=$(terraform output -raw region) --set vpcId=$(terraform output -raw vpc_id)`.".to_string());
            after.push(format!("Deploy CHT with its Ingress in the group `{}` and the certificate of `terraform output certificate_arn`; CouchDB's pods tolerate `{}={}:NoSchedule` and select `{}`. The StorageClass of CHT's volumes sets `encrypted: \"true\"` and `kmsKeyId` from `terraform output kms_key_arn`.", self.ctx.name, COUCHDB_TAINT.0, COUCHDB_TAINT.1, COUCHDB_NODE_LABEL));
            after.push("Run `terraform apply` again: it finds the Ingress's load balancer, points the DNS record at it and puts the firewall in front of it.".to_string());
        }
        if env.monitoring.is_some() {
            after.push("On the Watchdog host (`aws ssm start-session --target $(terraform output -raw watchdog_instance_id)`), CHT Watchdog is checked out in `/home/ubuntu/cht-watchdog`: copy in this environment's Watchdog settings, fill its `.env`, and `docker compose up --detach`. Reach Grafana through a port forward: `aws ssm start-session --target <id> --document-name AWS-StartPortForwardingSession --parameters portNumber=3000,localPortNumber=3000`.".to_string());
        }
        self.module.before_apply = before;
        self.module.after_apply = after;
    }
}

/// A threshold as a number: whole values without a fraction.
fn number(value: f64) -> Expr {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Expr::Int(value as i64)
    } else {
        Expr::float(value).unwrap_or(Expr::Int(0))
    }
}

/// `data "aws_iam_policy_document" NAME` letting a service assume a role.
fn assume_role_document(name: &str, service: &str) -> Block {
    data("aws_iam_policy_document", name).block(
        Block::new("statement")
            .attr("actions", strings(["sts:AssumeRole"]))
            .block(
                Block::new("principals")
                    .attr("type", "Service")
                    .attr("identifiers", strings([service])),
            ),
    )
}

fn pod_identity(name: &str, namespace: &str, service_account: &str, role: &str) -> Block {
    resource("aws_eks_pod_identity_association", name)
        .attr("cluster_name", raw("aws_eks_cluster.main.name"))
        .attr("namespace", namespace)
        .attr("service_account", service_account)
        .attr("role_arn", raw(role))
}

fn ingress_rule(
    name: &str,
    group: &str,
    port: u16,
    cidr: Option<&str>,
    source_group: Option<&str>,
) -> Block {
    let mut block = resource("aws_vpc_security_group_ingress_rule", name)
        .attr("security_group_id", raw(group))
        .attr(
            "description",
            if port == 80 {
                "HTTP: ACME challenges and the redirect to HTTPS"
            } else {
                "HTTPS: CHT"
            },
        )
        .attr("ip_protocol", "tcp")
        .attr("from_port", port)
        .attr("to_port", port);
    if let Some(cidr) = cidr {
        block = block.attr("cidr_ipv4", cidr);
    }
    if let Some(source) = source_group {
        block = block.attr("referenced_security_group_id", raw(source));
    }
    block
}

fn egress_all(name: &str, group: &str) -> Block {
    resource("aws_vpc_security_group_egress_rule", &format!("{name}_out"))
        .attr("security_group_id", raw(group))
        .attr(
            "description",
            "Outbound: images, packages, ACME, and the cloud's APIs",
        )
        .attr("ip_protocol", "-1")
        .attr("cidr_ipv4", "0.0.0.0/0")
}

/// The root principal of the account: IAM policies of the account decide who uses the key.
fn account_root() -> Expr {
    Expr::Template(
        Template::new()
            .lit("arn:")
            .interp("data.aws_partition.current.partition")
            .lit(":iam::")
            .interp("data.aws_caller_identity.current.account_id")
            .lit(":root"),
    )
}
