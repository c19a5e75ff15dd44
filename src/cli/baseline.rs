//! The baseline options every recording command shares (`replay --label`, `live`, `tui
//! --replay --label`), and what they say after a recording (issue 18).

use anyhow::Result;

use sporfri::session::{BaselinePlan, DEFAULT_MAX_AGE_DAYS, Session, SessionId};
use sporfri::store::{BaselineRequest, Store};

/// Idle baselines: record one, or choose the one a test session is compared with.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct BaselineArgs {
    /// Record this session as an idle baseline: the device left alone (screen on, the browser
    /// on a blank page or its new tab) for a minute or two, to compare test sessions with.
    #[arg(long, conflicts_with_all = ["against", "no_baseline"])]
    pub baseline: bool,
    /// Compare with this baseline session (default: the latest baseline of the same device,
    /// when there is one). Names seen in it are listed apart as background.
    #[arg(long, value_name = "ID", conflicts_with = "no_baseline")]
    pub against: Option<SessionId>,
    /// Compare with no baseline.
    #[arg(long)]
    pub no_baseline: bool,
    /// Use an --against baseline recorded on another device (compared with every device).
    #[arg(long, requires = "against")]
    pub force: bool,
    /// Days after which a baseline is called old (it is still used, with a caveat).
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_MAX_AGE_DAYS, value_parser = parse_days)]
    pub baseline_max_age: u32,
}

impl BaselineArgs {
    /// What was asked for.
    pub fn request(&self) -> BaselineRequest {
        if self.baseline {
            BaselineRequest::IsBaseline
        } else if self.no_baseline {
            BaselineRequest::Off
        } else if let Some(id) = self.against {
            BaselineRequest::Named {
                id,
                force: self.force,
            }
        } else {
            BaselineRequest::Latest
        }
    }

    /// Any baseline option was given (beyond the default age).
    pub fn given(&self) -> bool {
        self.baseline || self.against.is_some() || self.no_baseline || self.force
    }

    /// The plan of a recording of `devices` (its `--device` filter) in `store`: errors (no such
    /// session, not a baseline, another device) come before any session is created.
    pub fn plan(&self, store: &Store, devices: &[String]) -> Result<Option<BaselinePlan>> {
        store
            .baseline_plan(&self.request(), devices, self.baseline_max_age)
            .map_err(|e| BadBaseline(e.to_string()).into())
    }
}

/// The baseline asked for cannot be used: a usage problem, not a database that cannot be
/// written (which a recording survives by analysing without storing).
#[derive(Debug)]
pub struct BadBaseline(String);

impl std::fmt::Display for BadBaseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadBaseline {}

/// `7`, `7d`, `30d`: whole days.
fn parse_days(s: &str) -> Result<u32, String> {
    s.strip_suffix('d')
        .unwrap_or(s)
        .parse()
        .map_err(|_| format!("{s:?}: give whole days, e.g. 7 or 7d"))
}

/// Tell the tester what the session was compared with; an error when a named baseline could
/// not be applied (another device, without --force).
pub fn after_recording(s: &Session) -> Result<()> {
    if s.baseline {
        eprintln!(
            "sporfri: session {} is an idle baseline; later sessions of its device are compared \
             with it (or name it: --against {})",
            s.id, s.id
        );
        return Ok(());
    }
    let Some(against) = &s.against else {
        return Ok(());
    };
    eprintln!("sporfri: compared with {}", against.describe(s.started));
    if against.stale(s.started) {
        eprintln!(
            "sporfri: warning: the baseline is older than {} days; record a fresh one \
             (--baseline) if the device changed",
            against.max_age_days
        );
    }
    if let Some(why) = &against.refused {
        anyhow::bail!(
            "the baseline was not applied: {why}; the session {} is stored without it",
            s.id
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_days;

    #[test]
    fn days_with_or_without_d() {
        assert_eq!(parse_days("7"), Ok(7));
        assert_eq!(parse_days("30d"), Ok(30));
        assert!(parse_days("1w").is_err());
    }
}
