//! Words for people: a count with its noun in the right number ("1 device", "2 devices").
//!
//! Every message that counts something says it through [`count`], so no output reads
//! "1 devices" or "contact(s)".

/// `n` and `noun`, plural unless `n` is 1: `count(1, "device")` is "1 device",
/// `count(3, "batch")` "3 batches", `count(0, "entry")` "0 entries". `noun` is the singular; for a
/// noun with an irregular plural use [`count_as`].
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    format!("{n} {}", plural(noun))
}

/// `n` with `one` or `many` as given, for words that are not regular nouns ("was"/"were").
pub fn count_as(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The regular English plural of `noun` (the nouns sporfri counts are all regular).
fn plural(noun: &str) -> String {
    let consonant_y = noun.strip_suffix('y').filter(|stem| {
        stem.chars()
            .last()
            .is_some_and(|c| !"aeiou".contains(c.to_ascii_lowercase()))
    });
    if let Some(stem) = consonant_y {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| noun.ends_with(end))
    {
        return format!("{noun}es");
    }
    format!("{noun}s")
}

/// Bytes in B, kB, MB, GB (powers of 1000), three significant digits.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.2} {unit}")
    } else if v < 100.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(count(1, "device"), "1 device");
        assert_eq!(count(0, "device"), "0 devices");
        assert_eq!(count(2, "contact"), "2 contacts");
        assert_eq!(count(4, "batch"), "4 batches");
        assert_eq!(count(2, "entry"), "2 entries");
        assert_eq!(count(2, "key"), "2 keys");
        assert_eq!(count(2, "address"), "2 addresses");
        assert_eq!(count_as(1, "was", "were"), "1 was");
        assert_eq!(count_as(7, "was", "were"), "7 were");
    }
}
