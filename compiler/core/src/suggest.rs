//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `name`, if it is close enough to be a likely typo: at most a
/// third of the name's length in edits (at least one).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = distance(&name.to_lowercase(), &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|(it, _)| distance < it) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, it)| it)
}

pub fn did_you_mean(name: &str) -> String {
    format!("did you mean `{name}`?")
}

/// The optimal string alignment distance: insertions, deletions, substitutions and
/// transpositions of neighbours each count one.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        table[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        table[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (table[at(i - 1, j)] + 1)
                .min(table[at(i, j - 1)] + 1)
                .min(table[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(table[at(i - 2, j - 2)] + 1);
            }
            table[at(i, j)] = value;
        }
    }
    table[at(a.len(), b.len())]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_misses_only() {
        let fields = ["every", "keep", "offsite", "encrypted", "retention"];
        assert_eq!(
            closest("retension", fields.iter().copied()),
            Some("retention")
        );
        assert_eq!(closest("ofsite", fields.iter().copied()), Some("offsite"));
        assert_eq!(closest("colour", fields.iter().copied()), None);
    }
}
