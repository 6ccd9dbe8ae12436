//! The schema of the language: every block, field, type, unit and default.
//!
//! This table is the single source of truth. The checker validates plans against it, the
//! editor features read field docs and completions from it, and `docs/reference.md` is
//! generated from it (a test fails when the committed reference is stale), so the three
//! cannot drift apart.

/// The kinds of named declarations that references can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclKind {
    Policy,
    Environment,
    Secret,
    Operator,
    Release,
    Layout,
    Provider,
}

impl DeclKind {
    pub fn noun(self) -> &'static str {
        match self {
            DeclKind::Policy => "policy",
            DeclKind::Environment => "environment",
            DeclKind::Secret => "secret",
            DeclKind::Operator => "operator",
            DeclKind::Release => "release",
            DeclKind::Layout => "layout",
            DeclKind::Provider => "provider",
        }
    }
}

/// A format that a string field must follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrFormat {
    Any,
    /// A DNS name such as `cht.moh.example.org`, or `localhost`.
    Domain,
    /// An IPv4 or IPv6 range in CIDR notation.
    Cidr,
    Email,
    /// `YYYY-MM-DD`.
    Date,
    /// `Sun 02:00-04:00`.
    Window,
    /// An environment variable name: `[A-Z_][A-Z0-9_]*`.
    EnvVar,
    /// A Kubernetes namespace: a DNS label.
    DnsLabel,
    /// An `https://` address.
    Url,
    /// A CHT release version such as `5.2.0`, checked against the catalogue.
    Release,
}

impl StrFormat {
    pub fn describe(self) -> &'static str {
        match self {
            StrFormat::Any => "string",
            StrFormat::Domain => "domain name",
            StrFormat::Cidr => "CIDR range",
            StrFormat::Email => "e-mail address",
            StrFormat::Date => "date (YYYY-MM-DD)",
            StrFormat::Window => "update window (`Sun 02:00-04:00`)",
            StrFormat::EnvVar => "environment variable name",
            StrFormat::DnsLabel => "DNS label",
            StrFormat::Url => "https URL",
            StrFormat::Release => "CHT release version",
        }
    }
}

/// A named value of an enumeration, with its documentation.
#[derive(Debug)]
pub struct EnumValue {
    pub name: &'static str,
    pub doc: &'static str,
}

/// A parameter of a constructor.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub doc: &'static str,
}

/// How a constructor takes its arguments.
#[derive(Debug)]
pub enum CtorArgs {
    /// A bare name: `compose`, `backup_failed`.
    None,
    /// `name(a)`; arguments may also be given by name.
    Positional(&'static [Param]),
    /// `name(key = value, ...)`: arguments only by name.
    Named(&'static [Param]),
    /// `name { ... }`.
    Body(&'static BlockSchema),
}

/// One alternative of a constructor type.
#[derive(Debug)]
pub struct Ctor {
    pub name: &'static str,
    pub doc: &'static str,
    pub args: CtorArgs,
}

impl Ctor {
    /// How the constructor is written, such as `generate(words = ..., length = ...)`.
    pub fn usage(&self) -> String {
        let params = |params: &[Param], named: bool| {
            params
                .iter()
                .map(|it| {
                    if named {
                        format!("{} = ...", it.name)
                    } else {
                        it.name.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.args {
            CtorArgs::None => self.name.to_string(),
            CtorArgs::Positional(list) => format!("{}({})", self.name, params(list, false)),
            CtorArgs::Named(list) => format!("{}({})", self.name, params(list, true)),
            CtorArgs::Body(_) => format!("{} {{ ... }}", self.name),
        }
    }
}

/// The type of a field.
#[derive(Debug)]
pub enum Ty {
    Str(StrFormat),
    /// A whole number, zero or more: `12_000`.
    Count,
    /// Any finite number.
    Number,
    Duration,
    Size,
    Percent,
    Money,
    Bool,
    Enum(&'static [EnumValue]),
    Ref(DeclKind),
    List(&'static Ty),
    /// One of several constructors.
    Ctor(&'static [Ctor]),
}

impl Ty {
    /// A short description for messages, hover and the reference.
    pub fn describe(&self) -> String {
        match self {
            Ty::Str(format) => format.describe().to_string(),
            Ty::Count => "count".to_string(),
            Ty::Number => "number".to_string(),
            Ty::Duration => "duration".to_string(),
            Ty::Size => "size".to_string(),
            Ty::Percent => "percentage".to_string(),
            Ty::Money => "money".to_string(),
            Ty::Bool => "true or false".to_string(),
            Ty::Enum(values) => values
                .iter()
                .map(|it| format!("`{}`", it.name))
                .collect::<Vec<_>>()
                .join(" | "),
            Ty::Ref(kind) => format!("{} name", kind.noun()),
            Ty::List(item) => format!("list of {}", item.describe()),
            Ty::Ctor(ctors) => ctors
                .iter()
                .map(|ctor| format!("`{}`", ctor.usage()))
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }
}

/// A field of a block.
#[derive(Debug)]
pub struct FieldSchema {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// The default as it would be written in a plan, for docs and hover.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

/// Whether and how a block is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelRule {
    None,
    /// An identifier: `environment dev`.
    Ident,
    /// An identifier or a string: `release "5.2.0"`.
    Any,
}

/// A block's schema.
#[derive(Debug)]
pub struct BlockSchema {
    pub kind: &'static str,
    pub doc: &'static str,
    pub label: LabelRule,
    pub extends: bool,
    pub decl: Option<DeclKind>,
    pub fields: &'static [FieldSchema],
    pub blocks: &'static [&'static BlockSchema],
    /// For map-like blocks (`secrets`, `assumptions`): the type of every field, whose names
    /// are checked by the model instead of by this table.
    pub open: Option<&'static Ty>,
    /// Whether this block may appear at most once in its parent.
    pub singleton: bool,
}

impl BlockSchema {
    pub fn field(&self, name: &str) -> Option<&'static FieldSchema>
    where
        Self: 'static,
    {
        self.fields.iter().find(|it| it.name == name)
    }

    pub fn block(&self, kind: &str) -> Option<&'static BlockSchema> {
        self.blocks.iter().copied().find(|it| it.kind == kind)
    }
}

/// The labelled entry `secret NAME = source`.
pub static SECRET_SOURCE: Ty = Ty::Ctor(&[
    Ctor {
        name: "env",
        doc: "Read from an environment variable on the machine that deploys.",
        args: CtorArgs::Positional(&[Param {
            name: "name",
            ty: Ty::Str(StrFormat::EnvVar),
            required: true,
            doc: "The variable's name.",
        }]),
    },
    Ctor {
        name: "file",
        doc: "Read from a file outside the repository, at deploy time.",
        args: CtorArgs::Positional(&[Param {
            name: "path",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            doc: "The file's path on the deploying machine.",
        }]),
    },
    Ctor {
        name: "generate",
        doc: "Generated once, on the first deploy of each environment, and kept.",
        args: CtorArgs::Named(&[
            Param {
                name: "words",
                ty: Ty::Count,
                required: false,
                doc: "Random words joined by dashes; 7 words are URL-safe and strong.",
            },
            Param {
                name: "length",
                ty: Ty::Count,
                required: false,
                doc: "Random letters and digits.",
            },
            Param {
                name: "symbols",
                ty: Ty::Bool,
                required: false,
                doc: "Whether `length` characters include symbols, which are not URL-safe.",
            },
        ]),
    },
    Ctor {
        name: "external",
        doc: "A reference to an external secret store; Kubernetes outputs get an ExternalSecret.",
        args: CtorArgs::Named(&[
            Param {
                name: "store",
                ty: Ty::Str(StrFormat::Any),
                required: true,
                doc: "The name of the secret store (for example a ClusterSecretStore).",
            },
            Param {
                name: "key",
                ty: Ty::Str(StrFormat::Any),
                required: true,
                doc: "The key of the secret in the store.",
            },
        ]),
    },
]);

/// The credentials CHT reads, which an environment binds to the plan's secrets.
pub static SECRET_SLOTS: &[EnumValue] = &[
    EnumValue { name: "couchdb_admin", doc: "The CouchDB admin password (COUCHDB_PASSWORD). CHT embeds it unencoded in COUCH_URL, so it must be URL-safe." },
    EnumValue { name: "couchdb_secret", doc: "The CouchDB cookie-signing secret (COUCHDB_SECRET), the same on every node." },
    EnumValue { name: "postgres", doc: "The CHT Sync PostgreSQL password; needed when `analytics = cht_sync`." },
    EnumValue { name: "grafana_admin", doc: "The CHT Watchdog Grafana admin password; needed when `monitor = watchdog`." },
];

static PLAN: BlockSchema = BlockSchema {
    kind: "plan",
    doc: "The plan's name, the CHT release it deploys, its owner and its planning horizon.",
    label: LabelRule::Any,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "cht",
            ty: Ty::Str(StrFormat::Release),
            required: true,
            default: None,
            doc: "The CHT release every environment runs, from the `std/cht` catalogue.",
        },
        FieldSchema {
            name: "owner",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "Who owns the plan: shown in reports and READMEs.",
        },
        FieldSchema {
            name: "horizon",
            ty: Ty::Duration,
            required: false,
            default: Some("5y"),
            doc: "How far ahead storage and cost are planned.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static POPULATION: BlockSchema = BlockSchema {
    kind: "population",
    doc: "The people the programme serves; drives the capacity model.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema { name: "people", ty: Ty::Count, required: true, default: None, doc: "People served by the programme." },
        FieldSchema { name: "workflows", ty: Ty::Count, required: true, default: None, doc: "Care workflows (ANC, PNC, iCCM, ...)." },
        FieldSchema { name: "growth", ty: Ty::Percent, required: false, default: Some("0%"), doc: "Yearly growth of the population served." },
        FieldSchema { name: "docs_per_workflow", ty: Ty::Count, required: false, default: Some("1"), doc: "Documents per person per workflow per year (the official calculator's advanced input)." },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static SYNC_MODES: &[EnumValue] = &[
    EnumValue {
        name: "offline",
        doc: "Offline-first users replicate their documents to the device.",
    },
    EnumValue {
        name: "online",
        doc: "Online users work in the browser and replicate nothing.",
    },
];

static ROLE: BlockSchema = BlockSchema {
    kind: "role",
    doc: "A group of CHT users with the same way of working.",
    label: LabelRule::Ident,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "count",
            ty: Ty::Count,
            required: true,
            default: None,
            doc: "How many users have this role.",
        },
        FieldSchema {
            name: "sync",
            ty: Ty::Enum(SYNC_MODES),
            required: false,
            default: Some("offline"),
            doc: "Whether these users replicate data to their devices.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static USERS: BlockSchema = BlockSchema {
    kind: "users",
    doc: "The CHT users, by role.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[],
    blocks: &[&ROLE],
    open: None,
    singleton: true,
};

static TLS_MODES: &[EnumValue] = &[
    EnumValue {
        name: "acme",
        doc: "Certificates from an ACME authority such as Let's Encrypt, renewed automatically.",
    },
    EnumValue {
        name: "managed",
        doc: "A certificate managed by the cloud (ACM, Google-managed), renewed automatically.",
    },
    EnumValue {
        name: "own_cert",
        doc: "A certificate you provide and renew yourself.",
    },
    EnumValue {
        name: "self_signed",
        doc: "CHT's self-signed certificate: for development only.",
    },
];

static TLS: BlockSchema = BlockSchema {
    kind: "tls",
    doc: "How HTTPS certificates are obtained and renewed.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "mode",
            ty: Ty::Enum(TLS_MODES),
            required: true,
            default: None,
            doc: "Where the certificate comes from.",
        },
        FieldSchema {
            name: "renew_before",
            ty: Ty::Duration,
            required: false,
            default: Some("30d"),
            doc: "How long before expiry a certificate is renewed.",
        },
        FieldSchema {
            name: "email",
            ty: Ty::Str(StrFormat::Email),
            required: false,
            default: None,
            doc: "The ACME account's e-mail, warned before expiry.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static BACKUP: BlockSchema = BlockSchema {
    kind: "backup",
    doc: "Scheduled backups of CouchDB data and credentials.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "every",
            ty: Ty::Duration,
            required: true,
            default: None,
            doc: "How often a backup is taken.",
        },
        FieldSchema {
            name: "keep",
            ty: Ty::Duration,
            required: true,
            default: None,
            doc: "How long each backup is kept.",
        },
        FieldSchema {
            name: "offsite",
            ty: Ty::Bool,
            required: false,
            default: Some("false"),
            doc: "Whether a copy is kept in another region, provider or site.",
        },
        FieldSchema {
            name: "offsite_region",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "Where the offsite copy goes, for cloud infrastructure.",
        },
        FieldSchema {
            name: "encrypted",
            ty: Ty::Bool,
            required: false,
            default: Some("false"),
            doc: "Whether backups are encrypted.",
        },
        FieldSchema {
            name: "location",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: Some("a new location per environment"),
            doc: "An existing place backups are written to, such as `s3://moh-backups/production` or `borg@backup.example.org:cht`. No two environments may use the same one.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static ALERT_CONDITION: Ty = Ty::Ctor(&[
    Ctor {
        name: "downtime",
        doc: "The instance does not answer for longer than the duration.",
        args: CtorArgs::Positional(&[Param {
            name: "after",
            ty: Ty::Duration,
            required: true,
            doc: "How long it may be down before an alert.",
        }]),
    },
    Ctor {
        name: "disk_used",
        doc: "A data disk is fuller than the percentage.",
        args: CtorArgs::Positional(&[Param {
            name: "above",
            ty: Ty::Percent,
            required: true,
            doc: "The threshold.",
        }]),
    },
    Ctor {
        name: "cert_expiry",
        doc: "A TLS certificate expires within the duration.",
        args: CtorArgs::Positional(&[Param {
            name: "within",
            ty: Ty::Duration,
            required: true,
            doc: "How long before expiry to alert.",
        }]),
    },
    Ctor {
        name: "backup_failed",
        doc: "A scheduled backup failed or did not run.",
        args: CtorArgs::None,
    },
    Ctor {
        name: "replication_limit",
        doc: "Users exceed CHT's replication limit of about 10,000 documents.",
        args: CtorArgs::None,
    },
]);

static EMAIL: Ty = Ty::Str(StrFormat::Email);
static URL: Ty = Ty::Str(StrFormat::Url);
static CIDR: Ty = Ty::Str(StrFormat::Cidr);
static ANY_STR: Ty = Ty::Str(StrFormat::Any);

static ALERTING: BlockSchema = BlockSchema {
    kind: "alerting",
    doc: "Where alerts go and what raises them.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "email",
            ty: Ty::List(&EMAIL),
            required: false,
            default: Some("[]"),
            doc: "Addresses that receive alerts.",
        },
        FieldSchema {
            name: "webhook",
            ty: Ty::List(&URL),
            required: false,
            default: Some("[]"),
            doc: "HTTPS webhooks (chat, paging) that receive alerts.",
        },
        FieldSchema {
            name: "on",
            ty: Ty::List(&ALERT_CONDITION),
            required: false,
            default: Some("[]"),
            doc: "The conditions that raise an alert.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static ENCRYPTION: &[EnumValue] = &[
    EnumValue {
        name: "at_rest",
        doc: "Disks and backups holding data are encrypted.",
    },
    EnumValue {
        name: "none",
        doc: "No encryption at rest.",
    },
];

static RESTART: &[EnumValue] = &[
    EnumValue {
        name: "always",
        doc: "Containers always restart, also after a reboot (CHT's default).",
    },
    EnumValue {
        name: "unless_stopped",
        doc: "Containers restart unless stopped by hand.",
    },
    EnumValue {
        name: "on_failure",
        doc: "Containers restart only after a crash.",
    },
    EnumValue {
        name: "never",
        doc: "Containers never restart on their own.",
    },
];

static POLICY: BlockSchema = BlockSchema {
    kind: "policy",
    doc: "Security and reliability rules an environment follows; may extend another policy.",
    label: LabelRule::Ident,
    extends: true,
    decl: Some(DeclKind::Policy),
    fields: &[
        FieldSchema {
            name: "encryption",
            ty: Ty::Enum(ENCRYPTION),
            required: false,
            default: Some("none"),
            doc: "Encryption at rest of data disks and backups.",
        },
        FieldSchema {
            name: "admin_from",
            ty: Ty::List(&CIDR),
            required: false,
            default: Some("[]"),
            doc: "Networks allowed to reach admin endpoints; empty means no restriction.",
        },
        FieldSchema {
            name: "restart",
            ty: Ty::Enum(RESTART),
            required: false,
            default: Some("always"),
            doc: "When containers restart on their own.",
        },
        FieldSchema {
            name: "start_on_boot",
            ty: Ty::Bool,
            required: false,
            default: Some("true"),
            doc: "Whether the container runtime starts when the host boots (power failures).",
        },
        FieldSchema {
            name: "update_window",
            ty: Ty::Str(StrFormat::Window),
            required: false,
            default: None,
            doc: "When upgrades may run, such as `Sun 02:00-04:00`.",
        },
    ],
    blocks: &[&TLS, &BACKUP, &ALERTING],
    open: None,
    singleton: false,
};

static ENV_KINDS: &[EnumValue] = &[
    EnumValue {
        name: "development",
        doc: "A developer's environment; rules are silent unless asked for.",
    },
    EnumValue {
        name: "test",
        doc: "Testing and UAT; rules warn.",
    },
    EnumValue {
        name: "staging",
        doc: "A copy of production for rehearsing upgrades; rules warn.",
    },
    EnumValue {
        name: "production",
        doc: "Serves real users; rules are errors.",
    },
];

static DISTRIBUTIONS: &[EnumValue] = &[
    EnumValue {
        name: "k3s",
        doc: "K3s, on premises or on plain VMs.",
    },
    EnumValue {
        name: "eks",
        doc: "Amazon EKS; needs `infra = aws`.",
    },
    EnumValue {
        name: "gke",
        doc: "Google Kubernetes Engine; needs `infra = gcp`.",
    },
    EnumValue {
        name: "aks",
        doc: "Azure Kubernetes Service, on an existing cluster.",
    },
    EnumValue {
        name: "generic",
        doc: "Any conformant cluster that already exists.",
    },
];

static AWS_INFRA: BlockSchema = BlockSchema {
    kind: "aws",
    doc: "Amazon Web Services.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "region",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "The AWS region, from the `std/aws` catalogue.",
        },
        FieldSchema {
            name: "vpc",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "An existing VPC id to use instead of creating one.",
        },
        FieldSchema {
            name: "zones",
            ty: Ty::Count,
            required: false,
            default: Some("2"),
            doc: "How many availability zones the network spans.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static GCP_INFRA: BlockSchema = BlockSchema {
    kind: "gcp",
    doc: "Google Cloud.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "region",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "The Google Cloud region, from the `std/gcp` catalogue.",
        },
        FieldSchema {
            name: "project",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "The Google Cloud project id.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static ONPREM_INFRA: BlockSchema = BlockSchema {
    kind: "onprem",
    doc: "Hardware on premises, described by what is provided.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "nodes",
            ty: Ty::Count,
            required: true,
            default: None,
            doc: "How many machines.",
        },
        FieldSchema {
            name: "cpu",
            ty: Ty::Count,
            required: true,
            default: None,
            doc: "Cores per machine.",
        },
        FieldSchema {
            name: "memory",
            ty: Ty::Size,
            required: true,
            default: None,
            doc: "Memory per machine.",
        },
        FieldSchema {
            name: "disk",
            ty: Ty::Size,
            required: true,
            default: None,
            doc: "Disk per machine.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static DATA_CLASSES: &[EnumValue] = &[
    EnumValue {
        name: "synthetic",
        doc: "Made-up data only.",
    },
    EnumValue {
        name: "anonymized",
        doc: "Real data with identities removed.",
    },
    EnumValue {
        name: "real",
        doc: "Patient data: needs a production-grade policy.",
    },
];

static MONITORS: &[EnumValue] = &[
    EnumValue {
        name: "watchdog",
        doc: "CHT Watchdog (Prometheus and Grafana), on a separate host.",
    },
    EnumValue {
        name: "none",
        doc: "No monitoring stack.",
    },
];

static ANALYTICS: &[EnumValue] = &[
    EnumValue {
        name: "cht_sync",
        doc: "CHT Sync copies CouchDB data to PostgreSQL for analytics.",
    },
    EnumValue {
        name: "none",
        doc: "No analytics database.",
    },
];

static COUCHDB: BlockSchema = BlockSchema {
    kind: "couchdb",
    doc: "The CouchDB topology.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "nodes",
            ty: Ty::Count,
            required: false,
            default: Some("1"),
            doc: "1 (a single node, CHT's advice) or 3 (a cluster).",
        },
        FieldSchema {
            name: "disk",
            ty: Ty::Size,
            required: false,
            default: None,
            doc: "The data volume per node; by default the capacity estimate sizes it.",
        },
        FieldSchema {
            name: "volume",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: Some("a new volume per environment"),
            doc: "An existing CouchDB data volume to use: a host directory (Compose), an EBS volume id, a GCE disk name or a k3s host path. No two environments may use the same one.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: true,
};

static SECRET_REF: Ty = Ty::Ref(DeclKind::Secret);

static SECRETS: BlockSchema = BlockSchema {
    kind: "secrets",
    doc: "Binds CHT's credentials to the plan's secrets; a credential not listed uses the plan secret of the same name.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[],
    blocks: &[],
    open: Some(&SECRET_REF),
    singleton: true,
};

static ALLOW: BlockSchema = BlockSchema {
    kind: "allow",
    doc: "Allows a hosting-guide rule to fail in this environment, with a written reason.",
    label: LabelRule::Ident,
    extends: false,
    decl: None,
    // The reason is optional in the schema so that a missing one is a warning (W0002) from the
    // rules engine instead of a hard error: the plan still builds, but the gap is reported.
    fields: &[FieldSchema {
        name: "reason",
        ty: Ty::Str(StrFormat::Any),
        required: false,
        default: None,
        doc: "Why the rule does not apply here; shown in diagnostics, the estimate report and the environment's README. Leaving it out is a warning.",
    }],
    blocks: &[],
    open: None,
    singleton: false,
};

static ENVIRONMENT: BlockSchema = BlockSchema {
    kind: "environment",
    doc: "One deployment of CHT: where it runs, what data it holds and which policy it follows.",
    label: LabelRule::Ident,
    extends: true,
    decl: Some(DeclKind::Environment),
    fields: &[
        FieldSchema {
            name: "kind",
            ty: Ty::Enum(ENV_KINDS),
            required: true,
            default: None,
            doc: "What the environment is for; decides how strict the rules are.",
        },
        FieldSchema {
            name: "target",
            ty: Ty::Ctor(&TARGET_CTORS),
            required: true,
            default: None,
            doc: "How CHT is deployed.",
        },
        FieldSchema {
            name: "infra",
            ty: Ty::Ctor(&INFRA_CTORS),
            required: true,
            default: None,
            doc: "Where it runs.",
        },
        FieldSchema {
            name: "domain",
            ty: Ty::Str(StrFormat::Domain),
            required: true,
            default: None,
            doc: "The host name users reach.",
        },
        FieldSchema {
            name: "data",
            ty: Ty::Enum(DATA_CLASSES),
            required: true,
            default: None,
            doc: "What kind of data it holds.",
        },
        FieldSchema {
            name: "scale",
            ty: Ty::Percent,
            required: false,
            default: Some("100% in production and staging, 10% in test, 1% in development"),
            doc: "The share of the plan's users it serves.",
        },
        FieldSchema {
            name: "monitor",
            ty: Ty::Enum(MONITORS),
            required: false,
            default: Some("none"),
            doc: "The monitoring stack.",
        },
        FieldSchema {
            name: "analytics",
            ty: Ty::Enum(ANALYTICS),
            required: false,
            default: Some("none"),
            doc: "The analytics pipeline.",
        },
        FieldSchema {
            name: "policy",
            ty: Ty::Ref(DeclKind::Policy),
            required: true,
            default: None,
            doc: "The policy it follows.",
        },
        FieldSchema {
            name: "namespace",
            ty: Ty::Str(StrFormat::DnsLabel),
            required: false,
            default: Some("the environment's name"),
            doc: "The Kubernetes namespace.",
        },
        FieldSchema {
            name: "strict",
            ty: Ty::Bool,
            required: false,
            default: Some("false"),
            doc: "Holds the environment to the next stricter level of the hosting-guide rules: silent findings of a development environment become warnings, warnings of a test or staging environment become errors.",
        },
    ],
    blocks: &[&COUCHDB, &SECRETS, &ALLOW],
    open: None,
    singleton: false,
};

/// The alternatives of `target`.
static TARGET_CTORS: [Ctor; 2] = [
    Ctor {
        name: "compose",
        doc: "Docker Compose on one host, with CHT's official Compose files.",
        args: CtorArgs::None,
    },
    Ctor {
        name: "kubernetes",
        doc: "A Kubernetes cluster, with objects named as in CHT's Helm chart.",
        args: CtorArgs::Positional(&[Param {
            name: "distribution",
            ty: Ty::Enum(DISTRIBUTIONS),
            required: true,
            doc: "Which Kubernetes.",
        }]),
    },
];

static INFRA_CTORS: [Ctor; 4] = [
    Ctor {
        name: "local",
        doc: "A developer's machine; no infrastructure is created.",
        args: CtorArgs::None,
    },
    Ctor {
        name: "aws",
        doc: "Amazon Web Services; Terraform is generated.",
        args: CtorArgs::Body(&AWS_INFRA),
    },
    Ctor {
        name: "gcp",
        doc: "Google Cloud; Terraform is generated.",
        args: CtorArgs::Body(&GCP_INFRA),
    },
    Ctor {
        name: "onprem",
        doc: "Hardware on premises; the README lists what to provide.",
        args: CtorArgs::Body(&ONPREM_INFRA),
    },
];

static OPERATOR_ROLES: &[EnumValue] = &[
    EnumValue {
        name: "admin",
        doc: "Full control of the environments listed.",
    },
    EnumValue {
        name: "deployer",
        doc: "May deploy and upgrade, not change access.",
    },
    EnumValue {
        name: "viewer",
        doc: "May read state and logs.",
    },
];

static ENV_REF: Ty = Ty::Ref(DeclKind::Environment);

static OPERATOR: BlockSchema = BlockSchema {
    kind: "operator",
    doc: "A person who runs the system; becomes RBAC, IAM and README lines.",
    label: LabelRule::Ident,
    extends: false,
    decl: Some(DeclKind::Operator),
    fields: &[
        FieldSchema {
            name: "role",
            ty: Ty::Enum(OPERATOR_ROLES),
            required: true,
            default: None,
            doc: "What the operator may do.",
        },
        FieldSchema {
            name: "access",
            ty: Ty::List(&ENV_REF),
            required: true,
            default: None,
            doc: "The environments the role applies to.",
        },
        FieldSchema {
            name: "email",
            ty: Ty::Str(StrFormat::Email),
            required: false,
            default: None,
            doc: "The operator's e-mail, used as their identity.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static NUMBER: Ty = Ty::Number;

static ASSUMPTIONS: BlockSchema = BlockSchema {
    kind: "assumptions",
    doc: "Overrides constants of the capacity and cost estimate; the keys are listed below.",
    label: LabelRule::None,
    extends: false,
    decl: None,
    fields: &[],
    blocks: &[],
    open: Some(&NUMBER),
    singleton: true,
};

static RELEASE: BlockSchema = BlockSchema {
    kind: "release",
    doc: "Catalogue: a CHT release and the versions it ships.",
    label: LabelRule::Any,
    extends: false,
    decl: Some(DeclKind::Release),
    fields: &[
        FieldSchema {
            name: "layout",
            ty: Ty::Ref(DeclKind::Layout),
            required: true,
            default: None,
            doc: "The service layout of the release.",
        },
        FieldSchema {
            name: "released",
            ty: Ty::Str(StrFormat::Date),
            required: false,
            default: None,
            doc: "The release date.",
        },
        FieldSchema {
            name: "couchdb",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "The CouchDB version inside cht-couchdb.",
        },
        FieldSchema {
            name: "haproxy",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "The HAProxy version inside cht-haproxy.",
        },
        FieldSchema {
            name: "nginx",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "The nginx version inside cht-nginx.",
        },
        FieldSchema {
            name: "node",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "The Node.js major version of api and sentinel.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static COMPOSE_FILES: &[EnumValue] = &[
    EnumValue {
        name: "core",
        doc: "`cht-core.yml`.",
    },
    EnumValue {
        name: "couchdb",
        doc: "`cht-couchdb.yml` (single node).",
    },
    EnumValue {
        name: "couchdb_clustered",
        doc: "`cht-couchdb-clustered.yml` (three nodes).",
    },
];

static SERVICE_ROLES: &[EnumValue] = &[
    EnumValue {
        name: "api",
        doc: "CHT API.",
    },
    EnumValue {
        name: "sentinel",
        doc: "CHT Sentinel.",
    },
    EnumValue {
        name: "nginx",
        doc: "The TLS-terminating proxy.",
    },
    EnumValue {
        name: "haproxy",
        doc: "The proxy in front of CouchDB.",
    },
    EnumValue {
        name: "healthcheck",
        doc: "HAProxy's CouchDB health agent.",
    },
    EnumValue {
        name: "couchdb",
        doc: "A CouchDB node.",
    },
    EnumValue {
        name: "nouveau",
        doc: "CouchDB's full-text search (5.x).",
    },
];

static SERVICE: BlockSchema = BlockSchema {
    kind: "service",
    doc: "Catalogue: one service of an official Compose file.",
    label: LabelRule::Any,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "name",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: Some("the label"),
            doc: "The Compose service name, when the label differs.",
        },
        FieldSchema {
            name: "file",
            ty: Ty::Enum(COMPOSE_FILES),
            required: true,
            default: None,
            doc: "The official file the service is in.",
        },
        FieldSchema {
            name: "role",
            ty: Ty::Enum(SERVICE_ROLES),
            required: true,
            default: None,
            doc: "What the service is.",
        },
        FieldSchema {
            name: "image",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "The image without its tag; the tag is the release version.",
        },
        FieldSchema {
            name: "hostname",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "The container's host name.",
        },
        FieldSchema {
            name: "port",
            ty: Ty::Count,
            required: false,
            default: None,
            doc: "The port other services reach.",
        },
        FieldSchema {
            name: "env",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "`KEY=value` lines, as in the official file.",
        },
        FieldSchema {
            name: "expose",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "Exposed ports, as in the official file.",
        },
        FieldSchema {
            name: "ports",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "Published ports, as in the official file.",
        },
        FieldSchema {
            name: "volumes",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "Volume mounts, as in the official file.",
        },
        FieldSchema {
            name: "depends_on",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "Services started first.",
        },
        FieldSchema {
            name: "memory_limit",
            ty: Ty::Size,
            required: false,
            default: None,
            doc: "The memory limit.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static SLOT_ENUM: &[EnumValue] = SECRET_SLOTS;

static VARIABLE: BlockSchema = BlockSchema {
    kind: "variable",
    doc: "Catalogue: an environment variable the stack reads.",
    label: LabelRule::Ident,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "doc",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "What it means, for `.env.example`.",
        },
        FieldSchema {
            name: "default",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "The default the official files give it.",
        },
        FieldSchema {
            name: "secret",
            ty: Ty::Enum(SLOT_ENUM),
            required: false,
            default: None,
            doc: "The secret slot that supplies it, for secrets.",
        },
        FieldSchema {
            name: "used_by",
            ty: Ty::List(&ANY_STR),
            required: false,
            default: Some("[]"),
            doc: "The services that read it.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static LAYOUT: BlockSchema = BlockSchema {
    kind: "layout",
    doc: "Catalogue: the services and variables shared by a line of CHT releases.",
    label: LabelRule::Ident,
    extends: false,
    decl: Some(DeclKind::Layout),
    fields: &[FieldSchema {
        name: "upgrade_service_image",
        ty: Ty::Str(StrFormat::Any),
        required: true,
        default: None,
        doc: "The CHT upgrade service image.",
    }],
    blocks: &[&SERVICE, &VARIABLE],
    open: None,
    singleton: false,
};

static REGION: BlockSchema = BlockSchema {
    kind: "region",
    doc: "Catalogue: a cloud region.",
    label: LabelRule::Any,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "location",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "Where the region is.",
        },
        FieldSchema {
            name: "price_factor",
            ty: Ty::Percent,
            required: false,
            default: Some("100%"),
            doc: "Prices in this region relative to the catalogue's reference prices.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static INSTANCE: BlockSchema = BlockSchema {
    kind: "instance",
    doc: "Catalogue: a machine type with its size and on-demand price.",
    label: LabelRule::Any,
    extends: false,
    decl: None,
    fields: &[
        FieldSchema {
            name: "vcpu",
            ty: Ty::Count,
            required: true,
            default: None,
            doc: "Virtual CPUs.",
        },
        FieldSchema {
            name: "memory",
            ty: Ty::Size,
            required: true,
            default: None,
            doc: "Memory.",
        },
        FieldSchema {
            name: "hourly",
            ty: Ty::Money,
            required: true,
            default: None,
            doc: "On-demand price per hour in the reference region (USD).",
        },
        FieldSchema {
            name: "family",
            ty: Ty::Str(StrFormat::Any),
            required: false,
            default: None,
            doc: "general, compute or memory.",
        },
    ],
    blocks: &[],
    open: None,
    singleton: false,
};

static PROVIDER: BlockSchema = BlockSchema {
    kind: "provider",
    doc: "Catalogue: a cloud's regions, machine types and prices.",
    label: LabelRule::Ident,
    extends: false,
    decl: Some(DeclKind::Provider),
    fields: &[
        FieldSchema {
            name: "prices_date",
            ty: Ty::Str(StrFormat::Date),
            required: true,
            default: None,
            doc: "When the prices were read.",
        },
        FieldSchema {
            name: "prices_source",
            ty: Ty::Str(StrFormat::Any),
            required: true,
            default: None,
            doc: "Where the prices come from.",
        },
        FieldSchema {
            name: "block_storage",
            ty: Ty::Money,
            required: true,
            default: None,
            doc: "Block storage per GiB-month (USD).",
        },
        FieldSchema {
            name: "object_storage",
            ty: Ty::Money,
            required: true,
            default: None,
            doc: "Object storage per GiB-month (USD).",
        },
        FieldSchema {
            name: "kubernetes",
            ty: Ty::Money,
            required: true,
            default: None,
            doc: "A managed Kubernetes control plane per hour (USD).",
        },
    ],
    blocks: &[&REGION, &INSTANCE],
    open: None,
    singleton: false,
};

/// The blocks allowed at the top level of a file, in the order the reference lists them.
pub static TOP_LEVEL: &[&BlockSchema] = &[
    &PLAN,
    &POPULATION,
    &USERS,
    &POLICY,
    &ENVIRONMENT,
    &OPERATOR,
    &ASSUMPTIONS,
    &RELEASE,
    &LAYOUT,
    &PROVIDER,
];

/// Every block schema, for the reference and for lookups by kind.
pub static ALL_BLOCKS: &[&BlockSchema] = &[
    &PLAN,
    &POPULATION,
    &USERS,
    &ROLE,
    &POLICY,
    &TLS,
    &BACKUP,
    &ALERTING,
    &ENVIRONMENT,
    &COUCHDB,
    &SECRETS,
    &ALLOW,
    &AWS_INFRA,
    &GCP_INFRA,
    &ONPREM_INFRA,
    &OPERATOR,
    &ASSUMPTIONS,
    &RELEASE,
    &LAYOUT,
    &SERVICE,
    &VARIABLE,
    &PROVIDER,
    &REGION,
    &INSTANCE,
];

pub fn top_level(kind: &str) -> Option<&'static BlockSchema> {
    TOP_LEVEL.iter().copied().find(|it| it.kind == kind)
}

/// The top-level schema of a block kind, used by the model to find the blocks it reads.
pub fn block(kind: &str) -> Option<&'static BlockSchema> {
    ALL_BLOCKS.iter().copied().find(|it| it.kind == kind)
}
