//! `sporfri doctor`: checks the access-point set-up and says exactly what to fix.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use sporfri::attribute::Attributor;

/// Arguments of `sporfri doctor`.
#[derive(Args)]
pub struct DoctorArgs {
    /// The access point's interface.
    #[arg(short, long, default_value = "wlan0")]
    interface: String,
    /// Site profile to check (e.g. borger.dk).
    #[arg(long)]
    site: Option<String>,
    /// Database directory (default $STATE_DIRECTORY/db under systemd, else
    /// $XDG_DATA_HOME/sporfri/db).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

/// One finding.
struct Check {
    ok: bool,
    what: String,
    fix: String,
}

fn pass(what: impl Into<String>) -> Check {
    Check {
        ok: true,
        what: what.into(),
        fix: String::new(),
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        ok: false,
        what: what.into(),
        fix: fix.into(),
    }
}

/// Run every check; exit 1 if any failed.
pub fn run(args: DoctorArgs) -> Result<ExitCode> {
    let db = args.db.unwrap_or_else(sporfri::store::default_path);
    let mut checks = vec![feature()];
    checks.extend(interface(&args.interface));
    checks.push(capture(&args.interface));
    checks.push(database(&db));
    checks.push(signatures(args.site.as_deref()));
    checks.push(forwarding());
    checks.extend(["hostapd", "dnsmasq"].map(|d| daemon(d, &args.interface)));
    let mut failed = 0;
    for c in &checks {
        if c.ok {
            writeln!(super::out::stdout(), "ok    {}", c.what)?;
        } else {
            failed += 1;
            writeln!(
                super::out::stdout(),
                "FAIL  {}\n      fix: {}",
                c.what,
                c.fix
            )?;
        }
    }
    writeln!(
        super::out::stdout(),
        "{} checks, {failed} failed",
        checks.len()
    )?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn feature() -> Check {
    if cfg!(feature = "live") {
        pass("built with live capture")
    } else {
        fail(
            "this sporfri was built without live capture",
            "cargo build --release --features live (needs libpcap-dev), or systemd/install.sh",
        )
    }
}

fn interface(name: &str) -> Vec<Check> {
    let dir = Path::new("/sys/class/net").join(name);
    if !dir.exists() {
        return vec![fail(
            format!("interface {name} does not exist"),
            "pass the access point's interface with -i (see `ip link`), and SPORFRI_INTERFACE \
             in /etc/default/sporfri",
        )];
    }
    let flags = std::fs::read_to_string(dir.join("flags")).unwrap_or_default();
    let up =
        u64::from_str_radix(flags.trim().trim_start_matches("0x"), 16).is_ok_and(|f| f & 1 != 0);
    let mut out = vec![if up {
        pass(format!("interface {name} is up"))
    } else {
        fail(
            format!("interface {name} is down"),
            format!("systemctl restart sporfri-ap hostapd@{name} (or: sudo ip link set {name} up)"),
        )
    }];
    out.push(if dir.join("phy80211").exists() || dir.join("wireless").exists() {
        pass(format!("interface {name} is Wi-Fi"))
    } else {
        fail(
            format!("interface {name} is not a Wi-Fi interface"),
            "fine for a wired tap or a test; for the appliance use the Wi-Fi interface hostapd serves",
        )
    });
    out
}

#[cfg(feature = "live")]
fn capture(name: &str) -> Check {
    use sporfri::capture::interface::{LiveConfig, LiveSource};
    match LiveSource::open(&LiveConfig::new(name)) {
        Ok(_) => pass(format!("can capture on {name}")),
        Err(e) => fail(
            format!("cannot capture on {name}: {e}"),
            "sudo setcap cap_net_raw,cap_net_admin+eip $(command -v sporfri), or run the \
             systemd service (AmbientCapabilities)",
        ),
    }
}

#[cfg(not(feature = "live"))]
fn capture(name: &str) -> Check {
    fail(
        format!("cannot capture on {name}: no live capture in this build"),
        "cargo build --release --features live",
    )
}

/// The database the live service and `sporfri mark` will use: a running live session answers on
/// its socket; otherwise it must open (it is created, 0700, when missing).
fn database(db: &Path) -> Check {
    use sporfri::control::{Client, socket_path};
    if let Ok(s) = Client::connect(&socket_path(db)).and_then(Client::status) {
        return pass(format!(
            "database {} is recording live session {} \"{}\"",
            db.display(),
            s.id,
            s.label
        ));
    }
    match sporfri::store::Store::open(db).and_then(|s| s.sessions().map(|v| v.len())) {
        Ok(n) => pass(format!("database {} opens ({n} sessions)", db.display())),
        Err(e) => fail(
            format!("database {} does not open: {e}", db.display()),
            "under systemd the service creates it (StateDirectory=sporfri); by hand pass a \
             writable --db PATH, or fix the directory's owner and mode (0700)",
        ),
    }
}

fn signatures(site: Option<&str>) -> Check {
    match Attributor::builtin(site) {
        Ok(_) => pass(format!(
            "signatures load{}",
            site.map(|s| format!(" (site profile {s})"))
                .unwrap_or_default()
        )),
        Err(e) => fail(
            format!("signatures do not load: {e}"),
            "check the --site name against the built-in site profiles",
        ),
    }
}

fn forwarding() -> Check {
    match std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward") {
        Ok(v) if v.trim() == "1" => pass("IPv4 forwarding is on"),
        _ => fail(
            "IPv4 forwarding is off: the phone has no internet through the access point",
            "systemctl start sporfri-ap (or: sudo sysctl -w net.ipv4.ip_forward=1)",
        ),
    }
}

/// Whether a process called `name` runs; its fix names the unit: Debian's hostapd@IF (bound to the
/// interface, reading /etc/hostapd/IF.conf, as sporfri-ap-setup sets it up) or the plain service.
fn daemon(name: &str, interface: &str) -> Check {
    let running = std::fs::read_dir("/proc").ok().is_some_and(|dir| {
        dir.flatten()
            .any(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == name))
    });
    if running {
        pass(format!("{name} is running"))
    } else {
        let unit = if name == "hostapd" {
            format!("hostapd@{interface}")
        } else {
            name.to_string()
        };
        fail(
            format!("{name} is not running"),
            format!("sudo systemctl enable --now {unit}; journalctl -u {unit} says why it stopped"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interface_is_one_failure_with_a_fix() {
        let found = interface("sporfri-nope0");
        assert_eq!(found.len(), 1);
        assert!(!found[0].ok);
        assert!(found[0].fix.contains("-i"));
    }

    #[test]
    fn the_database_must_open() {
        let dir = tempfile::Builder::new()
            .prefix("sporfri-doctor-")
            .tempdir()
            .unwrap();
        let ok = database(&dir.path().join("db"));
        assert!(ok.ok, "{}", ok.what);
        assert!(ok.what.contains("0 sessions"), "{}", ok.what);
        let bad = database(Path::new("/proc/sporfri-doctor-nope/db"));
        assert!(!bad.ok);
        assert!(bad.fix.contains("StateDirectory"));
    }

    #[test]
    fn the_builtin_signatures_load() {
        assert!(signatures(None).ok);
    }
}
