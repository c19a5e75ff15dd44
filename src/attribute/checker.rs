//! The checker's bookkeeping for one signatures file: line numbers, problems, required keys
//! and domain lists.

use toml::Spanned;

use super::citation::citation_problem;
use super::name::domain_problem;

pub(super) type Text = Option<Spanned<String>>;

/// One file being checked: its text for line numbers and the problems found so far.
pub(super) struct Checker<'a> {
    pub(super) path: &'a str,
    text: &'a str,
    /// Offsets of the text's newlines: every domain gets a line number, so counting from the
    /// top each time would be quadratic in the file length.
    newlines: Vec<usize>,
    /// (line, `file:line: message`), sorted by line when the file is done.
    problems: &'a mut Vec<(usize, String)>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        path: &'a str,
        text: &'a str,
        problems: &'a mut Vec<(usize, String)>,
    ) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter_map(|(i, c)| (c == b'\n').then_some(i))
            .collect();
        Checker {
            path,
            text,
            newlines,
            problems,
        }
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        1 + self.newlines.partition_point(|&nl| nl < offset)
    }

    pub(super) fn at(&self, offset: usize) -> String {
        format!("{}:{}", self.path, self.line(offset))
    }

    pub(super) fn problem(&mut self, offset: usize, msg: impl std::fmt::Display) {
        let line = self.line(offset);
        self.problems
            .push((line, format!("{}:{line}: {msg}", self.path)));
    }

    /// A required, non-empty text field of the table starting at `table`.
    pub(super) fn required(&mut self, field: Text, key: &str, table: usize) -> Option<String> {
        match field {
            None => {
                self.problem(table, format!("missing key `{key}`"));
                None
            }
            Some(v) if v.get_ref().trim().is_empty() => {
                self.problem(v.span().start, format!("`{key}` is empty"));
                None
            }
            Some(v) => Some(v.into_inner()),
        }
    }

    /// A required text that is a source a reader can check ([`citation_problem`]).
    pub(super) fn cited(&mut self, field: Text, key: &str, table: usize) -> Option<String> {
        let start = field.as_ref().map_or(table, |f| f.span().start);
        let text = self.required(field, key, table)?;
        match citation_problem(&text) {
            Some(why) => {
                self.problem(start, why);
                None
            }
            None => Some(text),
        }
    }

    pub(super) fn country(&mut self, field: Text, table: usize) -> Option<String> {
        let start = field.as_ref().map_or(table, |f| f.span().start);
        let c = self.required(field, "country", table)?;
        if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Some(c)
        } else {
            self.problem(
                start,
                format!("country {c:?} is not an ISO 3166-1 alpha-2 code"),
            );
            None
        }
    }

    /// A required non-empty list of valid domains.
    pub(super) fn domains(
        &mut self,
        list: Option<Spanned<Vec<Spanned<String>>>>,
        key: &str,
        table: usize,
    ) -> Vec<Spanned<String>> {
        let Some(list) = list else {
            self.problem(table, format!("missing key `{key}`"));
            return Vec::new();
        };
        if list.get_ref().is_empty() {
            self.problem(list.span().start, format!("`{key}` is empty"));
        }
        let mut out = Vec::new();
        for d in list.into_inner() {
            match domain_problem(d.get_ref()) {
                Some(why) => self.problem(
                    d.span().start,
                    format!("bad domain {:?}: {why}", d.get_ref()),
                ),
                None => out.push(d),
            }
        }
        out
    }

    pub(super) fn parse<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        match toml::from_str::<T>(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                self.problem(offset, e.message().trim_end());
                None
            }
        }
    }
}
