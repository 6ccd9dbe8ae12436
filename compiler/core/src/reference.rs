//! The language reference, generated from the schema (`docs/reference.md`).
//!
//! A test compares the committed file with [`generate`], so the reference cannot fall behind
//! the checker; `HOSTPLAN_BLESS=1 cargo test -p hostplan-tests --test reference` rewrites it.

use std::fmt::Write;

use hostplan_syntax::ast::{Dimension, Unit};

use crate::schema::{self, BlockSchema, CtorArgs, LabelRule, Ty};

/// The whole reference as Markdown.
pub fn generate() -> String {
    let mut out = String::new();
    out.push_str("# Hostplan language reference\n\n");
    out.push_str("<!-- Generated from compiler/core/src/schema.rs by hostplan_core::reference::generate; do not edit. -->\n\n");
    out.push_str("The syntax is described in [language.md](language.md). This page lists every block, field, type, unit and default the checker knows.\n");
    out.push_str("Blocks have closed schemas: a field or block not listed here is an error.\n\n");
    out.push_str("## Top-level items\n\n");
    out.push_str("| item | what |\n| --- | --- |\n");
    out.push_str("| `import \"std/NAME\"`, `import \"./file.hplan\" [as NAME]` | load a standard library module or a plan file |\n");
    out.push_str(
        "| `secret NAME = SOURCE` | a named secret; see [Secret sources](#secret-sources) |\n",
    );
    for block in schema::TOP_LEVEL {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} |",
            head(block),
            block.kind,
            block.doc
        );
    }
    out.push('\n');
    for block in schema::ALL_BLOCKS {
        write_block(&mut out, block);
    }
    out.push_str("## Secret sources\n\n");
    write_ctors(&mut out, &schema::SECRET_SOURCE);
    out.push_str("## Secret slots\n\nThe credentials an environment's `secrets` block binds. A slot not bound there uses the plan secret of the same name.\n\n| slot | what |\n| --- | --- |\n");
    for slot in schema::SECRET_SLOTS {
        let _ = writeln!(out, "| `{}` | {} |", slot.name, slot.doc);
    }
    out.push_str("\n## Assumptions\n\nThe keys an `assumptions { ... }` block may override, with their defaults and where those come from.\n\n| key | default | unit | allowed | meaning | source |\n| --- | --- | --- | --- | --- | --- |\n");
    for def in crate::estimate::assumptions::registry() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} to {} | {} | {} |",
            def.name, def.default, def.unit, def.min, def.max, def.doc, def.source
        );
    }
    out.push_str("\n## Units\n\n| unit | kind | value |\n| --- | --- | --- |\n");
    for (unit, suffix) in Unit::ALL {
        let (kind, value) = match unit.dimension() {
            Dimension::Duration => ("duration", format!("{} seconds", unit.factor())),
            Dimension::Size => ("size", format!("{} bytes", unit.factor())),
            Dimension::Percent => ("percentage", "one hundredth".to_string()),
        };
        let _ = writeln!(out, "| `{suffix}` | {kind} | {value} |");
    }
    out.push_str(
        "\nMoney is written `$12.50` (US dollars); counts are whole numbers such as `12_000`.\n",
    );
    out
}

fn head(block: &BlockSchema) -> String {
    let mut text = block.kind.to_string();
    match block.label {
        LabelRule::None => {}
        LabelRule::Ident => text.push_str(" NAME"),
        LabelRule::Any => text.push_str(" \"NAME\""),
    }
    if block.extends {
        text.push_str(" [extends OTHER]");
    }
    text.push_str(" { ... }");
    text
}

fn write_block(out: &mut String, block: &BlockSchema) {
    let _ = writeln!(
        out,
        "## {}\n\n`{}`\n\n{}\n",
        block.kind,
        head(block),
        block.doc
    );
    if block.singleton {
        out.push_str("Appears at most once where it is allowed.\n\n");
    }
    if !block.fields.is_empty() {
        out.push_str(
            "| field | type | required | default | meaning |\n| --- | --- | --- | --- | --- |\n",
        );
        for field in block.fields {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                field.name,
                field.ty.describe().replace('|', "\\|"),
                if field.required { "yes" } else { "no" },
                field
                    .default
                    .map(|it| format!("`{it}`"))
                    .unwrap_or_else(|| "none".to_string()),
                field.doc
            );
        }
        out.push('\n');
    }
    if let Some(ty) = block.open {
        let _ = writeln!(
            out,
            "Its fields are names of your choice, each set to {}.\n",
            ty.describe()
        );
    }
    if !block.blocks.is_empty() {
        let nested: Vec<String> = block
            .blocks
            .iter()
            .map(|it| format!("[`{}`](#{})", it.kind, it.kind))
            .collect();
        let _ = writeln!(out, "Nested blocks: {}.\n", nested.join(", "));
    }
    for field in block.fields {
        if let Ty::Ctor(_) | Ty::Enum(_) = &field.ty {
            let _ = writeln!(out, "Values of `{}`:\n", field.name);
            write_values(out, &field.ty);
        }
        if let Ty::List(item) = &field.ty {
            if let Ty::Ctor(_) | Ty::Enum(_) = item {
                let _ = writeln!(out, "Items of `{}`:\n", field.name);
                write_values(out, item);
            }
        }
    }
}

fn write_values(out: &mut String, ty: &Ty) {
    match ty {
        Ty::Enum(values) => {
            for value in values.iter() {
                let _ = writeln!(out, "- `{}`: {}", value.name, value.doc);
            }
            out.push('\n');
        }
        Ty::Ctor(_) => write_ctors(out, ty),
        _ => {}
    }
}

fn write_ctors(out: &mut String, ty: &Ty) {
    let Ty::Ctor(ctors) = ty else { return };
    for ctor in ctors.iter() {
        let form = ctor.usage();
        let _ = writeln!(out, "- `{form}`: {}", ctor.doc);
        match &ctor.args {
            CtorArgs::Positional(params) | CtorArgs::Named(params) => {
                for param in params.iter() {
                    let _ = writeln!(
                        out,
                        "  - `{}` ({}{}): {}",
                        param.name,
                        param.ty.describe(),
                        if param.required { ", required" } else { "" },
                        param.doc
                    );
                }
            }
            CtorArgs::Body(body) => {
                let _ = writeln!(out, "  - fields: see [`{}`](#{})", body.kind, body.kind);
            }
            CtorArgs::None => {}
        }
    }
    out.push('\n');
}
