//! `sporfri signatures check|lookup|import`: validate the signatures, explain one name, convert a
//! third-party list into a local overlay.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};

use sporfri::attribute::import::{self, ImportFormat, ImportOptions};
use sporfri::attribute::signatures::Signatures;
use sporfri::attribute::{
    Attribution, Attributor, Category, Facts, Layer, SignatureError, builtin_layer, embedded_files,
    name, overlay_dir,
};

/// `sporfri signatures …`.
#[derive(Subcommand)]
pub enum SignaturesCommand {
    /// Validate signature files; every problem is printed as `file:line: message` (exit 1).
    Check {
        /// Check this directory (laid out as signatures/: orgs/, sites/, endpoints/) instead of
        /// the built-in set.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Explain which signature matches NAME and whose it is.
    Lookup {
        /// Host name (any case, trailing dot and Unicode accepted).
        name: String,
        /// Site profile of the service under test; without it no name is first party.
        #[arg(long)]
        site: Option<String>,
        /// Use this directory instead of the built-in set.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// CNAME targets the name resolved through, in order (to explain cloaking).
        #[arg(long = "cname", value_name = "TARGET")]
        cnames: Vec<String>,
        /// Ignore the local overlay of imported lists.
        #[arg(long)]
        no_overlay: bool,
    },
    /// Convert a list you supply into a local overlay (never into the repository): Disconnect,
    /// DuckDuckGo, AdGuard and EasyPrivacy-style lists are non-commercial or share-alike.
    Import {
        /// The list's format.
        #[arg(long, value_enum)]
        format: FormatArg,
        /// The list file.
        file: PathBuf,
        /// Overlay directory [default: $XDG_CONFIG_HOME/sporfri/signatures].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Category for entries the list does not categorise.
        #[arg(long, default_value = "advertising")]
        category: String,
        /// AdGuard companies.json, for organisation names (adguard format).
        #[arg(long)]
        companies: Option<PathBuf>,
        /// Name of this import in the overlay; importing again under it replaces it [default: the format].
        #[arg(long)]
        name: Option<String>,
    },
}

/// `--format` of `signatures import`.
#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Disconnect services.json.
    Disconnect,
    /// DuckDuckGo Tracker Radar tds.json.
    DdgTds,
    /// AdGuard companiesdb trackers.json.
    Adguard,
    /// Hosts file (`0.0.0.0 domain`).
    Hosts,
    /// Adblock list (`||domain^` rules).
    Adblock,
}

impl FormatArg {
    fn format(self) -> ImportFormat {
        match self {
            FormatArg::Disconnect => ImportFormat::Disconnect,
            FormatArg::DdgTds => ImportFormat::DdgTds,
            FormatArg::Adguard => ImportFormat::Adguard,
            FormatArg::Hosts => ImportFormat::Hosts,
            FormatArg::Adblock => ImportFormat::Adblock,
        }
    }
}

/// Run one `signatures` command.
pub fn run(command: SignaturesCommand) -> Result<ExitCode> {
    match command {
        SignaturesCommand::Check { dir } => check(dir.as_deref()),
        SignaturesCommand::Lookup {
            name,
            site,
            dir,
            cnames,
            no_overlay,
        } => lookup(&name, site.as_deref(), dir.as_deref(), &cnames, no_overlay),
        SignaturesCommand::Import {
            format,
            file,
            out,
            category,
            companies,
            name,
        } => import_list(format.format(), &file, out, &category, companies, name),
    }
}

fn check(dir: Option<&Path>) -> Result<ExitCode> {
    let (label, result) = match dir {
        Some(d) => (
            d.display().to_string(),
            sporfri::attribute::signatures::read_dir(d).and_then(|f| Signatures::from_files(&f)),
        ),
        None => (
            "built-in".to_owned(),
            Signatures::from_files(&embedded_files()),
        ),
    };
    match result {
        Ok(s) => {
            writeln!(
                super::out::stdout(),
                "ok: {} organisations, {} services, {} domains, {} site profiles, {} browsers \
                 with {} background domains, {} tracker endpoints ({label})",
                s.organisations().len(),
                s.services().len(),
                s.domain_count(),
                s.sites().len(),
                s.browsers().names().len(),
                s.browsers().domain_count(),
                s.endpoints().list().len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(SignatureError::Invalid(problems)) => {
            let mut out = super::out::stdout();
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            eprintln!(
                "sporfri: {} in the {label} signatures",
                sporfri::text::count(problems.len() as u64, "problem")
            );
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn attributor(dir: Option<&Path>, site: Option<&str>, no_overlay: bool) -> Result<Attributor> {
    let mut layers = vec![match dir {
        Some(d) => sporfri::attribute::dir_layer(d)?,
        None => builtin_layer()?,
    }];
    if let Some(o) = overlay_dir().filter(|d| !no_overlay && d.is_dir()) {
        layers.push(Layer {
            label: format!("overlay {}", o.display()),
            signatures: Signatures::from_dir(&o)?,
        });
    }
    Ok(Attributor::from_layers(layers, site)?)
}

fn lookup(
    raw: &str,
    site: Option<&str>,
    dir: Option<&Path>,
    cnames: &[String],
    no_overlay: bool,
) -> Result<ExitCode> {
    let a = attributor(dir, site, no_overlay)?;
    let host = match name::normalize(raw) {
        name::Host::Name(h) => h,
        name::Host::Ip(ip) => ip.to_string(),
        name::Host::Invalid => {
            let message = format!("{raw:?} is not a host name");
            return Err(super::bad_arguments(&["signatures", "lookup"], &message));
        }
    };
    let facts = Facts {
        name: &host,
        cname_chain: cnames,
        ..Facts::default()
    };
    let r = a.attribute(&facts);
    // Gathered and written once, so a closed stdout (`| head`) is an error to return, not a
    // panic inside `println!`.
    let text = std::cell::RefCell::new(String::new());
    let row = |k: &str, v: &str| {
        let _ = writeln!(text.borrow_mut(), "{k:<12}{v}");
    };
    row("name", &host);
    if let Some(reg) = name::registrable(&host) {
        row("registrable", reg);
    }
    explain(&a, &host, &r, row);
    row("party", r.party.as_str());
    if site.is_none() {
        row("", "(no --site: no name is first party)");
    }
    if let Some(d) = &r.declared {
        row("declared", d);
    }
    if let Some(h) = r.hidden {
        row("hidden", h.as_str());
    }
    if let Some(bg) = a.background(&host) {
        row(
            "background",
            &format!("{} (matched {})", bg.browsers_text(), bg.domain),
        );
        for s in &bg.services {
            row("", &format!("{} [{}]", s.purpose, s.origin));
        }
    }
    super::out::stdout().write_all(text.into_inner().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn explain(a: &Attributor, host: &str, r: &Attribution, row: impl Fn(&str, &str)) {
    let signature_host = r.cloaked.as_ref().map_or(host, |c| c.target.as_str());
    if let Some(c) = &r.cloaked {
        row("cloaked", &format!("yes: {}", c.chain.join(" -> ")));
    }
    let Some(m) = a.lookup(signature_host) else {
        match &r.org {
            Some(owner) => row("org", &format!("{owner} (site profile owner)")),
            None => row("org", "unknown (no signature matches)"),
        }
        if let Some(d) = &r.matched {
            row(
                "matched",
                &format!("{d} (first-party domain of the site profile)"),
            );
        }
        return;
    };
    let org = match m.org {
        Some(o) => {
            let name = o.name.as_deref().unwrap_or("unknown organisation");
            let parent = o
                .parent
                .as_deref()
                .map(|p| format!(", part of {p}"))
                .unwrap_or_default();
            format!("{name} ({}{parent})", o.country)
        }
        None => "unknown".to_owned(),
    };
    row("org", &org);
    row("service", &m.service.name);
    row("category", m.service.category.as_str());
    row("matched", r.matched.as_deref().unwrap_or("-"));
    row("purpose", &m.service.purpose);
    let source = r
        .matched
        .as_deref()
        .map_or(m.service.source.as_str(), |d| m.service.source_of(d));
    row("source", source);
    row("defined", &format!("{} ({})", m.service.origin, m.layer));
}

fn import_list(
    format: ImportFormat,
    file: &Path,
    out: Option<PathBuf>,
    category: &str,
    companies: Option<PathBuf>,
    name: Option<String>,
) -> Result<ExitCode> {
    let Some(default_category) = Category::parse(category) else {
        let words: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let message = format!(
            "unknown category {category:?}; one of: {}",
            words.join(", ")
        );
        return Err(super::bad_arguments(&["signatures", "import"], &message));
    };
    let out = match out.or_else(overlay_dir) {
        Some(o) => o,
        None => bail!("no overlay directory: set XDG_CONFIG_HOME or HOME, or give --out"),
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let companies = match companies {
        Some(c) => {
            Some(std::fs::read_to_string(&c).with_context(|| format!("reading {}", c.display()))?)
        }
        None => None,
    };
    let list_name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let opts = ImportOptions {
        default_category,
        list_name,
        companies,
    };
    let converted = import::convert(format, &text, &opts)?;
    let prefix = name.unwrap_or_else(|| format.as_str().to_owned());
    let written = import::write_overlay(&out, &prefix, &converted)?;
    writeln!(
        super::out::stdout(),
        "imported {} domains of {} organisations into {} ({} files)",
        converted.domains - written.already_in_overlay,
        converted.orgs.len(),
        out.join("orgs").display(),
        written.files.len()
    )?;
    writeln!(
        super::out::stdout(),
        "left out: {} invalid, {} repeated, {} unsupported lines, {} already in the overlay",
        converted.invalid,
        converted.duplicate,
        converted.unsupported,
        written.already_in_overlay
    )?;
    eprintln!(
        "sporfri: this overlay is for this machine only; never commit it (the list's licence)"
    );
    Ok(ExitCode::SUCCESS)
}
