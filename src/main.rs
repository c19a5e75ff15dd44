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
            eprintln!("sporfri: {e:#}");
            cli::exit_code(&e)
        }
    }
}
