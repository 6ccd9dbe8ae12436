//! The committed language reference must equal what the schema generates.

#[test]
fn language_reference_is_up_to_date() {
    let path = hostplan_tests::repo_root().join("docs/reference.md");
    let generated = hostplan_core::reference::generate();
    if std::env::var_os("HOSTPLAN_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/reference.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/reference.md is stale; regenerate it with `HOSTPLAN_BLESS=1 cargo test -p hostplan-tests --test reference`"
    );
}
