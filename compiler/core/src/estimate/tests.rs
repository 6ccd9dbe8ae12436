//! Tests of the estimate: the official calculator by hand-computed cases, then each part of the extended model.

use crate::estimate::{
    assumptions::{registry, AssumptionKey, Assumptions, RejectReason},
    estimate, estimate_reusing, format,
    input::{
        BackupInput, Distribution, EnvInput, EnvKind, Infra, InstanceOffer, PlanInput,
        ProviderPrices, RoleInput, Target,
    },
    money::Money,
    official::{official, CalculatorInput},
    output::{Component, NodeRole, PlanEstimate, QuantityUnit, Service},
    EstimateMemo,
};

/// What a test expects from the calculator; money in cents.
struct Expected {
    medic_docs: u64,
    db_disk_gb: u64,
    total_disk_gb: u64,
    cpus: u64,
    ram_gb: u64,
    monthly_cents: u64,
}

fn check_official(input: CalculatorInput, overrides: &[(&str, f64)], expected: Expected) {
    let overrides: Vec<(String, f64)> = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    let (assumptions, rejected) = Assumptions::with_overrides(&overrides);
    assert_eq!(rejected, Vec::new());
    let res = official(&input, &assumptions);
    assert_eq!(res.medic_docs, expected.medic_docs, "medic docs");
    assert_eq!(res.db_disk_gb, expected.db_disk_gb, "db disk");
    assert_eq!(res.total_disk_gb, expected.total_disk_gb, "total disk");
    assert_eq!(res.cpus, expected.cpus, "cpus");
    assert_eq!(res.ram_gb, expected.ram_gb, "ram");
    assert_eq!(res.monthly.cents(), expected.monthly_cents, "monthly cost");
    assert_eq!(
        res.disk_monthly.saturating_add(res.compute_monthly),
        res.monthly
    );
    assert_eq!(res.yearly.cents(), expected.monthly_cents * 12);
}

#[test]
fn official_defaults_match_the_calculator() {
    // places   = floor(100,000 x 0.36) = 36,000
    // contacts = 1,000 + 100,000 + 36,000 = 137,000
    // records  = 10 x 100,000 x 1 x 1 = 1,000,000
    // docs     = 1,137,000
    // db disk  = ceil(1,137,000 / 186,089) = ceil(6.11) = 7 GB
    // total    = 7 + 7 x 5 + 50 = 92 GB
    // f        = max(1, (1,137,000 / 1,000) / 8,717) = max(1, 0.13) = 1
    // cpus     = ceil(1,000 x 1 / 288) = ceil(3.47) = 4; ram = 8 GB
    // monthly  = 92 x $0.08 + 4 x $20.85 = $7.36 + $83.40 = $90.76
    check_official(
        CalculatorInput::default(),
        &[],
        Expected {
            medic_docs: 1_137_000,
            db_disk_gb: 7,
            total_disk_gb: 92,
            cpus: 4,
            ram_gb: 8,
            monthly_cents: 9_076,
        },
    );
    let res = official(&CalculatorInput::default(), &Assumptions::default());
    assert_eq!(
        (res.places, res.contacts, res.records),
        (36_000, 137_000, 1_000_000)
    );
    assert_eq!(
        (res.disk_monthly.cents(), res.compute_monthly.cents()),
        (736, 8_340)
    );
    assert_eq!(res.yearly.to_string(), "$1,089.12");
}

#[test]
fn official_smallest_inputs() {
    // places   = floor(1,000 x 0.36) = 360
    // contacts = 10 + 1,000 + 360 = 1,370
    // records  = 1 x 1,000 x 1 x 1 = 1,000
    // docs     = 2,370
    // db disk  = max(1, ceil(2,370 / 186,089)) = max(1, ceil(0.013)) = 1 GB
    // total    = 1 + 1 x 5 + 50 = 56 GB
    // f        = max(1, 237 / 8,717) = 1
    // cpus     = max(1, ceil(10 / 288)) = 1; ram = 2 GB
    // monthly  = 56 x $0.08 + 1 x $20.85 = $4.48 + $20.85 = $25.33
    check_official(
        CalculatorInput {
            population: 1_000,
            workflows: 1,
            users: 10,
            years: 1,
        },
        &[],
        Expected {
            medic_docs: 2_370,
            db_disk_gb: 1,
            total_disk_gb: 56,
            cpus: 1,
            ram_gb: 2,
            monthly_cents: 2_533,
        },
    );
}

#[test]
fn official_largest_inputs() {
    // places   = floor(2,000,000 x 0.36) = 720,000
    // contacts = 15,000 + 2,000,000 + 720,000 = 2,735,000
    // records  = 40 x 2,000,000 x 10 x 1 = 800,000,000
    // docs     = 802,735,000
    // db disk  = ceil(802,735,000 / 186,089): 186,089 x 4,313 = 802,601,857 < docs, so 4,314 GB
    // total    = 4,314 + 4,314 x 5 + 50 = 25,934 GB
    // f        = (802,735,000 / 15,000) / 8,717 = 53,515.67 / 8,717 = 6.14 > 1
    // cpus     = ceil(15,000 x f / 288) = ceil(802,735,000 / (8,717 x 288)) = ceil(802,735,000 / 2,510,496)
    //          = ceil(319.75) = 320; ram = 640 GB
    // monthly  = 25,934 x $0.08 + 320 x $20.85 = $2,074.72 + $6,672.00 = $8,746.72
    check_official(
        CalculatorInput {
            population: 2_000_000,
            workflows: 40,
            users: 15_000,
            years: 10,
        },
        &[],
        Expected {
            medic_docs: 802_735_000,
            db_disk_gb: 4_314,
            total_disk_gb: 25_934,
            cpus: 320,
            ram_gb: 640,
            monthly_cents: 874_672,
        },
    );
}

#[test]
fn official_few_users_many_documents_scale_cpus_by_documents() {
    // places   = floor(500,000 x 0.36) = 180,000
    // contacts = 100 + 500,000 + 180,000 = 680,100
    // records  = 20 x 500,000 x 2 x 1 = 20,000,000
    // docs     = 20,680,100
    // db disk  = ceil(20,680,100 / 186,089): 186,089 x 111 = 20,655,879 < docs, so 112 GB
    // total    = 112 + 560 + 50 = 722 GB
    // f        = (20,680,100 / 100) / 8,717 = 206,801 / 8,717 = 23.72
    // cpus     = ceil(20,680,100 / 2,510,496) = ceil(8.24) = 9; ram = 18 GB
    // monthly  = 722 x $0.08 + 9 x $20.85 = $57.76 + $187.65 = $245.41
    check_official(
        CalculatorInput {
            population: 500_000,
            workflows: 20,
            users: 100,
            years: 2,
        },
        &[],
        Expected {
            medic_docs: 20_680_100,
            db_disk_gb: 112,
            total_disk_gb: 722,
            cpus: 9,
            ram_gb: 18,
            monthly_cents: 24_541,
        },
    );
}

#[test]
fn official_with_advanced_inputs_overridden() {
    // Over-provision 3, 2 docs per person per workflow per year, 100 users per CPU.
    // contacts = 1,000 + 100,000 + 36,000 = 137,000
    // records  = 10 x 100,000 x 1 x 2 = 2,000,000
    // docs     = 2,137,000
    // db disk  = ceil(2,137,000 / 186,089) = ceil(11.48) = 12 GB
    // total    = 12 + 12 x 3 + 50 = 98 GB
    // f        = max(1, 2,137 / 8,717) = 1
    // cpus     = ceil(1,000 / 100) = 10; ram = 20 GB
    // monthly  = 98 x $0.08 + 10 x $20.85 = $7.84 + $208.50 = $216.34
    check_official(
        CalculatorInput::default(),
        &[
            ("db_overprovision_factor", 3.0),
            ("docs_per_person_workflow_year", 2.0),
            ("users_per_cpu", 100.0),
        ],
        Expected {
            medic_docs: 2_137_000,
            db_disk_gb: 12,
            total_disk_gb: 98,
            cpus: 10,
            ram_gb: 20,
            monthly_cents: 21_634,
        },
    );
}

#[test]
fn official_zero_users_uses_one_cpu() {
    // contacts = 0 + 1,000 + 360 = 1,360; records = 1,000; docs = 2,360
    // docs per user is 0 when there are no users (as in the calculator), so f = 1 and cpus = max(1, ceil(0)) = 1.
    // monthly  = 56 x $0.08 + $20.85 = $25.33
    check_official(
        CalculatorInput {
            population: 1_000,
            workflows: 1,
            users: 0,
            years: 1,
        },
        &[],
        Expected {
            medic_docs: 2_360,
            db_disk_gb: 1,
            total_disk_gb: 56,
            cpus: 1,
            ram_gb: 2,
            monthly_cents: 2_533,
        },
    );
}

#[test]
fn official_with_prices_overridden() {
    // Defaults with disk at $0.10/GB-month and compute at $30.005/CPU-month.
    // disk    = 92 x $0.10 = $9.20
    // compute = 4 x $30.005 = $120.02 exactly (micro-dollars: 4 x 30,005,000 = 120,020,000)
    // monthly = $129.22
    check_official(
        CalculatorInput::default(),
        &[
            ("disk_usd_per_gb_month", 0.10),
            ("compute_usd_per_cpu_month", 30.005),
        ],
        Expected {
            medic_docs: 1_137_000,
            db_disk_gb: 7,
            total_disk_gb: 92,
            cpus: 4,
            ram_gb: 8,
            monthly_cents: 12_922,
        },
    );
}

#[test]
fn official_empty_and_huge_inputs_do_not_panic() {
    let assumptions = Assumptions::default();
    let empty = official(
        &CalculatorInput {
            population: 0,
            workflows: 0,
            users: 0,
            years: 0,
        },
        &assumptions,
    );
    assert_eq!(
        (
            empty.medic_docs,
            empty.db_disk_gb,
            empty.total_disk_gb,
            empty.cpus
        ),
        (0, 1, 56, 1)
    );
    let huge = official(
        &CalculatorInput {
            population: u64::MAX,
            workflows: u64::MAX,
            users: u64::MAX,
            years: u64::MAX,
        },
        &assumptions,
    );
    assert_eq!(huge.medic_docs, u64::MAX);
    assert_eq!(huge.total_disk_gb, u64::MAX);
    assert!(0 < huge.monthly.cents());
}

#[test]
fn money_rounds_half_up_to_cents() {
    assert_eq!(Money::from_dollars(0.08), Some(Money::from_micros(80_000)));
    assert_eq!(
        Money::from_dollars(20.85),
        Some(Money::from_micros(20_850_000))
    );
    assert_eq!(Money::from_dollars(-1.0), None);
    assert_eq!(Money::from_dollars(f64::NAN), None);
    assert_eq!(Money::from_micros(4_999).cents(), 0);
    assert_eq!(Money::from_micros(5_000).cents(), 1);
    assert_eq!(Money::from_micros(15_000).cents(), 2);
    // 730 h x $0.0416 = $30.368 exactly, which rounds to $30.37.
    let monthly = Money::from_dollars(0.0416).map(|it| it.times(730).round_to_cents());
    assert_eq!(monthly, Some(Money::from_cents(3_037)));
    // A 120% regional factor on $0.17 is $0.204.
    assert_eq!(
        Money::from_micros(170_000).scale_basis_points(12_000),
        Money::from_micros(204_000)
    );
    assert_eq!(
        Money::from_micros(u64::MAX).times(3),
        Money::from_micros(u64::MAX)
    );
    assert_eq!(Money::from_cents(108_912).to_string(), "$1,089.12");
}

#[test]
fn numbers_have_one_text_form() {
    assert_eq!(format::int(0), "0");
    assert_eq!(format::int(999), "999");
    assert_eq!(format::int(1_000), "1,000");
    assert_eq!(format::int(1_137_000), "1,137,000");
    assert_eq!(format::int(u64::MAX), "18,446,744,073,709,551,615");
    assert_eq!(format::dollars(9_076), "$90.76");
    assert_eq!(format::dollars(5), "$0.05");
    assert_eq!(format::vcpu(2_481), "2.48");
    assert_eq!(format::vcpu(2_485), "2.49");
    assert_eq!(format::vcpu_short(4_000), "4");
    assert_eq!(format::gib(5_080), "4.96");
    assert_eq!(format::gib_short(8_192), "8");
    assert_eq!(format::gib_short(512), "0.5");
}

#[test]
fn registry_is_complete_and_consistent() {
    let defs = registry();
    let mut names: Vec<&str> = defs.iter().map(|def| def.name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "assumption names are unique");
    for def in defs {
        assert_eq!(def.key.def(), def, "{} resolves to its own entry", def.name);
        assert_eq!(AssumptionKey::from_name(def.name), Some(def.key));
        assert!(def
            .name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'));
        assert!(
            def.min <= def.default && def.default <= def.max,
            "{} default in range",
            def.name
        );
        assert!(def.doc.ends_with('.'), "{} doc is a sentence", def.name);
        assert!(!def.source.is_empty() && !def.unit.is_empty());
    }
}

#[test]
fn overrides_are_validated() {
    let overrides = vec![
        ("users_per_cpu".to_owned(), 300.0),
        ("user_per_cpu".to_owned(), 1.0),
        ("medic_docs_per_gb".to_owned(), 0.0),
        ("hours_per_month".to_owned(), f64::INFINITY),
        ("users_per_cpu".to_owned(), 250.0),
    ];
    let (assumptions, rejected) = Assumptions::with_overrides(&overrides);
    let reasons: Vec<(&str, &RejectReason)> = rejected
        .iter()
        .map(|it| (it.name.as_str(), &it.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("user_per_cpu", &RejectReason::UnknownKey),
            (
                "medic_docs_per_gb",
                &RejectReason::OutOfRange {
                    min: 1.0,
                    max: 1.0e9
                }
            ),
            ("hours_per_month", &RejectReason::NotFinite),
        ]
    );
    assert_eq!(assumptions.get(AssumptionKey::UsersPerCpu), 250.0);
    assert!(assumptions.is_overridden(AssumptionKey::UsersPerCpu));
    assert!(!assumptions.is_overridden(AssumptionKey::MedicDocsPerGb));
    assert_eq!(assumptions.get(AssumptionKey::MedicDocsPerGb), 186_089.0);
    let overridden: Vec<&str> = assumptions
        .entries()
        .iter()
        .filter(|it| it.overridden)
        .map(|it| it.def.name)
        .collect();
    assert_eq!(overridden, vec!["users_per_cpu"]);
}

// The extended estimate.

fn role(name: &str, count: u64, offline: bool) -> RoleInput {
    RoleInput {
        name: name.to_owned(),
        count,
        offline,
    }
}

fn env(name: &str, target: Target, infra: Infra) -> EnvInput {
    EnvInput {
        name: name.to_owned(),
        kind: EnvKind::Production,
        scale_percent: 100.0,
        couchdb_nodes: 1,
        target,
        infra,
        backup: None,
        monitor_watchdog: false,
        analytics_cht_sync: false,
    }
}

fn aws(factor: f64) -> Infra {
    Infra::Cloud {
        provider: "aws".to_owned(),
        region: "us-east-1".to_owned(),
        price_factor_percent: factor,
    }
}

fn offer(name: &str, vcpu: u32, memory_gib: f64, hourly_usd: f64) -> InstanceOffer {
    InstanceOffer {
        name: name.to_owned(),
        vcpu,
        memory_gib,
        hourly_usd,
    }
}

fn aws_prices() -> ProviderPrices {
    ProviderPrices {
        provider: "aws".to_owned(),
        prices_date: "2026-01-01".to_owned(),
        prices_source: "test table".to_owned(),
        instances: vec![
            offer("c6i.2xlarge", 8, 16.0, 0.34),
            offer("c6i.large", 2, 4.0, 0.085),
            offer("c6i.xlarge", 4, 8.0, 0.17),
            offer("m6i.large", 2, 8.0, 0.096),
            offer("t3.medium", 2, 4.0, 0.0416),
        ],
        block_storage_gib_month: 0.08,
        object_storage_gib_month: 0.023,
        kubernetes_cluster_hourly: 0.10,
    }
}

/// The calculator's default inputs as a one-year plan with one environment.
fn calculator_plan(environment: EnvInput) -> PlanInput {
    PlanInput {
        plan_name: "test".to_owned(),
        cht_major: 5,
        horizon_years: 1,
        population: 100_000,
        workflows: 10,
        growth_percent: 0.0,
        roles: vec![role("chw", 1_000, false)],
        environments: vec![environment],
        catalogue: vec![aws_prices()],
        overrides: Vec::new(),
    }
}

fn line_items(plan: &PlanEstimate) -> Vec<(String, u64, Option<u64>)> {
    plan.environments[0]
        .line_items
        .iter()
        .map(|it| (it.id.to_owned(), it.quantity, it.monthly.map(Money::cents)))
        .collect()
}

fn codes(plan: &PlanEstimate) -> Vec<&'static str> {
    plan.findings.iter().map(|it| it.code).collect()
}

#[test]
fn no_growth_reproduces_the_calculator() {
    let mut input = calculator_plan(env("prod", Target::Compose, aws(100.0)));
    input.horizon_years = 4;
    input.population = 500_000;
    input.workflows = 20;
    let plan = estimate(&input);
    let last = plan.environments[0].years.last().cloned();
    let official = &plan.official;
    assert_eq!(
        last.as_ref().map(|it| it.medic_docs),
        Some(official.medic_docs)
    );
    assert_eq!(
        last.as_ref().map(|it| it.couchdb_data_gib),
        Some(official.db_disk_gb)
    );
    assert_eq!(
        last.as_ref().map(|it| it.upgrade_headroom_gib),
        Some(official.overprovision_gb)
    );
    assert_eq!(plan.environments[0].compute.calculator_cpus, official.cpus);
}

#[test]
fn growth_compounds_and_records_accumulate() {
    // Year 1: 1,000 people; 2 x 1,000 = 2,000 records; 360 places; contacts 10 + 1,000 + 360 = 1,370; docs 3,370.
    // Year 2: floor(1,000 x 1.1) = 1,100 people; 2,200 records, 4,200 so far; 396 places;
    //         contacts 10 + 1,100 + 396 = 1,506; docs 5,706.
    // Year 3: floor(1,000 x 1.21) = 1,210 people; 2,420 records, 6,620 so far; floor(435.6) = 435 places;
    //         contacts 10 + 1,210 + 435 = 1,655; docs 8,275.
    let mut input = calculator_plan(env("prod", Target::Compose, Infra::Local));
    input.population = 1_000;
    input.workflows = 2;
    input.growth_percent = 10.0;
    input.horizon_years = 3;
    input.roles = vec![role("chw", 10, true)];
    let plan = estimate(&input);
    let years: Vec<(u64, u64, u64, u64)> = plan.environments[0]
        .years
        .iter()
        .map(|it| {
            (
                it.population,
                it.records_in_year,
                it.contacts,
                it.medic_docs,
            )
        })
        .collect();
    assert_eq!(
        years,
        vec![
            (1_000, 2_000, 1_370, 3_370),
            (1_100, 2_200, 1_506, 5_706),
            (1_210, 2_420, 1_655, 8_275)
        ]
    );
    // Each offline user replicates ceil(8,275 / 10) = 828 documents: under the limit.
    assert_eq!(plan.environments[0].roles[0].docs_per_user, Some(828));
    assert!(!codes(&plan).contains(&"offline-docs-over-limit"));
}

#[test]
fn scale_shares_users_and_population() {
    // 5% of 1,000 users is 50; 5% of 100,000 people is 5,000.
    // docs = 50 + 5,000 + 1,800 + 10 x 5,000 = 56,850.
    let mut uat = env("uat", Target::Compose, Infra::Local);
    uat.scale_percent = 5.0;
    let plan = estimate(&calculator_plan(uat));
    let environment = &plan.environments[0];
    assert_eq!(
        (environment.users, environment.years[0].population),
        (50, 5_000)
    );
    assert_eq!(environment.years[0].medic_docs, 56_850);
    assert_eq!(environment.scale_basis_points, 500);
}

#[test]
fn compose_host_is_the_cheapest_instance_that_fits() {
    // Unrounded calculator CPUs: 1,000 / 288 = 3.472; busy CPU at 50%: 1.736;
    // at a 70% target: 2.480 vCPU (2,481 milli-CPU rounded up); memory 2 GiB per vCPU: 4.96 GiB (5,080 MiB).
    let plan = estimate(&calculator_plan(env("prod", Target::Compose, aws(100.0))));
    let environment = &plan.environments[0];
    assert_eq!(environment.compute.calculator_cpus, 4);
    assert_eq!(environment.compute.load_millicpu, 1_737);
    assert_eq!(environment.compute.required_millicpu, 2_481);
    assert_eq!(environment.compute.required_memory_mib, 5_080);
    let host = environment
        .node_group(NodeRole::ChtHost)
        .and_then(|it| it.instance.as_ref());
    assert_eq!(
        host.map(|it| it.reason.as_str()),
        Some(
            "c6i.xlarge: 4 vCPU, 8 GiB covers 2.48 vCPU / 4.96 GiB needed at a 70% CPU utilisation target; \
             the next smaller, m6i.large, has 2 vCPU."
        )
    );
    // 7 containers (nginx, api, sentinel, haproxy, upgrade service, couchdb, nouveau) x 50 MiB x 20 files
    // = 7,000 MiB, so 7 GiB of logs. The CouchDB volume rounds 7 + 35 = 42 GiB up to 50 GiB.
    assert_eq!(
        line_items(&plan),
        vec![
            ("cht-host".to_owned(), 730, Some(12_410)),
            ("couchdb-data".to_owned(), 7, Some(56)),
            ("upgrade-headroom".to_owned(), 35, Some(280)),
            ("couchdb-volume-rounding".to_owned(), 8, Some(64)),
            ("root-volumes".to_owned(), 50, Some(400)),
            ("container-logs".to_owned(), 7, Some(56)),
        ]
    );
    assert_eq!(environment.monthly_cost.map(Money::cents), Some(13_266));
    assert_eq!(plan.monthly_total.map(Money::cents), Some(13_266));
    assert_eq!(environment.couchdb_volume_gib(), 50);
    assert_eq!(environment.node_groups[0].root_disk_gib_per_node, 57);
}

#[test]
fn regional_price_factor_scales_every_price() {
    // $0.17 x 120% = $0.204 per hour; 730 h = $148.92. Storage 107 GiB x $0.096 = $10.272 in five rounded items.
    let plan = estimate(&calculator_plan(env("prod", Target::Compose, aws(120.0))));
    let items = line_items(&plan);
    assert_eq!(items[0], ("cht-host".to_owned(), 730, Some(14_892)));
    assert_eq!(items[1], ("couchdb-data".to_owned(), 7, Some(67)));
}

#[test]
fn backups_follow_the_snapshot_model() {
    // Daily backups kept 35 days: 35 copies. The first holds the 7 GiB of data;
    // each of the other 34 adds 10% of it: ceil(34 x 7 x 0.1) = ceil(23.8) = 24 GiB. 31 GiB in all, and 31 offsite.
    // At $0.023 per GiB-month: 31 x $0.023 = $0.713, so $0.71 each.
    let mut prod = env("prod", Target::Compose, aws(100.0));
    prod.backup = Some(BackupInput {
        every_hours: 24,
        keep_days: 35,
        offsite: true,
    });
    let plan = estimate(&calculator_plan(prod));
    let backup = plan.environments[0].storage.backup.clone();
    assert_eq!(
        backup
            .as_ref()
            .map(|it| (it.copies, it.backup_gib, it.offsite_gib)),
        Some((35, 31, 31))
    );
    let items = line_items(&plan);
    assert!(items.contains(&("backups".to_owned(), 31, Some(71))));
    assert!(items.contains(&("backups-offsite".to_owned(), 31, Some(71))));

    // Every 4 hours for 10 days: 60 copies, each adding 10% x 4 / 24 = 1.67% (167 basis points):
    // 7 + ceil(59 x 7 x 0.0167) = 7 + ceil(6.90) = 14 GiB.
    let mut frequent = env("prod", Target::Compose, Infra::Local);
    frequent.backup = Some(BackupInput {
        every_hours: 4,
        keep_days: 10,
        offsite: false,
    });
    let plan = estimate(&calculator_plan(frequent));
    let backup = plan.environments[0].storage.backup.clone();
    assert_eq!(
        backup.map(|it| (
            it.copies,
            it.change_per_copy_basis_points,
            it.backup_gib,
            it.offsite_gib
        )),
        Some((60, 167, 14, 0))
    );
}

#[test]
fn watchdog_and_cht_sync_get_their_own_hosts() {
    // Prometheus: 2,000 series x 288 samples a day x 60 days x 2 bytes x 2 = 138,240,000 bytes, so 1 GiB.
    // Watchdog disk: 20 GiB root + 3 containers x 1,000 MiB of logs (3 GiB) + 1 GiB = 24 GiB.
    // PostgreSQL: 1,137,000 docs x 5 KiB x 1.2 = 6,822,000 KiB = 6.51 GiB, so 7 GiB in a 10 GiB volume.
    let mut prod = env("prod", Target::Compose, aws(100.0));
    prod.monitor_watchdog = true;
    prod.analytics_cht_sync = true;
    let plan = estimate(&calculator_plan(prod));
    let environment = &plan.environments[0];
    assert_eq!(environment.storage.prometheus_gib, Some(1));
    assert_eq!(environment.storage.postgres_gib, Some(7));
    assert_eq!(environment.postgres_volume_gib(), Some(10));
    let watchdog = environment.node_group(NodeRole::Watchdog);
    assert_eq!(watchdog.map(|it| it.root_disk_gib_per_node), Some(24));
    assert_eq!(
        watchdog.and_then(|it| it.instance.as_ref()).map(|it| it.reason.as_str()),
        Some("t3.medium: 2 vCPU, 4 GiB covers 2.00 vCPU / 4.00 GiB needed by CHT Watchdog; no cheaper instance type in the catalogue.")
    );
    let items = line_items(&plan);
    // t3.medium: 730 x $0.0416 = $30.368, so $30.37; the PostgreSQL volume: 10 x $0.08 = $0.80.
    assert!(items.contains(&("watchdog-host".to_owned(), 730, Some(3_037))));
    assert!(items.contains(&("watchdog-disk".to_owned(), 24, Some(192))));
    assert!(items.contains(&("cht-sync-compute".to_owned(), 730, Some(3_037))));
    assert!(items.contains(&("cht-sync-postgres".to_owned(), 10, Some(80))));
    let components: Vec<Component> = environment
        .line_items
        .iter()
        .map(|it| it.component)
        .collect();
    assert!(
        components.contains(&Component::Monitoring) && components.contains(&Component::Analytics)
    );
}

#[test]
fn kubernetes_splits_services_and_node_groups() {
    // Required: 2,481 milli-CPU and 5,080 MiB. Without nginx the CPU shares sum to 95:
    // couchdb 2,481 x 50/95 = 1,305.8 -> 1,310m; nouveau 261.2 -> 270m; api 522.3 -> 530m;
    // sentinel 261.2 -> 270m; haproxy 130.6 -> 140m (rounded up to 10m).
    // Memory shares sum to 95: couchdb 5,080 x 45/95 = 2,406.3 -> 2,416Mi; nouveau 1,069.5 -> 1,072Mi;
    // api 802.1 -> 816Mi; sentinel 534.7 -> 544Mi; haproxy 267.4 -> 272Mi (rounded up to 16Mi).
    // Limits: CPU x 2, memory x 1.5 (couchdb 3,624 -> 3,632Mi).
    let plan = estimate(&calculator_plan(env(
        "prod",
        Target::Kubernetes {
            distribution: Distribution::Eks,
        },
        aws(100.0),
    )));
    let environment = &plan.environments[0];
    let services: Vec<(&str, u64, u64, u64, u64)> = environment
        .services
        .iter()
        .map(|it| {
            (
                it.service.name(),
                it.cpu_request_millicpu,
                it.cpu_limit_millicpu,
                it.memory_request_mib,
                it.memory_limit_mib,
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![
            ("couchdb", 1_310, 2_620, 2_416, 3_632),
            ("nouveau", 270, 540, 1_072, 1_616),
            ("api", 530, 1_060, 816, 1_232),
            ("sentinel", 270, 540, 544, 816),
            ("haproxy", 140, 280, 272, 416),
        ]
    );
    assert!(environment.service(Service::Nginx).is_none());
    // The CouchDB node needs 1,310 + 270 = 1,580m and 2,416 + 1,072 = 3,488Mi: a t3.medium fits.
    // The services need 940m and 1,632Mi: one t3.medium.
    let groups: Vec<(NodeRole, u32, u64, u64, Option<String>)> = environment
        .node_groups
        .iter()
        .map(|it| {
            (
                it.role,
                it.nodes,
                it.millicpu_per_node,
                it.memory_mib_per_node,
                it.instance.as_ref().map(|c| c.name.clone()),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            (
                NodeRole::Couchdb,
                1,
                1_580,
                3_488,
                Some("t3.medium".to_owned())
            ),
            (
                NodeRole::Services,
                1,
                940,
                1_632,
                Some("t3.medium".to_owned())
            ),
        ]
    );
    // EKS is managed: a control-plane fee of 730 x $0.10 = $73.00 instead of a control-plane node.
    assert!(line_items(&plan).contains(&("kubernetes-control-plane".to_owned(), 730, Some(7_300))));
}

#[test]
fn kubernetes_services_scale_out_but_each_node_holds_the_largest_container() {
    // 12,000 users: required 12,000 / 288 x 0.5 / 0.7 = 29.76 vCPU. API's request is 20/95 of it, 6.27 vCPU,
    // so only the 8-vCPU types can hold it; the services need 35/95 of it, about 11 vCPU, which takes two
    // c6i.2xlarge nodes (the cheaper small types would cover the total but cannot hold API).
    let mut input = calculator_plan(env(
        "prod",
        Target::Kubernetes {
            distribution: Distribution::Eks,
        },
        aws(100.0),
    ));
    input.roles = vec![role("chw", 12_000, false)];
    let plan = estimate(&input);
    let environment = &plan.environments[0];
    let api = environment
        .service(Service::Api)
        .map(|it| it.cpu_request_millicpu);
    assert_eq!(api, Some(6_270));
    let services = environment.node_group(NodeRole::Services).cloned();
    let choice = services.as_ref().and_then(|it| it.instance.clone());
    assert_eq!(
        choice.as_ref().map(|it| (it.name.as_str(), it.nodes)),
        Some(("c6i.2xlarge", 2))
    );
    assert!(choice.is_some_and(|it| it
        .reason
        .contains("each node holds the largest container (6.27 vCPU")));
    // The CouchDB node needs about 18.8 vCPU, more than the largest offer (8 vCPU): no instance fits,
    // so the environment has no monthly total.
    assert!(codes(&plan).contains(&"no-instance-fits"));
    assert!(codes(&plan).contains(&"cost-incomplete"));
    assert_eq!(environment.monthly_cost, None);
    assert!(codes(&plan).contains(&"single-process-cpu"));
}

#[test]
fn self_managed_kubernetes_adds_a_control_plane_node() {
    let plan = estimate(&calculator_plan(env(
        "uat",
        Target::Kubernetes {
            distribution: Distribution::K3s,
        },
        aws(100.0),
    )));
    let roles: Vec<NodeRole> = plan.environments[0]
        .node_groups
        .iter()
        .map(|it| it.role)
        .collect();
    assert_eq!(
        roles,
        vec![
            NodeRole::Couchdb,
            NodeRole::Services,
            NodeRole::ControlPlane
        ]
    );
    assert!(!line_items(&plan)
        .iter()
        .any(|it| it.0 == "kubernetes-control-plane"));
}

#[test]
fn on_premises_shortfall_is_reported() {
    // The host needs 2.48 vCPU (3 cores), 4.96 GiB (5 GiB) and 57 GiB root + a 50 GiB CouchDB volume = 107 GiB.
    // One machine with 2 CPU, 4 GiB and 40 GiB falls short by 1 core, 1 GiB and 67 GiB.
    let plan = estimate(&calculator_plan(env(
        "clinic",
        Target::Compose,
        Infra::OnPrem {
            nodes: 1,
            cpu: 2,
            memory_gib: 4,
            disk_gib: 40,
        },
    )));
    let hardware = plan.environments[0].hardware.clone();
    let required = hardware.as_ref().map(|it| it.required);
    assert_eq!(
        required.map(|it| (it.machines, it.cores, it.memory_gib, it.disk_gib)),
        Some((1, 3, 5, 107))
    );
    let shortfall = hardware.as_ref().and_then(|it| it.shortfall);
    assert_eq!(
        shortfall.map(|it| (it.machines, it.cores, it.memory_gib, it.disk_gib)),
        Some((0, 1, 1, 67))
    );
    assert_eq!(hardware.map(|it| it.misfits.len()), Some(1));
    assert!(codes(&plan).contains(&"onprem-shortfall"));
    let finding = plan
        .findings
        .iter()
        .find(|it| it.code == "onprem-shortfall");
    assert_eq!(
        finding.map(|it| it.message.as_str()),
        Some(
            "The on-premises machines fall short: the environment needs 1 more CPU core, 1 GiB more memory, \
             67 GiB more disk. The CHT host needs 2.48 vCPU, 4.96 GiB memory and 107 GiB disk on one machine; \
             each machine has 2 CPU, 4 GiB memory and 40 GiB disk."
        )
    );
    // Unpriced line items give quantities to provide.
    let items = line_items(&plan);
    assert_eq!(items[0], ("cht-host".to_owned(), 3, None));
    assert!(plan.environments[0]
        .line_items
        .iter()
        .skip(1)
        .all(|it| it.unit == QuantityUnit::Gib));
}

#[test]
fn enough_on_premises_hardware_gives_no_finding() {
    let plan = estimate(&calculator_plan(env(
        "uat",
        Target::Kubernetes {
            distribution: Distribution::K3s,
        },
        Infra::OnPrem {
            nodes: 3,
            cpu: 8,
            memory_gib: 16,
            disk_gib: 500,
        },
    )));
    let hardware = plan.environments[0].hardware.clone();
    assert!(hardware
        .as_ref()
        .and_then(|it| it.shortfall)
        .is_some_and(|it| it.is_zero()));
    assert!(!codes(&plan).contains(&"onprem-shortfall"));
}

#[test]
fn offline_roles_over_the_replication_limit_are_flagged() {
    // docs = 58 users + 100,000 people + 36,000 places + 1,000,000 records = 1,136,058.
    // chw: ceil(1,136,058 / 50) = 22,722 > 10,000; supervisor: ceil(1,136,058 / 5) = 227,212;
    // analysts are online and replicate nothing.
    let mut input = calculator_plan(env("prod", Target::Compose, Infra::Local));
    input.roles = vec![
        role("chw", 50, true),
        role("supervisor", 5, true),
        role("analyst", 3, false),
    ];
    let plan = estimate(&input);
    let loads: Vec<(&str, Option<u64>)> = plan.environments[0]
        .roles
        .iter()
        .map(|it| (it.name.as_str(), it.docs_per_user))
        .collect();
    assert_eq!(
        loads,
        vec![
            ("chw", Some(22_722)),
            ("supervisor", Some(227_212)),
            ("analyst", None)
        ]
    );
    let flagged: Vec<&str> = plan
        .findings
        .iter()
        .filter(|it| it.code == "offline-docs-over-limit")
        .map(|it| it.message.as_str())
        .collect();
    assert_eq!(flagged.len(), 2);
    assert!(flagged[0]
        .starts_with("Each offline \"chw\" user would replicate about 22,722 documents by year 1"));
}

#[test]
fn missing_provider_and_bad_prices_become_findings() {
    let mut input = calculator_plan(env(
        "prod",
        Target::Compose,
        Infra::Cloud {
            provider: "gcp".to_owned(),
            region: "europe-west1".to_owned(),
            price_factor_percent: 100.0,
        },
    ));
    input.catalogue[0]
        .instances
        .push(offer("broken", 0, 4.0, 0.1));
    input.catalogue[0]
        .instances
        .push(offer("nan", 2, f64::NAN, 0.1));
    let plan = estimate(&input);
    assert_eq!(
        codes(&plan),
        vec!["invalid-price", "provider-not-in-catalogue"]
    );
    assert_eq!(plan.environments[0].monthly_cost, None);
    assert_eq!(plan.monthly_total, None);
}

#[test]
fn catalogue_order_does_not_change_the_choice() {
    let forward = estimate(&calculator_plan(env("prod", Target::Compose, aws(100.0))));
    let mut input = calculator_plan(env("prod", Target::Compose, aws(100.0)));
    input.catalogue[0].instances.reverse();
    let backward = estimate(&input);
    assert_eq!(forward, backward);
}

#[test]
fn unknown_overrides_are_returned_and_valid_ones_used() {
    let mut input = calculator_plan(env("prod", Target::Compose, Infra::Local));
    input.overrides = vec![
        ("target_utilization_percent".to_owned(), 50.0),
        ("bogus".to_owned(), 1.0),
    ];
    let plan = estimate(&input);
    assert_eq!(plan.rejected_overrides.len(), 1);
    assert_eq!(plan.rejected_overrides[0].name, "bogus");
    // At the calculator's own 50% the CPU to provide is its unrounded CPU count: 1,000 / 288 = 3.472.
    assert_eq!(plan.environments[0].compute.required_millicpu, 3_473);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let mut wild = env(
        "wild",
        Target::Kubernetes {
            distribution: Distribution::Other("x".to_owned()),
        },
        aws(f64::INFINITY),
    );
    wild.scale_percent = f64::NAN;
    wild.couchdb_nodes = u32::MAX;
    wild.backup = Some(BackupInput {
        every_hours: 0,
        keep_days: u32::MAX,
        offsite: true,
    });
    wild.monitor_watchdog = true;
    wild.analytics_cht_sync = true;
    let mut huge_backup = env(
        "huge",
        Target::Compose,
        Infra::OnPrem {
            nodes: u32::MAX,
            cpu: 0,
            memory_gib: 0,
            disk_gib: u64::MAX,
        },
    );
    huge_backup.backup = Some(BackupInput {
        every_hours: 1,
        keep_days: u32::MAX,
        offsite: true,
    });
    huge_backup.scale_percent = 1.0e12;
    let input = PlanInput {
        plan_name: String::new(),
        cht_major: 0,
        horizon_years: u32::MAX,
        population: u64::MAX,
        workflows: u64::MAX,
        growth_percent: f64::NAN,
        roles: vec![role("a", u64::MAX, true), role("b", u64::MAX, true)],
        environments: vec![wild, huge_backup, env("empty", Target::Compose, aws(-5.0))],
        catalogue: vec![ProviderPrices {
            instances: vec![
                offer("x", u32::MAX, f64::MAX, f64::MAX),
                offer("y", 1, -1.0, f64::NAN),
            ],
            block_storage_gib_month: f64::INFINITY,
            ..aws_prices()
        }],
        overrides: vec![("users_per_cpu".to_owned(), f64::NAN)],
    };
    let plan = estimate(&input);
    assert_eq!(plan.horizon_years, 50);
    assert_eq!(plan.environments.len(), 3);
    for code in [
        "horizon-clamped",
        "growth-clamped",
        "scale-invalid",
        "backup-interval-invalid",
        "price-factor-invalid",
    ] {
        assert!(codes(&plan).contains(&code), "{code}");
    }

    let nothing = PlanInput {
        plan_name: "nothing".to_owned(),
        cht_major: 4,
        horizon_years: 0,
        population: 0,
        workflows: 0,
        growth_percent: 0.0,
        roles: Vec::new(),
        environments: vec![env("e", Target::Compose, aws(100.0))],
        catalogue: Vec::new(),
        overrides: Vec::new(),
    };
    let plan = estimate(&nothing);
    assert_eq!(plan.environments[0].years.len(), 1);
    assert_eq!(plan.environments[0].compute.required_millicpu, 2_000);
}

#[test]
fn estimating_twice_gives_the_same_result() {
    let mut prod = env(
        "prod",
        Target::Kubernetes {
            distribution: Distribution::Eks,
        },
        aws(120.0),
    );
    prod.backup = Some(BackupInput {
        every_hours: 24,
        keep_days: 35,
        offsite: true,
    });
    prod.monitor_watchdog = true;
    prod.analytics_cht_sync = true;
    let input = calculator_plan(prod);
    assert_eq!(estimate(&input), estimate(&input));
}

#[test]
fn service_resources_print_in_backend_notation() {
    let plan = estimate(&calculator_plan(env(
        "prod",
        Target::Kubernetes {
            distribution: Distribution::Eks,
        },
        aws(100.0),
    )));
    let couchdb = plan.environments[0].service(Service::Couchdb).cloned();
    let quantities = couchdb.map(|it| {
        (
            it.cpu_request_kubernetes(),
            it.cpu_limit_kubernetes(),
            it.memory_request_kubernetes(),
            it.memory_limit_kubernetes(),
            it.cpu_limit_compose(),
            it.memory_limit_compose(),
            it.memory_request_compose(),
        )
    });
    assert_eq!(
        quantities,
        Some((
            "1310m".to_owned(),
            "2620m".to_owned(),
            "2416Mi".to_owned(),
            "3632Mi".to_owned(),
            "2.62".to_owned(),
            "3632m".to_owned(),
            "2416m".to_owned(),
        ))
    );
}

/// A small deterministic pseudo-random generator (SplitMix64), so the property test needs no crate and every run
/// tries the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must not be 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

fn gcp_prices() -> ProviderPrices {
    ProviderPrices {
        provider: "gcp".to_owned(),
        prices_date: "2026-02-01".to_owned(),
        prices_source: "another test table".to_owned(),
        instances: vec![
            offer("n2-standard-2", 2, 8.0, 0.097),
            offer("n2-standard-4", 4, 16.0, 0.194),
            offer("c3-highcpu-8", 8, 16.0, 0.33),
        ],
        block_storage_gib_month: 0.04,
        object_storage_gib_month: 0.02,
        kubernetes_cluster_hourly: 0.10,
    }
}

/// Floating-point values that exercise exact comparison: signed zeros, NaN, infinities and ordinary numbers.
const TRICKY_PERCENTS: [f64; 9] = [
    0.0,
    -0.0,
    f64::NAN,
    f64::INFINITY,
    5.0,
    50.0,
    100.0,
    120.0,
    1.0e12,
];

/// A random environment, of any target and infrastructure, often one that produces findings.
fn random_env(rng: &mut Rng, name: String) -> EnvInput {
    let target = match rng.below(4) {
        0 | 1 => Target::Compose,
        2 => Target::Kubernetes {
            distribution: rng.pick(&[Distribution::K3s, Distribution::Eks, Distribution::Gke]),
        },
        _ => Target::Kubernetes {
            distribution: Distribution::Other("generic".to_owned()),
        },
    };
    let infra = match rng.below(5) {
        0 => Infra::Local,
        1 => Infra::OnPrem {
            nodes: rng.pick(&[0, 1, 3]),
            cpu: rng.pick(&[0, 2, 8]),
            memory_gib: rng.pick(&[0, 4, 16]),
            disk_gib: rng.pick(&[40, 500]),
        },
        2 => Infra::Cloud {
            provider: "gcp".to_owned(),
            region: "europe-west1".to_owned(),
            price_factor_percent: rng.pick(&TRICKY_PERCENTS),
        },
        3 => Infra::Cloud {
            provider: "azure".to_owned(),
            region: "westeurope".to_owned(),
            price_factor_percent: 100.0,
        },
        _ => aws(rng.pick(&TRICKY_PERCENTS)),
    };
    EnvInput {
        name,
        kind: rng.pick(&[
            EnvKind::Development,
            EnvKind::Test,
            EnvKind::Staging,
            EnvKind::Production,
        ]),
        scale_percent: rng.pick(&TRICKY_PERCENTS),
        couchdb_nodes: rng.pick(&[0, 1, 3]),
        target,
        infra,
        backup: rng.chance(60).then(|| BackupInput {
            every_hours: rng.pick(&[0, 1, 24]),
            keep_days: rng.pick(&[0, 7, 35]),
            offsite: rng.chance(50),
        }),
        monitor_watchdog: rng.chance(40),
        analytics_cht_sync: rng.chance(30),
    }
}

/// A national-sized plan of `environments` random environments, with two price tables and overrides.
fn random_plan(rng: &mut Rng, environments: usize) -> PlanInput {
    PlanInput {
        plan_name: "national".to_owned(),
        cht_major: 5,
        horizon_years: 5,
        population: 2_000_000,
        workflows: 4,
        growth_percent: 5.0,
        roles: vec![role("chw", 5_000, true), role("supervisor", 200, true)],
        environments: (0..environments)
            .map(|it| random_env(rng, format!("env_{it}")))
            .collect(),
        catalogue: vec![aws_prices(), gcp_prices()],
        overrides: vec![("target_utilization_percent".to_owned(), 60.0)],
    }
}

/// Changes one environment, or the set of environments, at random.
fn change_environments(rng: &mut Rng, input: &mut PlanInput, fresh_names: &mut usize) {
    let envs = &mut input.environments;
    let len = envs.len();
    let mut fresh_name = || {
        *fresh_names += 1;
        format!("new_{fresh_names}")
    };
    match rng.below(12) {
        0 if 1 < len => {
            envs.remove(rng.below(len));
        }
        1 => {
            let at = rng.below(len + 1);
            let name = fresh_name();
            envs.insert(at, random_env(rng, name));
        }
        2 if 1 < len => {
            let (a, b) = (rng.below(len), rng.below(len));
            envs.swap(a, b);
        }
        3 if 0 < len => envs.reverse(),
        // A duplicate name, as a plan being edited may have for a moment.
        4 if 0 < len => {
            let copy = envs[rng.below(len)].clone();
            envs.insert(rng.below(len + 1), copy);
        }
        5 if 0 < len => {
            let at = rng.below(len);
            envs[at].name = fresh_name();
        }
        _ if 0 < len => {
            let at = rng.below(len);
            let env = &mut envs[at];
            match rng.below(9) {
                0 => env.scale_percent = rng.pick(&TRICKY_PERCENTS),
                1 => env.couchdb_nodes = rng.pick(&[0, 1, 3]),
                2 => env.monitor_watchdog = !env.monitor_watchdog,
                3 => env.analytics_cht_sync = !env.analytics_cht_sync,
                4 => env.backup = None,
                5 => {
                    if let Infra::Cloud {
                        price_factor_percent,
                        ..
                    } = &mut env.infra
                    {
                        *price_factor_percent = rng.pick(&TRICKY_PERCENTS);
                    }
                }
                // Negating turns `0.0` into `-0.0`, which `==` would not see as a change.
                6 => {
                    if let Infra::Cloud {
                        price_factor_percent,
                        ..
                    } = &mut env.infra
                    {
                        *price_factor_percent = -*price_factor_percent;
                    }
                }
                _ => {
                    let name = env.name.clone();
                    *env = random_env(rng, name);
                }
            }
        }
        _ => {
            let name = fresh_name();
            envs.push(random_env(rng, name));
        }
    }
}

/// Changes one plan-level field at random.
fn change_plan_level(rng: &mut Rng, input: &mut PlanInput) {
    match rng.below(9) {
        0 => input.plan_name = format!("plan {}", rng.below(3)),
        1 => input.cht_major = rng.pick(&[4, 5]),
        2 => input.horizon_years = rng.pick(&[0, 1, 5, 80]),
        3 => input.population = rng.pick(&[0, 1_000, 2_000_000]),
        4 => input.growth_percent = rng.pick(&[0.0, -0.0, f64::NAN, 5.0, -150.0]),
        5 => input.roles[0].count = rng.pick(&[0, 50, 5_000]),
        6 => {
            input.catalogue[0].instances[0].hourly_usd = rng.pick(&[0.34, -0.0, 0.0, f64::NAN]);
        }
        7 => input.overrides[0].1 = rng.pick(&[50.0, 60.0, f64::NAN]),
        _ => input.catalogue.reverse(),
    }
}

/// The estimate as text: `Debug` prints every field, tells `0.0` from `-0.0` and NaN from every number,
/// where `PartialEq` would not.
fn exactly(estimate: &PlanEstimate) -> String {
    format!("{estimate:?}")
}

#[test]
fn reusing_a_previous_estimate_equals_estimating_afresh() {
    for seed in 0..6 {
        let mut rng = Rng(seed);
        let mut input = random_plan(&mut rng, 24);
        let mut fresh_names = 0;
        let mut previous = Some(estimate_reusing(input.clone(), None));
        assert_eq!(
            previous.as_ref().map(|it| exactly(&it.0)),
            Some(exactly(&estimate(&input))),
            "seed {seed}, first estimate"
        );
        for step in 0..60 {
            // Mostly edits of environments, which reuse the others; sometimes a plan-level edit, which reuses
            // nothing; sometimes nothing at all.
            for _ in 0..rng.below(3) {
                change_environments(&mut rng, &mut input, &mut fresh_names);
            }
            if rng.chance(15) {
                change_plan_level(&mut rng, &mut input);
            }
            let (reused, memo) = estimate_reusing(input.clone(), previous.take());
            let afresh = estimate(&input);
            assert_eq!(
                exactly(&reused),
                exactly(&afresh),
                "seed {seed}, step {step}: {input:?}"
            );
            // `Debug` again, as a NaN in the input is not `==` to itself.
            assert_eq!(format!("{:?}", memo.input()), format!("{input:?}"));
            previous = Some((reused, memo));
        }
    }
}

/// Counts the environments of `input` that [`Reusable`](super::reuse::Reusable) finds in `previous`.
fn reused_count(previous: (PlanEstimate, EstimateMemo), input: &PlanInput) -> Option<usize> {
    let mut reusable = super::reuse::Reusable::new(previous, input)?;
    let mut findings = Vec::new();
    Some(
        input
            .environments
            .iter()
            .enumerate()
            .filter(|(index, env)| reusable.take(*index, env, &mut findings).is_some())
            .count(),
    )
}

#[test]
fn unchanged_environments_are_reused_and_changed_ones_are_not() {
    let mut rng = Rng(7);
    let input = random_plan(&mut rng, 10);
    let previous = || estimate_reusing(input.clone(), None);

    assert_eq!(reused_count(previous(), &input), Some(10));

    // An edited environment is estimated again; the others are reused.
    let mut edited = input.clone();
    edited.environments[3].couchdb_nodes = 7;
    assert_eq!(reused_count(previous(), &edited), Some(9));

    // Inserting, removing and moving environments keeps the others, matched by name.
    let mut moved = input.clone();
    moved
        .environments
        .insert(0, random_env(&mut rng, "first".to_owned()));
    moved.environments.remove(5);
    moved.environments.swap(1, 8);
    assert_eq!(reused_count(previous(), &moved), Some(9));

    // A sign of zero is a change: the price factor is copied into the estimate, where `-0` prints.
    let mut zero = input.clone();
    zero.environments[0].infra = aws(0.0);
    let mut negative_zero = input.clone();
    negative_zero.environments[0].infra = aws(-0.0);
    let from_zero = || estimate_reusing(zero.clone(), None);
    assert_eq!(reused_count(from_zero(), &negative_zero), Some(9));
    assert_eq!(reused_count(from_zero(), &zero), Some(10));

    // A NaN is the same as itself, so an environment with a NaN scale is still reused.
    let mut nan = input.clone();
    nan.environments[2].scale_percent = f64::NAN;
    assert_eq!(
        reused_count(estimate_reusing(nan.clone(), None), &nan),
        Some(10)
    );

    // A plan-level change reuses nothing.
    let mut growth = input.clone();
    growth.growth_percent = 6.0;
    assert_eq!(reused_count(previous(), &growth), None);
}

#[test]
fn a_memo_with_another_estimate_is_not_trusted() {
    let mut rng = Rng(11);
    let input = random_plan(&mut rng, 6);
    let (_, memo) = estimate_reusing(input.clone(), None);
    let other = estimate(&random_plan(&mut rng, 4));
    assert_eq!(reused_count((other.clone(), memo.clone()), &input), None);
    let (res, _) = estimate_reusing(input.clone(), Some((other, memo)));
    assert_eq!(exactly(&res), exactly(&estimate(&input)));
}
