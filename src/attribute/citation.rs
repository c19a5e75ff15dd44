//! What counts as a source for a signature domain.
//!
//! A report says "this name is Google's advertising"; the reader must be able to check that
//! claim. So every domain of a signature carries a source that names where the fact can be
//! looked up: a list at a commit, a document at its address, the project's hand-checked
//! reference table, or the list a user imported. "General knowledge" names nothing to look up.

/// Words that say a fact was not checked; such a text is not a source for a domain.
const DISCLAIMERS: [&str; 2] = ["general knowledge", "not verified"];

/// Why `text` is not a source a reader could check, or `None` when it is one.
///
/// It is one when it names at least one of: a list with its commit (`… @424dc03`), a document
/// by its address (`support.apple.com/HT210060`, `https://…`), the shared reference table
/// (`third-parties.tsv`), or a list the user imported (written by `signatures import`).
pub fn citation_problem(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if DISCLAIMERS.iter().any(|d| lower.contains(d)) {
        return Some(
            "a domain's source says it is not verified; cite a list with its commit, a \
             document with its address, or the shared reference",
        );
    }
    let names_reference = lower.contains("third-parties.tsv")
        || lower.contains("imported by the user")
        || lower
            .split(|c: char| c.is_whitespace() || "()[];,'\"".contains(c))
            .any(is_reference);
    if names_reference {
        None
    } else {
        Some(
            "a domain's source names nothing to look up; cite a list with its commit \
             (`list @abc1234`), a document with its address (`host/path`), or the shared \
             reference (`third-parties.tsv`)",
        )
    }
}

/// One word of a source: a commit (`@` and 7 to 40 hex digits) or an address (a host with a
/// dot, then a `/` and more).
fn is_reference(word: &str) -> bool {
    if let Some(hex) = word.strip_prefix('@') {
        return (7..=40).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let word = word
        .strip_prefix("https://")
        .or_else(|| word.strip_prefix("http://"))
        .unwrap_or(word);
    let Some((host, rest)) = word.split_once('/') else {
        return false;
    };
    !rest.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::citation_problem;
    use crate::attribute::SignatureError;
    use crate::attribute::signatures::{FileKind, Signatures, SourceFile};

    fn org(text: &str) -> Result<Signatures, SignatureError> {
        let head =
            "[organisation]\nname = \"X\"\ncountry = \"DK\"\nsource = \"general knowledge\"\n\n";
        Signatures::from_files(&[SourceFile {
            path: "orgs/x.toml".to_owned(),
            kind: FileKind::Org,
            text: format!("{head}{text}"),
        }])
    }

    const SERVICE: &str = "[[service]]\nname = \"S\"\ncategory = \"analytics\"\npurpose = \"p\"\n";

    #[test]
    fn every_domain_gets_the_source_of_its_block() {
        let s = org(&format!(
            "{SERVICE}source = \"list @1234567\"\ndomains = [\"a.example\"]\n\n\
             [[service.also]]\nsource = \"docs.example/page\"\ndomains = [\"b.example\"]\n"
        ))
        .unwrap();
        let (matched, service) = s.lookup("x.b.example").unwrap();
        assert_eq!(matched, "b.example");
        assert_eq!(service.source_of("b.example"), "docs.example/page");
        assert_eq!(service.source_of("a.example"), "list @1234567");
        assert_eq!(service.domains, ["a.example", "b.example"]);
    }

    #[test]
    fn a_domain_without_a_checkable_source_is_a_problem_at_its_line() {
        let err = org(&format!(
            "{SERVICE}source = \"list @1234567\"\ndomains = [\"a.example\"]\n\n\
             [[service.also]]\nsource = \"general knowledge, not verified offline\"\n\
             domains = [\"a.example\", \"c.example\"]\n\n\
             [[service]]\nname = \"T\"\ncategory = \"cdn\"\npurpose = \"p\"\nsource = \"fixture\"\n\
             domains = [\"d.example\"]\n"
        ))
        .unwrap_err();
        let SignatureError::Invalid(problems) = err else {
            panic!("{err}");
        };
        let lines: Vec<&str> = problems
            .iter()
            .map(|p| p.split(": ").next().unwrap_or(""))
            .collect();
        assert_eq!(
            lines,
            ["orgs/x.toml:14", "orgs/x.toml:15", "orgs/x.toml:21"],
            "{problems:#?}"
        );
        assert!(problems[0].contains("not verified"), "{}", problems[0]);
        assert!(
            problems[1].contains("duplicate domain \"a.example\""),
            "{}",
            problems[1]
        );
        assert!(
            problems[2].contains("names nothing to look up"),
            "{}",
            problems[2]
        );
    }

    #[test]
    fn lists_with_commits_documents_and_the_reference_are_sources() {
        for ok in [
            "third-party-web data/entities.js @424dc03 (MIT): entity 'Google Analytics'",
            "Apple 'Use Apple products on enterprise networks' (support.apple.com/HT210060)",
            "https://docs.sentry.io/security-legal-pii/security/ip-ranges/",
            "shared reference third-parties.tsv (ghostery …)",
            "hosts list \"x.txt\", imported by the user (not part of sporfri)",
            "v2fly domain-list-community data/firebase @0123456789abcdef0123456789abcdef01234567",
        ] {
            assert_eq!(citation_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn disclaimers_and_texts_without_a_reference_are_not() {
        for bad in [
            "general knowledge, not verified offline",
            "Apple HT210060 (support.apple.com/HT210060), general knowledge, not verified offline",
            "fixture",
            "the vendor's web site",
            "version 2.0/3",
            "@abc",
            "@zzzzzzzz",
            "see a.b/",
            "1.2/3",
        ] {
            assert!(citation_problem(bad).is_some(), "{bad}");
        }
    }
}
