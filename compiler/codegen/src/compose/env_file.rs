//! `.env.example`: every variable the stack reads, with its meaning; secrets are listed with
//! how to create them, never with a value.

use hostplan_core::ir::{
    Environment, HostRole, SecretBinding, SecretSource, Setting, SettingValue,
};

use crate::{header, EmitOptions};

/// The example settings file of the CHT host (`HostRole::Cht`) or of the Watchdog host.
pub fn render(env: &Environment, host: HostRole, options: &EmitOptions) -> String {
    let mut out = header::hash_comment(&options.plan_path);
    match host {
        HostRole::Cht => {
            out.push_str(&format!(
                "#\n# Settings of environment `{}` (CHT {}). Copy this file to upgrade-service/.env on the CHT host,\n# fill in every empty value, and keep it private: it holds credentials. A line left commented out\n# keeps the default shown. Never commit the filled-in file.\n",
                env.name, env.release.version
            ));
        }
        HostRole::Monitoring => {
            out.push_str(&format!(
                "#\n# Settings of CHT Watchdog for environment `{}`. Copy this file to .env in the Watchdog checkout\n# on the monitoring host (not the CHT host), fill in every empty value and keep it private.\n",
                env.name
            ));
        }
    }
    for setting in env.settings.iter().filter(|it| it.host == host) {
        out.push('\n');
        write_setting(&mut out, env, setting);
    }
    out
}

fn write_setting(out: &mut String, env: &Environment, setting: &Setting) {
    comment(out, &setting.doc);
    if !setting.used_by.is_empty() {
        comment(out, &format!("Read by: {}.", setting.used_by.join(", ")));
    }
    match &setting.value {
        SettingValue::Default(Some(default)) => {
            out.push_str(&format!("#{}={}\n", setting.name, quote(default)))
        }
        SettingValue::Default(None) => out.push_str(&format!("#{}=\n", setting.name)),
        SettingValue::Set { value, default } => {
            if let Some(default) = default.as_ref().filter(|it| *it != value) {
                comment(
                    out,
                    &format!("Set by the plan; the official default is `{default}`."),
                );
            }
            out.push_str(&format!("{}={}\n", setting.name, quote(value)));
        }
        SettingValue::HostPath { example } => {
            comment(
                out,
                "An absolute path on the host; the example follows CHT's installation guide.",
            );
            out.push_str(&format!("{}={}\n", setting.name, quote(example)));
        }
        SettingValue::Create { how } => {
            comment(out, &format!("Required: {how}."));
            out.push_str(&format!("{}=\n", setting.name));
        }
        SettingValue::Secret(secret) => {
            let (how, command) = env
                .secret(secret.slot)
                .map(how_to_create_parts)
                .unwrap_or_default();
            comment(
                out,
                &format!(
                    "Secret `{}` ({}): {how}{}",
                    secret.secret,
                    secret.slot.name(),
                    if command.is_some() { ":" } else { "." }
                ),
            );
            if let Some(command) = command {
                out.push_str(&format!("#   {command}\n"));
            }
            out.push_str(&format!("{}=\n", setting.name));
        }
        SettingValue::OperatorSecret { how } => {
            comment(out, &format!("Secret, not one of the plan's: {how}."));
            out.push_str(&format!("{}=\n", setting.name));
        }
    }
}

/// How to create or obtain a secret's value, as one sentence with the shell command inline.
pub fn how_to_create(binding: &SecretBinding) -> String {
    match how_to_create_parts(binding) {
        (how, Some(command)) => format!("{how}: `{command}`"),
        (how, None) => how,
    }
}

/// How to create or obtain a secret's value, and the shell command that creates it, if any.
pub fn how_to_create_parts(binding: &SecretBinding) -> (String, Option<String>) {
    match &binding.source {
        SecretSource::Generate { words: Some(words), .. } => (
            format!("create it once as {words} random words joined by dashes, which are URL-safe"),
            Some(format!("grep -E '^[a-z]+$' /usr/share/dict/words | shuf -n {words} --random-source=/dev/urandom | paste -sd-")),
        ),
        SecretSource::Generate { length, symbols: false, .. } => {
            let length = length.unwrap_or(32);
            (format!("create it once as {length} random letters and digits"), Some(format!("tr -dc 'A-Za-z0-9' </dev/urandom | head -c {length}")))
        }
        SecretSource::Generate { length, symbols: true, .. } => {
            let length = length.unwrap_or(32);
            (format!("create it once as {length} random characters with symbols"), Some(format!("tr -dc 'A-Za-z0-9!#%+,.:=@^_~-' </dev/urandom | head -c {length}")))
        }
        SecretSource::Env(name) => (format!("the value of the environment variable `{name}` on the machine that deploys"), None),
        SecretSource::File(path) => (format!("the contents of the file `{path}` on the machine that deploys"), None),
        SecretSource::External { store, key } => (format!("the value of key `{key}` in the secret store `{store}`"), None),
    }
}

fn comment(out: &mut String, text: &str) {
    for line in wrap(text, 96) {
        out.push_str("# ");
        out.push_str(&line);
        out.push('\n');
    }
}

/// Breaks text into lines of at most `width` characters at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    // The characters of `line`, counted as words are added.
    let mut line_chars = 0;
    for word in text.split_whitespace() {
        let chars = word.chars().count();
        if !line.is_empty() && line_chars + 1 + chars > width {
            lines.push(std::mem::take(&mut line));
            line_chars = 0;
        }
        if !line.is_empty() {
            line.push(' ');
            line_chars += 1;
        }
        line.push_str(word);
        line_chars += chars;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A value as Compose's `.env` reader takes it: plain when it has no character the reader
/// treats specially, single-quoted (no interpolation) otherwise.
fn quote(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:,@+=%".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}
