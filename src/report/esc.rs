//! Escaping for HTML/SVG text and attributes, and Markdown table cells: every string in a
//! report can come from the network (names, HTTP hosts, cookie names) or from the tester.

/// Text safe inside HTML or SVG elements and double- or single-quoted attributes.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a report; show them as U+FFFD.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Text safe in one Markdown table cell: no line breaks, pipes or inline markup, and no raw
/// HTML (Markdown renderers pass it through).
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_quotes_and_controls() {
        assert_eq!(
            html("<script>alert('x')</script>&\"\u{7}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{fffd}"
        );
        assert_eq!(html("bæ.dk"), "bæ.dk");
    }

    #[test]
    fn md_cells_cannot_break_the_table() {
        assert_eq!(md("a|b\nc"), "a\\|b c");
        assert_eq!(md("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(md("[x](javascript:y)"), "\\[x\\](javascript:y)");
    }
}
