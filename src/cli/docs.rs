//! `sporfri completions SHELL` and `sporfri man`: shell completions and manual pages, made from
//! the argument tree itself so they can never disagree with it.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Print the completion script for `shell` on standard output.
pub fn completions(shell: Shell) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = super::out::stdout();
    clap_complete::generate(shell, &mut cmd, "sporfri", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Without `dir`, print `sporfri(1)` on standard output (`sporfri man | man -l -`); with it,
/// write `sporfri.1` and one page per subcommand (`sporfri-replay.1`, `sporfri-sessions-list.1`,
/// ...) there, creating the directory, and name each file written.
pub fn man(dir: Option<&Path>) -> Result<ExitCode> {
    // `help` is clap's own subcommand: its page would only say "print help".
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        let mut out = super::out::stdout();
        render_main_page(cmd, &mut out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let names = page_names(&cmd);
    clap_mangen::generate_to(cmd.clone(), dir)
        .with_context(|| format!("writing manual pages into {}", dir.display()))?;
    // The main page again, with what only it says (exit status, environment, files).
    let main = dir.join("sporfri.1");
    let mut text = Vec::new();
    render_main_page(cmd, &mut text)?;
    std::fs::write(&main, text).with_context(|| format!("writing {}", main.display()))?;
    for page in names {
        writeln!(super::out::stdout(), "{}", dir.join(page).display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The file names `clap_mangen::generate_to` gives a built command's pages: `sporfri.1`,
/// `sporfri-replay.1`, `sporfri-sessions-list.1`, ...
fn page_names(cmd: &clap::Command) -> Vec<String> {
    let mut names = vec![format!(
        "{}.1",
        cmd.get_display_name().unwrap_or_else(|| cmd.get_name())
    )];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        names.extend(page_names(sub));
    }
    names
}

/// What sporfri(1) says beyond the argument tree: the exit status every command keeps to, and
/// where the database and the local signature overlay live.
const MAIN_PAGE_SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "EXIT STATUS",
        &[
            ("0", "Success."),
            (
                "1",
                "The file could not be read at all, the database could not be opened or has no \
                 such session, or a session could not be stored (the analysis still ran and \
                 printed its contacts).",
            ),
            ("2", "Bad arguments."),
            (
                "3",
                "The capture is truncated or corrupt: everything before the damage was analysed \
                 and printed, and the message names the byte offset.",
            ),
        ],
    ),
    (
        "ENVIRONMENT",
        &[
            (
                "XDG_DATA_HOME",
                "The session database is $XDG_DATA_HOME/sporfri/db (default \
                 ~/.local/share/sporfri/db).",
            ),
            (
                "STATE_DIRECTORY",
                "Set by systemd (StateDirectory=sporfri): the database is $STATE_DIRECTORY/db.",
            ),
            (
                "XDG_CONFIG_HOME",
                "Signature lists imported with `sporfri signatures import` go to \
                 $XDG_CONFIG_HOME/sporfri/signatures, used after the built-in set.",
            ),
            (
                "SPORFRI_SIGNATURES_OVERLAY",
                "Another directory for that overlay (tests point it at nothing).",
            ),
        ],
    ),
    (
        "FILES",
        &[
            (
                "/var/lib/sporfri/db",
                "The database of the systemd service; recording commands create a database, \
                 reading commands never do.",
            ),
            (
                "DB.sock",
                "The control socket of a running `sporfri live`, beside its database: `sporfri \
                 mark` and `sporfri tui` reach the live session through it.",
            ),
        ],
    ),
];

/// sporfri(1): clap_mangen's sections, then [`MAIN_PAGE_SECTIONS`] before the version.
fn render_main_page(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    use clap_mangen::roff::{Roff, bold, roman};
    let page = clap_mangen::Man::new(cmd);
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_subcommands_section(out)?;
    let mut roff = Roff::default();
    for (title, items) in MAIN_PAGE_SECTIONS {
        roff.control("SH", [*title]);
        for (term, text) in *items {
            roff.control("TP", []);
            roff.text([bold(*term)]);
            roff.text([roman(*text)]);
        }
    }
    roff.to_writer(out)?;
    page.render_version_section(out)
}
