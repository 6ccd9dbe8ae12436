//! The HCL printer against a real parser (hcl-rs) and against the layout
//! `terraform fmt` produces. The expected texts below were written by hand
//! following hclwrite's formatting rules and then checked to be unchanged by
//! hclwrite's `Format` (the formatter behind `terraform fmt`).

use hcl::eval::{Context, Evaluate};
use hostplan_codegen::doc::Document;
use hostplan_codegen::hcl::{self as printer, Block, Body, Expr, Object, Template};

fn tricky_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "plain",
        "${var.x}",
        "$${already}",
        "$$${x}",
        "%{if true}x%{endif}",
        "%%{",
        "$",
        "$$",
        "%",
        "%%",
        "${",
        "%{",
        "}",
        "{",
        "$ {",
        "a$",
        "a%",
        "\"quoted\"",
        "back\\slash",
        "\\n literal",
        "\\",
        "line\nbreak",
        "trailing\n",
        "\r\n",
        "\t",
        "tab\tinside",
        "nul\0x",
        "bell\u{7}",
        "del\u{7f}",
        "c1\u{9f}",
        "nel\u{85}",
        "ls\u{2028}",
        "bom\u{feff}",
        "emoji 🙂",
        "中文",
        "Zürich",
        "e\u{301}",
        "<<EOT",
        "EOT",
        "<<-EOT\nx\nEOT\n",
        "# not a comment",
        "// not a comment",
        "/* not a comment */",
        "true",
        "null",
        "1",
        "1.5",
        "-1",
        "var.x",
        "jsonencode({})",
        "a = b",
        "EOT\n",
        "\n",
        "\n\n",
        "x\n  indented\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(500));
    v
}

fn generated_strings(count: usize) -> Vec<String> {
    const FRAGMENTS: &[&str] = &[
        "a", "0", "$", "%", "{", "}", "${", "%{", "$${", "\\", "\"", "\n", "\t", "\r", " ", "#",
        "//", "/*", "*/", "<<", "EOT", "é", "🙂", "\0", "\u{85}", "=", ",", "[", "]",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let parts = 1 + (next() % 6) as usize;
            (0..parts)
                .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
                .collect::<String>()
        })
        .collect()
}

fn parse(text: &str) -> hcl::Body {
    hcl::parse(text).unwrap_or_else(|e| panic!("hcl-rs rejected the output: {e}\n---\n{text}"))
}

fn ctx() -> Context<'static> {
    let mut ctx = Context::new();
    let mut var = hcl::Map::new();
    var.insert("domain".to_string(), hcl::Value::from("example.org"));
    var.insert("port".to_string(), hcl::Value::from(8443));
    ctx.declare_var("var", hcl::Value::Object(var));
    ctx
}

fn eval_attr(body: &hcl::Body, key: &str) -> hcl::Value {
    let attr = body
        .attributes()
        .find(|a| a.key() == key)
        .unwrap_or_else(|| panic!("attribute {key} missing"));
    attr.expr()
        .evaluate(&ctx())
        .unwrap_or_else(|e| panic!("attribute {key} does not evaluate: {e}"))
}

fn check_literal(s: &str) {
    let body = Body::new()
        .attr("s", s)
        .attr("h", Expr::heredoc(s))
        .attr("t", Expr::tuple([s, s]))
        .attr("o", Object::new().with("k", s).with(s, "v"))
        .attr("call", Expr::call("concat", [Expr::tuple([s])]))
        .block(Block::new("b").with_labels([s, s]).attr("x", 1));
    let text = printer::to_string(&body);
    let parsed = parse(&text);
    let want = hcl::Value::from(s);
    assert_eq!(eval_attr(&parsed, "s"), want, "\n{text}");
    assert_eq!(eval_attr(&parsed, "h"), want, "\n{text}");
    assert_eq!(
        eval_attr(&parsed, "t"),
        hcl::Value::Array(vec![want.clone(), want.clone()]),
        "\n{text}"
    );
    let hcl::Value::Object(object) = eval_attr(&parsed, "o") else {
        panic!("o is not an object\n{text}");
    };
    assert_eq!(object.get("k"), Some(&want), "\n{text}");
    assert_eq!(object.get(s), Some(&hcl::Value::from("v")), "\n{text}");
    let block = parsed.blocks().next().expect("one block");
    let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
    assert_eq!(labels, [s, s], "\n{text}");
}

#[test]
fn tricky_literals_round_trip_through_hcl_rs() {
    for s in tricky_strings() {
        check_literal(&s);
    }
}

#[test]
fn generated_literals_round_trip_through_hcl_rs() {
    for s in generated_strings(2000) {
        check_literal(&s);
    }
}

#[test]
fn templates_interpolate_only_what_the_backend_asked_for() {
    let cases: Vec<(Template, &str)> = vec![
        (
            Template::new()
                .lit("https://")
                .interp("var.domain")
                .lit("/api"),
            "https://example.org/api",
        ),
        (
            Template::new()
                .lit("${var.domain} is ")
                .interp("var.domain"),
            "${var.domain} is example.org",
        ),
        (
            Template::new().lit("cost $").interp("var.domain"),
            "cost $example.org",
        ),
        (
            Template::new().lit("%{").interp("var.domain").lit("}"),
            "%{example.org}",
        ),
        (Template::new().lit("a$").lit("{b}"), "a${b}"),
        (Template::new().interp("var.domain"), "example.org"),
        (
            Template::new().lit("\"q\"\n").interp("var.domain"),
            "\"q\"\nexample.org",
        ),
    ];
    for (template, want) in cases {
        let body = Body::new().attr("t", template);
        let text = printer::to_string(&body);
        assert_eq!(
            eval_attr(&parse(&text), "t"),
            hcl::Value::from(want),
            "\n{text}"
        );
    }
    // A lone interpolation keeps its value's type, as HCL does for "${x}".
    let text = printer::to_string(&Body::new().attr("p", Template::new().interp("var.port")));
    assert_eq!(text, "p = var.port\n");
}

#[test]
fn numbers_and_literals() {
    let body = Body::new()
        .attr("i", i64::MIN)
        .attr("f", Expr::float(1e300).unwrap_or(Expr::Null))
        .attr("g", Expr::float(-0.25).unwrap_or(Expr::Null))
        .attr("b", true)
        .attr("n", Expr::Null)
        .attr("e", Expr::Tuple(vec![]))
        .attr("o", Object::new());
    let text = printer::to_string(&body);
    assert_eq!(
        text,
        "i = -9223372036854775808\nf = 1.0e+300\ng = -0.25\nb = true\nn = null\ne = []\no = {}\n"
    );
    let parsed = parse(&text);
    assert_eq!(eval_attr(&parsed, "g"), hcl::Value::from(-0.25));
    assert_eq!(eval_attr(&parsed, "f"), hcl::Value::from(1e300));
    assert!(Expr::float(f64::NAN).is_none());
}

/// A file in the shape the Terraform backend writes, pinned byte for byte.
#[test]
fn layout_matches_terraform_fmt() {
    let terraform = Block::new("terraform")
        .attr("required_version", ">= 1.5.0")
        .block(
            Block::new("required_providers").attr(
                "aws",
                Object::new()
                    .with("source", "hashicorp/aws")
                    .with("version", "~> 5.0"),
            ),
        );
    let variable = Block::new("variable")
        .with_label("domain")
        .attr("type", Expr::raw("string"))
        .attr("description", "Public domain of the CHT instance.")
        .attr("sensitive", false);
    let instance = Block::new("resource")
        .with_labels(["aws_instance", "cht"])
        .with_comment("The CHT host.")
        .attr("ami", Expr::raw("data.aws_ami.ubuntu.id"))
        .attr_commented(
            "instance_type",
            "c6i.xlarge",
            "c6i.xlarge: 4 vCPU, 8 GiB covers 2,000 users at the hosting guide's sizing.",
        )
        .attr("user_data", Expr::heredoc("#!/bin/sh\necho \"${HOME}\"\n"))
        .attr("monitoring", true)
        .attr(
            "tags",
            Object::new()
                .with("Name", "cht-production")
                .with("app.kubernetes.io/name", "cht"),
        )
        .attr(
            "vpc_security_group_ids",
            Expr::tuple([Expr::raw("aws_security_group.cht.id")]),
        )
        .block(
            Block::new("root_block_device")
                .attr("volume_size", 100)
                .attr("encrypted", true)
                .attr("kms_key_id", Expr::raw("aws_kms_key.backup.arn")),
        )
        .block(Block::new("lifecycle"));
    let policy = Block::new("resource")
        .with_labels(["aws_iam_policy", "backup"])
        .attr("name", "cht-backup")
        .attr(
            "policy",
            Expr::call(
                "jsonencode",
                [Expr::from(
                    Object::new().with("Version", "2012-10-17").with(
                        "Statement",
                        Expr::tuple([Object::new()
                            .with("Effect", "Allow")
                            .with("Action", Expr::tuple(["s3:PutObject", "s3:GetObject"]))
                            .with(
                                "Resource",
                                Template::new().interp("aws_s3_bucket.backup.arn").lit("/*"),
                            )]),
                    ),
                )],
            ),
        );
    let output = Block::new("output").with_label("url").attr(
        "value",
        Template::new()
            .lit("https://")
            .interp("var.domain")
            .lit("/"),
    );
    let body = Body::new()
        .block(terraform)
        .block(variable)
        .block(instance)
        .block(policy)
        .block(output);
    let doc = Document::new(body)
        .with_header("Generated by hostplan from plans/national.hplan. Do not edit.");
    let expected = r#"# Generated by hostplan from plans/national.hplan. Do not edit.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "domain" {
  type        = string
  description = "Public domain of the CHT instance."
  sensitive   = false
}

# The CHT host.
resource "aws_instance" "cht" {
  ami = data.aws_ami.ubuntu.id
  # c6i.xlarge: 4 vCPU, 8 GiB covers 2,000 users at the hosting guide's sizing.
  instance_type = "c6i.xlarge"
  user_data     = <<EOT
#!/bin/sh
echo "$${HOME}"
EOT
  monitoring    = true
  tags = {
    Name                     = "cht-production"
    "app.kubernetes.io/name" = "cht"
  }
  vpc_security_group_ids = [aws_security_group.cht.id]

  root_block_device {
    volume_size = 100
    encrypted   = true
    kms_key_id  = aws_kms_key.backup.arn
  }

  lifecycle {}
}

resource "aws_iam_policy" "backup" {
  name = "cht-backup"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = "${aws_s3_bucket.backup.arn}/*"
      },
    ]
  })
}

output "url" {
  value = "https://${var.domain}/"
}
"#;
    let text = printer::document(&doc);
    assert_eq!(text, expected);
    parse(&text);
    assert_eq!(printer::validate(&doc.root), Ok(()));
}

#[test]
fn alignment_runs_break_where_terraform_fmt_breaks_them() {
    let body = Body::new()
        .attr("a", 1)
        .attr("bungle", 2)
        .blank()
        .attr("c", 3)
        .attr("dd", Expr::tuple(["x"; 30]))
        .attr("eee", 4)
        .attr_commented("f", 5, "A comment line ends the run above.")
        .attr("gggg", 6)
        .block(Block::new("x").attr("k", 1))
        .attr("h", 7)
        .attr("ii", 8)
        .blank()
        .blank();
    let expected = r#"a      = 1
bungle = 2

c = 3
dd = [
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
  "x",
]
eee = 4
# A comment line ends the run above.
f    = 5
gggg = 6

x {
  k = 1
}

h  = 7
ii = 8
"#;
    let text = printer::to_string(&body);
    assert_eq!(text, expected);
    parse(&text);
}

#[test]
fn nested_collections_and_calls() {
    let body = Body::new()
        .attr(
            "matrix",
            Expr::tuple([
                Expr::tuple([1, 2]),
                Expr::from(
                    Object::new()
                        .with("a", 1)
                        .with("long_name", Expr::tuple([Object::new()])),
                ),
            ]),
        )
        .attr("short", Expr::call("max", [Expr::from(1), Expr::from(2)]))
        .attr(
            "merged",
            Expr::call(
                "merge",
                [
                    Expr::raw("local.tags"),
                    Expr::from(
                        Object::new()
                            .with("for", "keyword key")
                            .with("x-y", "dash key"),
                    ),
                ],
            ),
        )
        .attr(
            "provider_fn",
            Expr::call("provider::aws::arn_parse", [Expr::raw("var.arn")]),
        );
    let expected = r#"matrix = [
  [1, 2],
  {
    a         = 1
    long_name = [{}]
  },
]
short = max(1, 2)
merged = merge(
  local.tags,
  {
    "for" = "keyword key"
    "x-y" = "dash key"
  },
)
provider_fn = provider::aws::arn_parse(var.arn)
"#;
    let text = printer::to_string(&body);
    assert_eq!(text, expected);
    parse(&text);
}

#[test]
fn bad_names_are_reported_and_never_break_the_file() {
    let body = Body::new()
        .attr("bad name", 1)
        .attr("ok", Expr::raw(""))
        .block(Block::new("9lives").attr("x", Expr::raw("a\nb")))
        .attr("t", Template::new().interp(" "))
        .attr("f", Expr::call("not a name", []));
    let problems = printer::validate(&body).expect_err("problems expected");
    assert_eq!(problems.len(), 6, "{problems:#?}");
    // Whatever the names, the printer still produces parseable identifiers.
    let text = printer::to_string(&Body::new().attr("bad name", 1).block(Block::new("9lives")));
    assert_eq!(text, "bad_name = 1\n\n_9lives {}\n");
    parse(&text);
}

#[test]
fn document_without_body_and_empty_body() {
    assert_eq!(printer::to_string(&Body::new()), "");
    assert_eq!(printer::to_string(&Body::new().blank()), "");
    let doc = Document::new(Body::new()).with_header("only a header");
    assert_eq!(printer::document(&doc), "# only a header\n");
}
