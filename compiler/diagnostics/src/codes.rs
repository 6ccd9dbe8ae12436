//! The registry of diagnostic codes.
//!
//! Codes are stable and never reused. Each has a kebab-case name that reads as the problem
//! and an explanation page with fixed sections, printed by `hostplan explain CODE`.
//! `E0xxx` are syntax errors, `E1xxx` modules and names, `E2xxx` types, schemas and domain
//! validation, `W0xxx` warnings about the plan itself, and `Rxxxx` the hosting-guide rules.

/// One registered diagnostic code.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CodeInfo {
    pub code: &'static str,
    pub name: &'static str,
    /// One line, shown in listings.
    pub summary: &'static str,
    /// Markdown with the sections `What it means`, `Example` and `How to fix`.
    pub doc: &'static str,
}

/// Finds a code by its code (`E2103`) or its name (`unknown-field`), ignoring ASCII case.
pub fn lookup(key: &str) -> Option<&'static CodeInfo> {
    CODES
        .iter()
        .copied()
        .find(|it| it.code.eq_ignore_ascii_case(key) || it.name.eq_ignore_ascii_case(key))
}

macro_rules! codes {
    ($( $ident:ident = $code:literal, $name:literal, $summary:literal, $doc:literal; )*) => {
        $(
            #[doc = $summary]
            pub static $ident: CodeInfo = CodeInfo { code: $code, name: $name, summary: $summary, doc: $doc };
        )*
        /// Every registered code, in code order.
        pub static CODES: &[&CodeInfo] = &[$(&$ident),*];
    };
}

codes! {
    E0001 = "E0001", "unexpected-token", "the parser found a token it did not expect here",
r#"## What it means
The text does not follow the grammar of `.hplan` files at this point: for example an `=` is missing between a field and its value, or a block is not closed.
The parser recovers at the next field or block, so every independent syntax error in a file is reported in one run.

## Example
```hplan
plan "moh" {
  cht "5.2.0"
}
```

## How to fix
Write `name = value` for fields and `kind label { ... }` for blocks; the label of the diagnostic says what was expected."#;
    E0002 = "E0002", "unterminated-string", "a string is not closed before the end of the line",
r#"## What it means
Strings are written in double quotes on one line. This one has no closing quote.

## Example
```hplan
domain = "cht.moh.example.org
```

## How to fix
Add the closing `"`. To put a quote inside a string, write `\"`."#;
    E0003 = "E0003", "invalid-escape", "a string contains an escape sequence that does not exist",
r#"## What it means
Inside strings, a backslash starts an escape. Only `\"`, `\\`, `\n`, `\r`, `\t` and `\u{HEX}` exist.

## Example
```hplan
owner = "C:\temp"
```

## How to fix
Write a backslash as `\\`."#;
    E0004 = "E0004", "invalid-character", "a character that cannot start any token",
r#"## What it means
The file contains a character that is not part of the language outside strings and comments, such as `;` or `@`.

## Example
```hplan
horizon = 5y;
```

## How to fix
Remove the character, or put the text in a string or after `#` as a comment."#;
    E0005 = "E0005", "unknown-unit", "a number is followed by a unit that does not exist",
r#"## What it means
Quantities are a number immediately followed by a unit. Durations use `s`, `m`, `h`, `d`, `w`, `y`; sizes `B`, `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB`, `TiB`; percentages `%`.

## Example
```hplan
backup { every = 24hours }
```

## How to fix
Use one of the units above, with no space: `24h`."#;
    E0006 = "E0006", "unclosed-delimiter", "a `{`, `[` or `(` is never closed",
r#"## What it means
An opening bracket has no matching closing bracket before the end of the file or the enclosing block.

## Example
```hplan
environment dev {
  kind = development
```

## How to fix
Add the missing `}`, `]` or `)`. The secondary label shows where the bracket was opened."#;
    E1001 = "E1001", "unknown-module", "an import names a module or file that does not exist",
r#"## What it means
`import "std/NAME"` must name a module of the standard library, and `import "./file.hplan"` an existing file relative to the importing file.

## Example
```hplan
import "std/azure"
```

## How to fix
Check the spelling; `hostplan explain E1001` lists nothing more, but the help of the diagnostic lists the standard library modules."#;
    E1002 = "E1002", "unknown-reference", "a name does not refer to any declaration",
r#"## What it means
A reference such as `policy = hardened` or `access = [production]` names something that is not declared in the plan, in an imported file or in the standard library.

## Example
```hplan
environment production {
  policy = hardend
}
```

## How to fix
Declare it, fix the spelling (the diagnostic suggests the closest name), or add the missing `import`."#;
    E1003 = "E1003", "import-cycle", "files import each other in a cycle",
r#"## What it means
File A imports B, which imports A again (possibly through more files). The diagnostic shows every import of the cycle.

## Example
```hplan
# a.hplan
import "./b.hplan"
# b.hplan
import "./a.hplan"
```

## How to fix
Move what both files need into a third file that imports neither."#;
    E1004 = "E1004", "import-outside-root", "an import leaves the directory of the entry plan",
r#"## What it means
A plan may only import files inside the directory of the plan file given to `hostplan`, so that a plan directory is self-contained and can be reviewed and built on its own.

## Example
```hplan
import "../../secrets/passwords.hplan"
```

## How to fix
Copy the shared file into the plan's directory, or run `hostplan` on a plan higher up."#;
    E1005 = "E1005", "duplicate-definition", "two declarations have the same name",
r#"## What it means
Policies, environments, secrets, operators, roles and catalogue entries must have unique names within their kind, and a singleton block such as `plan` may appear only once.

## Example
```hplan
environment uat { kind = test }
environment uat { kind = staging }
```

## How to fix
Rename or remove one of them; the secondary label shows the first declaration."#;
    E1006 = "E1006", "extends-cycle", "`extends` chains form a cycle",
r#"## What it means
A policy or environment extends another that, directly or through others, extends the first again. The diagnostic lists the whole cycle.

## Example
```hplan
policy a extends b {}
policy b extends a {}
```

## How to fix
Break the cycle: one of them must stand on its own."#;
    E1007 = "E1007", "wrong-reference-kind", "a name refers to a declaration of the wrong kind",
r#"## What it means
The field expects one kind of declaration (for example a policy) but the name refers to another kind (for example an environment).

## Example
```hplan
environment uat { policy = production }   # `production` is an environment
```

## How to fix
Refer to a declaration of the kind the field expects."#;
    E1008 = "E1008", "missing-declaration", "a block the plan needs is missing",
r#"## What it means
Every plan has exactly one `plan` block, one `population` block and one `users` block, and at least one environment.

## Example
```hplan
plan "moh" { cht = "5.2.0", owner = "MoH", horizon = 5y }
# no population block
```

## How to fix
Add the block the message names."#;
    E2101 = "E2101", "unknown-block", "a block of a kind that is not allowed here",
r#"## What it means
Each place in a plan accepts a closed set of block kinds. At the top level these are `plan`, `population`, `users`, `secret`, `policy`, `environment`, `operator`, `assumptions` and the catalogue blocks.

## Example
```hplan
enviroment dev { }
```

## How to fix
Fix the spelling (the diagnostic suggests the closest kind) or move the block where it belongs."#;
    E2102 = "E2102", "missing-field", "a required field is missing",
r#"## What it means
The block's schema has a required field that the block does not set, and neither does a block it extends.

## Example
```hplan
environment dev { kind = development }   # no target
```

## How to fix
Add the field named in the message; `docs/reference.md` lists each block's fields."#;
    E2103 = "E2103", "unknown-field", "a field that the block's schema does not have",
r#"## What it means
Blocks have closed schemas: a misspelt field would otherwise be silently ignored, and a backup policy with `retension = 35d` would keep nothing.

## Example
```hplan
backup { every = 24h, retension = 35d }
```

## How to fix
Use one of the block's fields; the diagnostic suggests the closest one and offers a quick fix."#;
    E2104 = "E2104", "type-mismatch", "a value of the wrong type",
r#"## What it means
Every field has a type: a string, a count, a duration, a size, a percentage, money, a true/false flag, one of a set of names, a reference or a list of these.

## Example
```hplan
population { people = "2 million" }
```

## How to fix
Write a value of the type the message names."#;
    E2105 = "E2105", "unit-mismatch", "a quantity has the wrong kind of unit",
r#"## What it means
Units are checked: a duration cannot stand where a size is expected.

## Example
```hplan
backup { keep = 100GiB }
```

## How to fix
Use a unit of the expected kind, such as `35d` for a retention."#;
    E2106 = "E2106", "unknown-variant", "a name that is not one of the field's allowed values",
r#"## What it means
Some fields take one of a fixed set of names, such as `kind = development | test | staging | production`.

## Example
```hplan
environment uat { kind = testing }
```

## How to fix
Use one of the values the help lists."#;
    E2107 = "E2107", "duplicate-field", "a field is set twice in the same block",
r#"## What it means
Each field may be set once per block; a second value would silently win.

## Example
```hplan
tls { mode = acme, mode = managed }
```

## How to fix
Remove one of them."#;
    E2108 = "E2108", "value-out-of-range", "a value outside the range the field allows",
r#"## What it means
Numbers and quantities have bounds: a share of users between 0% and 100%, a positive count, a backup interval shorter than its retention.

## Example
```hplan
environment uat { scale = 150% }
```

## How to fix
Use a value inside the range the message gives."#;
    E2109 = "E2109", "invalid-label", "a block's label is missing, unexpected or malformed",
r#"## What it means
Some blocks need a name (`environment dev`), others take none (`population`); names follow fixed forms.

## Example
```hplan
environment { kind = test }
```

## How to fix
Add or remove the label as the message says."#;
    E2110 = "E2110", "invalid-arguments", "a constructor is called with the wrong arguments",
r#"## What it means
Constructors such as `env("VAR")`, `generate(words = 7)`, `kubernetes(eks)` and `downtime(5m)` take fixed arguments.

## Example
```hplan
secret admin = generate(7)
```

## How to fix
Pass the arguments the help lists, by name where the constructor names them."#;
    E2111 = "E2111", "secret-as-plain-value", "a secret is used where a plain value is expected",
r#"## What it means
A secret may only flow into places typed to accept one, such as an environment's `secrets` block. Anywhere else its value could end up in an output file, a log or a diff.

## Example
```hplan
environment dev { domain = couchdb_admin }
```

## How to fix
Use a plain value here, and pass the secret through the environment's `secrets` block."#;
    E2112 = "E2112", "invalid-format", "a string does not have the form the field requires",
r#"## What it means
Some strings have a format: domains, CIDR ranges, e-mail addresses, dates, update windows, environment variable names.

## Example
```hplan
admin_from = ["196.201.0.0/33"]
```

## How to fix
Write the value in the form the help shows."#;
    E2113 = "E2113", "invalid-extends", "`extends` is not allowed here or names the wrong kind",
r#"## What it means
Only policies and environments may extend another declaration, and only one of the same kind.

## Example
```hplan
environment uat extends hardened { }   # `hardened` is a policy
```

## How to fix
Extend a declaration of the same kind, or remove `extends`."#;
    E2201 = "E2201", "unknown-cht-release", "the plan names a CHT release the catalogue does not know",
r#"## What it means
`cht = "..."` must name a release in the standard library's catalogue (`std/cht`), which records each release's services, images, ports and variables. Outputs for an unknown release could not match CHT's own files.

## Example
```hplan
plan "moh" { cht = "5.9.0" }
```

## How to fix
Use a release the help lists. Newer releases come with newer versions of Hostplan."#;
    E2202 = "E2202", "invalid-cluster-size", "a CouchDB cluster that CHT does not support",
r#"## What it means
CHT runs CouchDB as a single node or as a three-node cluster: the official Compose file and Helm charts assume exactly three nodes, and two nodes give no quorum.

## Example
```hplan
couchdb { nodes = 2 }
```

## How to fix
Use `nodes = 1` (CHT's current advice: one node scales as far as a cluster) or `nodes = 3`."#;
    E2203 = "E2203", "target-needs-infrastructure", "the deployment target does not fit the infrastructure",
r#"## What it means
Some targets need particular infrastructure: EKS runs only on AWS, GKE only on Google Cloud, AKS only on Azure; k3s and generic clusters run anywhere except a laptop without a cluster.

## Example
```hplan
environment production { target = kubernetes(eks), infra = gcp { region = "europe-west1" } }
```

## How to fix
Choose a target that runs on the infrastructure, or change the infrastructure."#;
    E2204 = "E2204", "secret-not-url-safe", "a secret that CHT embeds in a URL may not be URL-safe",
r#"## What it means
CHT puts the CouchDB admin password, unencoded, into `COUCH_URL=http://user:password@haproxy:5984/medic`. Characters such as `@`, `:`, `/` or `#` in it break every service's connection to CouchDB.

## Example
```hplan
secret couchdb_admin = generate(length = 32, symbols = true)
```

## How to fix
Generate the password from words (`generate(words = 7)`) or from letters and digits only (`generate(length = 32)`)."#;
    E2205 = "E2205", "unknown-catalogue-entry", "a region, instance type or provider the catalogue does not know",
r#"## What it means
Regions and instance types are checked against the provider catalogues of the standard library, which hold their prices and sizes.

## Example
```hplan
infra = aws { region = "af-south-2" }
```

## How to fix
Use a name the help lists."#;
    E2206 = "E2206", "unknown-assumption", "an `assumptions` entry that the estimate does not have",
r#"## What it means
The `assumptions` block overrides constants of the capacity and cost estimate; each key must be one the estimate uses.

## Example
```hplan
assumptions { docs_per_gigabyte = 200_000 }
```

## How to fix
Use a key listed in the language reference; the diagnostic suggests the closest."#;
    E2207 = "E2207", "unknown-secret-slot", "a `secrets` entry that names no credential CHT reads",
r#"## What it means
An environment's `secrets` block binds CHT's credentials (`couchdb_admin`, `couchdb_secret`, ...) to the plan's secrets. Other names have no effect.

## Example
```hplan
secrets { couchdb_pasword = uat_admin }
```

## How to fix
Use one of the slots the help lists."#;
    E2208 = "E2208", "missing-secret", "an environment has no secret for a credential CHT needs",
r#"## What it means
Every environment needs a secret for each CHT credential: bind it in the environment's `secrets` block, or declare a plan secret with the slot's name.

## Example
```hplan
environment dev { ... }   # and no `secret couchdb_admin = ...` anywhere
```

## How to fix
Declare the secret, for example `secret couchdb_admin = generate(words = 7)`."#;
    E2209 = "E2209", "invalid-onprem-capacity", "the on-premises hardware cannot run the environment",
r#"## What it means
An `onprem` block lists the hardware provided. It is checked against the environment's target: a three-node CouchDB cluster needs at least three nodes, and Kubernetes needs at least one.

## Example
```hplan
infra = onprem { nodes = 1 }
couchdb { nodes = 3 }
```

## How to fix
Provide enough nodes, or change the topology."#;
    R0101 = "R0101", "missing-backup", "an environment keeps no backups",
r#"## What it means
The environment's policy has no `backup` block, so nothing copies the CouchDB data and the credentials that decrypt it (`COUCHDB_SECRET`, the admin password, the uuid). When the disk fails, the data is gone.
CHT's backup guide asks for the CouchDB data directory and the `.env` to be copied on a schedule, and for restores to be tested.

Hosting guide question: Backups: "What happens to the CHT data if there's a hard drive failure?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy thin {
  tls { mode = acme }
}
environment production {
  kind   = production
  policy = thin
  ...
}
```

## How to fix
Add a `backup` block to the policy, or use a preset that has one (`policies.baseline`, `policies.production`):

```hplan
policy thin {
  tls    { mode = acme }
  backup { every = 24h, keep = 35d, offsite = true, encrypted = true }
}
```"#;
    R0102 = "R0102", "onsite-only-backup", "every backup copy is on the same site as the data",
r#"## What it means
The policy's backups have `offsite = false`: they sit in the same building, region or account as the data they protect, so a flood, a fire or a lost account destroys both together.
CHT's backup guide follows the 3-2-1 rule: at least one copy elsewhere.

Hosting guide question: Disaster Recovery: "What happens if there is a flood at the facility and on-site active and backup data are destroyed?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened {
  backup { every = 24h, keep = 35d }   # offsite defaults to false
}
```

## How to fix
Set `offsite = true` in the `backup` block (with `offsite_region` to name another cloud region), or send backups to a `location` on another site:

```hplan
backup { every = 24h, keep = 35d, offsite = true, offsite_region = "eu-west-1" }
```"#;
    R0103 = "R0103", "unencrypted-backup", "backups are not encrypted",
r#"## What it means
The policy's backups have `encrypted = false`. A backup holds all patient data and the `.env` with the CouchDB admin password and secret; whoever reads an unencrypted copy, wherever it travels, reads everything.
CHT's backup guide encrypts its borg repository (`repokey-blake2`).

Hosting guide question: Disaster Recovery: "What happens if there is a flood at the facility and on-site active and backup data are destroyed?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
backup { every = 24h, keep = 35d, offsite = true }   # encrypted defaults to false
```

## How to fix
Set `encrypted = true` in the `backup` block, and keep the key outside the backup."#;
    R0104 = "R0104", "sparse-backup-schedule", "backups are taken too rarely or kept too briefly",
r#"## What it means
Backups run less often than once a day (`every` longer than 24h), so a failure can lose more than a day of field work, or they are kept less than seven days (`keep` shorter than 7d), so a problem noticed after a weekend or a holiday can no longer be undone.
CHT's own example backs up every 4 hours and keeps ten days plus weekly and monthly copies.

Hosting guide question: Backups: "What happens to the CHT data if there's a hard drive failure?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
backup { every = 7d, keep = 3d }
```

## How to fix
Back up at least daily and keep at least a week; production presets keep 35 days:

```hplan
backup { every = 24h, keep = 35d }
```"#;
    R0105 = "R0105", "missing-alert-channel", "nobody receives the environment's alerts",
r#"## What it means
The policy has no `alerting` block, or one without an `email` or `webhook` channel: alerts may be raised, but nobody hears them. Deployments have run for days degraded or down until users complained.
The standard presets list alert conditions but leave the channel to the plan, because it names the deployment's own people.

Hosting guide question: Alerting: "How will alerts be sent in the case of downtime or degraded service?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened extends policies.production {
  # no alerting channel added
}
```

## How to fix
Add a channel to the policy's `alerting` block; the conditions of the preset are kept, because nested blocks merge field by field:

```hplan
alerting { email = ["ops@moh.example.org"] }
```"#;
    R0106 = "R0106", "missing-alert-condition", "alerts do not cover downtime, a filling disk, certificate expiry or failed backups",
r#"## What it means
The policy's `alerting { on = [...] }` lacks one of the conditions the hosting guide's questions need, or sets it too loosely: `downtime` (at most 30 minutes), `disk_used` (at most 90%; upgrades can need five times the CouchDB data size, so disks must be watched early), `cert_expiry` (at least 7 days ahead) and, when the policy takes backups, `backup_failed`.
CHT Watchdog ships no disk or certificate alert, so these must be stated.

Hosting guide question: Alerting: "How will alerts be sent in the case of downtime or degraded service?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
alerting {
  email = ["ops@moh.example.org"]
  on    = [downtime(5m)]
}
```

## How to fix
List every condition; remember that lists replace the parent's on `extends`:

```hplan
alerting {
  email = ["ops@moh.example.org"]
  on    = [downtime(5m), disk_used(80%), cert_expiry(14d), backup_failed]
}
```"#;
    R0107 = "R0107", "manual-restart", "services do not restart on their own",
r#"## What it means
The policy sets `restart = on_failure` or `restart = never`. After a power failure or a reboot, Docker starts again only containers whose policy is `always` or `unless_stopped`; with the others, CHT stays down until someone starts it by hand.
CHT's own Compose files use `restart: always` for every service.

Hosting guide question: Power failures and unplanned restarts: "Will the server cleanly restart such that the CHT resumes service correctly?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy lab {
  restart = on_failure
}
```

## How to fix
Use `restart = always` (CHT's default) or `restart = unless_stopped`."#;
    R0108 = "R0108", "boot-start-disabled", "the container runtime does not start when the host boots",
r#"## What it means
The policy sets `start_on_boot = false`, so after a power failure the host comes back without Docker or k3s running, and no restart policy can help. The CHT documentation leaves this step to the operator, and it is easy to miss.
Managed Kubernetes (EKS, GKE, AKS) starts its nodes' runtime itself, so the rule applies only to Compose hosts and self-managed clusters.

Hosting guide question: Power failures and unplanned restarts: "Will the server cleanly restart such that the CHT resumes service correctly?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy lab {
  start_on_boot = false
}
```

## How to fix
Set `start_on_boot = true`; the environment's README then lists the command that enables the runtime at boot (for example `systemctl enable docker`)."#;
    R0109 = "R0109", "manual-certificate-renewal", "TLS certificates are not renewed automatically",
r#"## What it means
Certificates expire, and an expired certificate makes the instance unreachable from every phone. The policy's certificates are renewed by hand: there is no `tls` block, the mode is `own_cert`, the mode is `managed` on a target whose platform manages no certificates (only EKS, GKE and AKS load balancers do), or `renew_before` leaves less than 7 days to notice a failed renewal.

Hosting guide question: Updates: "By definition TLS certificates expire and software needs to be updated - how will the deployment get these updates on a regular basis?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened {
  tls { mode = own_cert }
}
```

## How to fix
Use `mode = acme` (Let's Encrypt, renewed by certbot) or, on EKS, GKE or AKS, `mode = managed`, and renew at least a week ahead:

```hplan
tls { mode = acme, renew_before = 30d }
```"#;
    R0110 = "R0110", "self-signed-certificate", "a self-signed certificate outside development",
r#"## What it means
The policy uses `mode = self_signed`, CHT's default certificate. Android phones and browsers refuse it, so the app cannot sync, and users learn to click through certificate warnings. It is meant for a developer's machine only.

Hosting guide question: Updates: "By definition TLS certificates expire and software needs to be updated - how will the deployment get these updates on a regular basis?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
environment uat {
  kind   = test
  policy = policies.development   # self-signed
  ...
}
```

## How to fix
Use `mode = acme` or `mode = managed`, for example through `policies.baseline`."#;
    R0111 = "R0111", "unencrypted-disk", "disks holding CouchDB data are not encrypted",
r#"## What it means
The policy does not set `encryption = at_rest`. Whoever takes the server, the disk or a snapshot reads every patient record. Medic's policy for patient health information requires full-disk encryption wherever it is stored.

Hosting guide question: Security: "While the TLS certificate will protect data on the LAN, is the server hard drive encrypted in the event of property theft?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened {
  encryption = none
}
```

## How to fix
Set `encryption = at_rest`: cloud volumes are created encrypted, and the README of an on-premises environment says how to encrypt its disks."#;
    R0112 = "R0112", "real-data-weak-policy", "an environment with real patient data has a policy weaker than production's",
r#"## What it means
The environment holds `data = real` but is not a production environment, and its policy fails checks that production must pass (backups, offsite and encrypted copies, alerting channel, certificates, encryption at rest). Real patient data needs production's protection wherever it is.
In a production environment the individual rules already report each shortfall as an error, so this rule covers the other kinds; it skips the checks the environment allows.

Hosting guide question: Privacy: "The CHT inherently carries sensitive patient medical information in the database. Are there sufficient measures in place to protect this sensitive data?"

Severity: an error in every kind of environment, because real patient data needs the same protection wherever it is.

## Example
```hplan
environment staging {
  kind   = staging
  data   = real
  policy = policies.baseline   # no offsite backup, no encryption at rest
  ...
}
```

## How to fix
Give the environment a production-grade policy (`policies.production` or one that extends it), or hold `anonymized` data instead."#;
    R0113 = "R0113", "real-data-outside-production", "a non-production environment holds real patient data",
r#"## What it means
Development, test and staging environments should hold `synthetic` or `anonymized` data. Copies of production data in them are seen by more people, kept longer and protected less; Medic's own practice is to clone production only into encrypted, short-lived copies and delete them afterwards.

Hosting guide question: Privacy: "The CHT inherently carries sensitive patient medical information in the database. Are there sufficient measures in place to protect this sensitive data?"

Severity: an error in every kind of environment, because real patient data needs the same protection wherever it is.

## Example
```hplan
environment uat {
  kind = test
  data = real
  ...
}
```

## How to fix
Use `data = anonymized` or `data = synthetic`. If a staging environment must rehearse an upgrade on a copy of production, allow the rule there with the reason and how the copy is deleted, and give it a production-grade policy (rule R0112 still holds):

```hplan
allow R0113 { reason = "upgrade rehearsal on an encrypted clone, deleted within 7 days" }
```"#;
    R0114 = "R0114", "shared-secret", "two environments share a secret",
r#"## What it means
Two environments use the same credential: the same plan secret read from an environment variable, a file or an external store, or two secrets read from the same place. Whoever has the test or development password then also has production's, and rotating it in one environment breaks the other.
Secrets from `generate(...)` are generated separately for each environment, so binding one in several environments shares no value and is not reported.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: that of the stricter of the two environments (an error when either is production, a warning when either is test or staging, silent between development environments unless one sets `strict = true`). An `allow` in either environment suppresses it.

## Example
```hplan
secret couchdb_admin = env("CHT_COUCHDB_PASSWORD")
environment dev { ... }          # uses couchdb_admin by name
environment production { ... }   # and so does production
```

## How to fix
Declare one secret per environment and bind it in the environment's `secrets` block:

```hplan
secret dev_admin = generate(words = 7)
environment dev {
  secrets { couchdb_admin = dev_admin }
}
```"#;
    R0115 = "R0115", "shared-data-volume", "two environments use the same CouchDB data volume",
r#"## What it means
Two environments name the same `couchdb { volume = ... }`: both would write into one CouchDB data directory or disk, so test traffic corrupts or reads production's data.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: that of the stricter of the two environments (an error when either is production, a warning when either is test or staging, silent between development environments unless one sets `strict = true`). An `allow` in either environment suppresses it.

## Example
```hplan
environment production { couchdb { volume = "vol-0a1b2c3d" } ... }
environment staging    { couchdb { volume = "vol-0a1b2c3d" } ... }
```

## How to fix
Give each environment its own volume; to rehearse on production data, restore a snapshot into a new volume."#;
    R0116 = "R0116", "shared-namespace", "two Kubernetes environments use the same namespace",
r#"## What it means
CHT's Kubernetes objects have fixed names (`cht-api`, `couchdb-claim0`, ...), so two environments deployed into the same namespace overwrite each other's deployments, secrets and volume claims.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: that of the stricter of the two environments (an error when either is production, a warning when either is test or staging, silent between development environments unless one sets `strict = true`). An `allow` in either environment suppresses it.

## Example
```hplan
environment uat        { target = kubernetes(k3s), namespace = "cht" ... }
environment production { target = kubernetes(k3s), namespace = "cht" ... }
```

## How to fix
Leave `namespace` unset (it defaults to the environment's name) or give each environment its own."#;
    R0117 = "R0117", "shared-domain", "two environments use the same domain",
r#"## What it means
Two environments answer at the same host name: phones configured for one sync with the other, certificates collide, and test data reaches production users.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: that of the stricter of the two environments (an error when either is production, a warning when either is test or staging, silent between development environments unless one sets `strict = true`). An `allow` in either environment suppresses it.

## Example
```hplan
environment uat        { domain = "cht.moh.example.org" ... }
environment production { domain = "cht.moh.example.org" ... }
```

## How to fix
Give each environment its own host name, such as `uat.cht.moh.example.org`."#;
    R0118 = "R0118", "shared-backup-location", "two environments write backups to the same place",
r#"## What it means
Two environments name the same `backup { location = ... }`: their backups mix, retention of one prunes the other's copies, and a restore may bring back the wrong environment's data.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: that of the stricter of the two environments (an error when either is production, a warning when either is test or staging, silent between development environments unless one sets `strict = true`). An `allow` in either environment suppresses it.

## Example
```hplan
backup { every = 24h, keep = 35d, location = "s3://moh-backups" }   # in two environments' policies
```

## How to fix
Give each environment its own location, for example a prefix per environment (`s3://moh-backups/production`)."#;
    R0119 = "R0119", "undersized-storage", "provisioned storage does not cover projected growth with upgrade headroom",
r#"## What it means
The disk the plan provisions for CouchDB (`couchdb { disk = ... }`, or the disk of each `onprem` node) is smaller than the data projected at the end of the planning horizon plus the free space upgrades need: CHT upgrades re-index views and can need five times the CouchDB data size.
The projection follows CHT's hosting cost calculator: documents from the population, workflows and users, grown by the population's yearly growth over the horizon, scaled by the environment's share of users, at 186,089 documents per GB, plus five times that for upgrades (and a 50 GB root volume on on-premises nodes). Without an explicit disk, the estimate sizes the volume and the rule has nothing to check.

Hosting guide question: Scale: "What happens when the hardware deployed needs to be upgraded to increase capacity?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
plan "moh" { horizon = 5y ... }
environment production {
  couchdb { disk = 100GiB }
  ...
}
```

## How to fix
Provision at least the size the message names, or shorten the horizon if the plan will be revisited sooner."#;
    R0120 = "R0120", "replication-limit-exceeded", "offline users would replicate more documents than CHT supports",
r#"## What it means
CHT recommends that each offline user replicates at most about 10,000 documents; above it replication fails and the server slows down for everyone (Watchdog's "Users Over Replication Limit"). Projected over the planning horizon, the plan's documents divided among its offline users exceed that.
The projection counts every contact and report of the horizon, as CHT's calculator does; deployments stay under the limit by purging old reports or narrowing `replication_depth`, which the plan cannot see.

Hosting guide question: Scale: "What happens when the hardware deployed needs to be upgraded to increase capacity?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
population { people = 2_400_000, workflows = 12 }
users { role chw { count = 1_000, sync = offline } }
```

## How to fix
Add offline users so each serves fewer people, plan purging in the CHT app configuration, or allow the rule with the purge rule as the reason:

```hplan
allow R0120 { reason = "reports older than 12 months are purged from devices" }
```"#;
    R0121 = "R0121", "unrestricted-admin-access", "admin endpoints are reachable from anywhere",
r#"## What it means
The policy's `admin_from` is empty, so the admin app, Fauxton (`/_utils/`) and the CouchDB admin API are reachable from the whole internet, protected only by the admin password.

Hosting guide question: Privacy: "The CHT inherently carries sensitive patient medical information in the database. Are there sufficient measures in place to protect this sensitive data?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened extends policies.production {
  # no admin_from
}
```

## How to fix
List the networks admins work from:

```hplan
admin_from = ["196.201.0.0/16"]
```"#;
    R0122 = "R0122", "public-port", "a service publishes a port other than 80 and 443",
r#"## What it means
Only nginx should be reachable from outside, on ports 80 and 443. A service of the release layout publishes another port to the host, which exposes CouchDB, the API or a tool directly, without TLS or the admin allow-list.
The standard catalogue publishes only nginx's two ports; this rule guards catalogues a plan declares itself.

Hosting guide question: Privacy: "The CHT inherently carries sensitive patient medical information in the database. Are there sufficient measures in place to protect this sensitive data?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
service couchdb {
  ...
  ports = ["5984:5984"]
}
```

## How to fix
Remove the published port and reach the service through nginx, or over an SSH tunnel for administration."#;
    R0123 = "R0123", "colocated-watchdog", "CHT Watchdog would run on the host it watches",
r#"## What it means
The environment uses `monitor = watchdog`, but its infrastructure has only one host (`infra = local`, or `onprem { nodes = 1 }`), so Watchdog would run beside the instance it watches. When that host fails, the monitoring fails with it and no alert is sent. CHT's documentation requires Watchdog on a separate server.

Hosting guide question: Alerting: "How will alerts be sent in the case of downtime or degraded service?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
environment production {
  infra   = onprem { nodes = 1, cpu = 8, memory = 16GiB, disk = 500GiB }
  monitor = watchdog
  ...
}
```

## How to fix
Provide a second host (`onprem { nodes = 2, ... }`) or run the environment on a cloud, where Watchdog gets its own machine."#;
    R0124 = "R0124", "missing-test-environment", "a production environment has no test or staging environment beside it",
r#"## What it means
The plan has a production environment but no `test` or `staging` one, so configuration changes and CHT upgrades reach real users untried. The hosting guide asks for development, UAT and production environments so that the application is tested and server components are upgraded first where nothing is at stake.

Hosting guide question: Segregation of environments: "Failure to properly segregate development, test, and production environments may result in loss of availability, confidentiality, and integrity of data."

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
environment production { kind = production ... }
# no environment with kind = test or staging
```

## How to fix
Add a test or staging environment, for example one serving a small share of users with anonymized data:

```hplan
environment uat {
  kind  = test
  data  = anonymized
  scale = 5%
  ...
}
```"#;
    R0125 = "R0125", "unattended-environment", "no operator may act on the environment",
r#"## What it means
No `operator` with the `admin` or `deployer` role lists the environment in `access`, so when it goes down nobody is named to restore it, and no credentials or cluster roles are generated for anyone.

Hosting guide question: Support: "Support in case of downtime by setting up various lines of support."

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
operator amina { role = viewer, access = [production] }
```

## How to fix
Give at least one operator the `admin` or `deployer` role on the environment."#;
    R0126 = "R0126", "unscheduled-updates", "the policy sets no window for updates",
r#"## What it means
The policy has no `update_window`, so nobody has agreed when CHT and host updates may run. Upgrades then wait until something breaks, or run in working hours while health workers sync; large CHT upgrades can take hours of re-indexing.

Hosting guide question: Updates: "By definition TLS certificates expire and software needs to be updated - how will the deployment get these updates on a regular basis?"

Severity: an error in a production environment, a warning in test and staging, silent in development unless the environment sets `strict = true` (which also turns test and staging warnings into errors).

## Example
```hplan
policy hardened extends policies.production {
  # no update_window
}
```

## How to fix
State when updates may run, in the deployment's time zone:

```hplan
update_window = "Sun 02:00-04:00"
```"#;
    E3001 = "E3001", "unknown-dependency", "a catalogue service waits for a service its release does not have",
r#"## What it means
A `service` of a release layout lists in `depends_on` a service that is in neither `cht-core.yml` nor the CouchDB file it is deployed with.
Docker Compose refuses such a file, and the dependency graph cannot order the services.
The standard library's layouts are checked by Hostplan's tests; this error comes from a layout a plan declares itself.

## Example
```hplan
layout custom {
  upgrade_service_image = "public.ecr.aws/s5s3h4s7/cht-upgrade-service:latest"
  service api { file = core, role = api, image = "public.ecr.aws/medic/cht-api", depends_on = ["haproxi"] }
}
```

## How to fix
Name a service of the layout, spelled as its compose service name (`haproxy`)."#;
    E3002 = "E3002", "dependency-cycle", "catalogue services wait for each other in a cycle",
r#"## What it means
The `depends_on` lists of a release layout form a cycle, so no service of the cycle can start first.
Docker Compose refuses such files, and the dependency graph that orders every backend's output has no order to give.

## Example
```hplan
service api { file = core, role = api, image = "public.ecr.aws/medic/cht-api", depends_on = ["haproxy"] }
service haproxy { file = core, role = haproxy, image = "public.ecr.aws/medic/cht-haproxy", depends_on = ["api"] }
```

## How to fix
Remove the `depends_on` entry that points back: in CHT's own files, services wait for the ones they send requests to, never the other way round."#;
    W0001 = "W0001", "unused-declaration", "a secret, policy or import is declared but never used",
r#"## What it means
Nothing in the plan refers to this declaration, so it has no effect. It is often a leftover or a misspelt reference elsewhere.

## Example
```hplan
secret old_admin = env("OLD")
```

## How to fix
Remove it, or use it where it was meant to be used."#;
    W0002 = "W0002", "unexplained-allow", "an `allow` gives no reason",
r#"## What it means
An environment allows a hosting-guide rule without a `reason`. The reason is what reviewers, auditors and the next operator read in the estimate report and the environment's README; without it nobody can tell whether the exception still holds.
The rule stays suppressed, so the plan still builds.

## Example
```hplan
environment uat {
  allow R0102 {}
}
```

## How to fix
Say why the rule does not apply, and until when:

```hplan
allow R0102 { reason = "UAT data is re-imported from anonymized exports; nothing to recover" }
```"#;
    W0003 = "W0003", "unused-allow", "an `allow` suppresses nothing",
r#"## What it means
An environment allows a hosting-guide rule that does not fire there, so the `allow` has no effect. It is often left over after the plan was fixed, or names the wrong rule; a stale exception would silently hide the rule if the plan regressed.

## Example
```hplan
environment production {
  allow R0102 { reason = "offsite copy pending" }   # but backups are already offsite
}
```

## How to fix
Remove the `allow`, or name the rule that actually fires."#;
}
