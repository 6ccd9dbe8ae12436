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
}
