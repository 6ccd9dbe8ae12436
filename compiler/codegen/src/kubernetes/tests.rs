//! Unit tests of the Kubernetes backend's small decisions; whole environments are tested in
//! `tests/tests/kubernetes.rs` against the Kubernetes schemas.

use crate::kubernetes::backup::{describe, schedule};
use crate::kubernetes::meta::{cpu, mebibytes};
use crate::kubernetes::wrap;

#[test]
fn cron_runs_at_least_as_often_as_the_plan_asks() {
    assert_eq!(schedule(86_400), ("0 1 * * *".to_string(), 86_400, None));
    assert_eq!(
        schedule(4 * 3600),
        ("0 */4 * * *".to_string(), 4 * 3600, None)
    );
    assert_eq!(schedule(3600), ("0 * * * *".to_string(), 3600, None));
    assert_eq!(schedule(15 * 60), ("*/15 * * * *".to_string(), 900, None));
    assert_eq!(
        schedule(7 * 86_400),
        ("0 1 * * 0".to_string(), 7 * 86_400, None)
    );
    // Five hours cannot be a cron step over a day: four hours is the nearest more frequent.
    let (cron, actual, note) = schedule(5 * 3600);
    assert_eq!((cron.as_str(), actual), ("0 */4 * * *", 4 * 3600));
    assert_eq!(
        note.as_deref(),
        Some("cron cannot run every 5 hours exactly, so the backup runs every 4 hours")
    );
    // Seven minutes: every six, since six divides the hour.
    assert_eq!(schedule(7 * 60).0, "*/6 * * * *");
    // Three days: every third day of the month.
    let (cron, _, note) = schedule(3 * 86_400);
    assert_eq!(cron, "0 1 */3 * *");
    assert!(note.is_some_and(|it| it.contains("restarting on the 1st")));
    // Nothing runs more often than every minute.
    assert_eq!(schedule(0).0, "*/1 * * * *");
}

#[test]
fn durations_and_quantities_read_naturally() {
    assert_eq!(describe(35 * 86_400), "35 days");
    assert_eq!(describe(86_400), "24 hours");
    assert_eq!(describe(3600), "1 hour");
    assert_eq!(describe(90), "2 minutes");
    assert_eq!(cpu(250), "250m");
    assert_eq!(mebibytes(2048), "2Gi");
    assert_eq!(mebibytes(2560), "2560Mi");
    assert_eq!(mebibytes(0), "0Mi");
}

#[test]
fn comments_wrap_at_spaces_and_keep_line_breaks() {
    assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
    assert_eq!(wrap("one\ntwo three", 5), "one\ntwo\nthree");
    assert_eq!(wrap("", 10), "");
}
