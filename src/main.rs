//! The `sporfri` command line: argument parsing, output and exit codes. The work is in the
//! library; each command's glue lives in `cli/`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args.command) {
        Ok(code) => code,
        Err(e) => {
            // A usage error found after parsing looks as clap's own do.
            if let Some(usage) = e.downcast_ref::<clap::Error>() {
                usage.exit();
            }
            // Standard output's reader has gone (`| head`, a pager quit early): what it wanted it
            // got, and the error is the write that found it gone (commands stop at their first
            // failed write; a recording is stored before its contacts are printed).
            if cli::stdout_closed() {
                return ExitCode::SUCCESS;
            }
            eprintln!("sporfri: {e:#}");
            cli::exit_code(&e)
        }
    }
}
