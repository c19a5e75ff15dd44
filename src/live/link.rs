//! Is the capture interface up? Read from sysfs, because libpcap does not always say when an
//! interface went down (a socket bound to a downed interface may simply see nothing).

use std::path::PathBuf;

/// `IFF_UP` in `/sys/class/net/IF/flags`.
const IFF_UP: u64 = 0x1;

/// State of a network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Administratively up, with this interface index.
    Up {
        /// Kernel interface index; a new index means the interface was recreated.
        ifindex: u64,
    },
    /// Exists but is down.
    Down,
    /// Does not exist (or sysfs is not there to say).
    Gone,
}

/// Reads an interface's state from sysfs.
#[derive(Debug, Clone)]
pub struct LinkWatch {
    dir: PathBuf,
}

impl LinkWatch {
    /// Watch interface `name` (e.g. `wlan0`).
    pub fn new(name: &str) -> LinkWatch {
        LinkWatch::under(PathBuf::from("/sys/class/net"), name)
    }

    /// Watch `name` under another sysfs root (for tests).
    pub fn under(root: PathBuf, name: &str) -> LinkWatch {
        LinkWatch {
            dir: root.join(name),
        }
    }

    /// Whether the interface can be watched at all (`any` and non-Linux systems cannot).
    pub fn watchable(&self) -> bool {
        self.dir.join("flags").exists()
    }

    /// The current state.
    pub fn state(&self) -> LinkState {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).ok();
        let (Some(flags), Some(index)) = (read("flags"), read("ifindex")) else {
            return LinkState::Gone;
        };
        parse_state(&flags, &index)
    }
}

/// State from the contents of sysfs `flags` (hex) and `ifindex` (decimal).
pub fn parse_state(flags: &str, ifindex: &str) -> LinkState {
    let flags = u64::from_str_radix(flags.trim().trim_start_matches("0x"), 16);
    let index = ifindex.trim().parse::<u64>();
    match (flags, index) {
        (Ok(f), Ok(ifindex)) if f & IFF_UP != 0 => LinkState::Up { ifindex },
        (Ok(_), Ok(_)) => LinkState::Down,
        _ => LinkState::Gone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_decide_up_or_down() {
        assert_eq!(parse_state("0x1003\n", "7\n"), LinkState::Up { ifindex: 7 });
        assert_eq!(parse_state("0x1002\n", "7\n"), LinkState::Down);
        assert_eq!(parse_state("garbage", "7"), LinkState::Gone);
    }

    #[test]
    fn a_missing_interface_is_gone() {
        let w = LinkWatch::under(std::env::temp_dir(), "sporfri-no-such-if");
        assert!(!w.watchable());
        assert_eq!(w.state(), LinkState::Gone);
    }

    #[test]
    fn loopback_is_up_when_sysfs_is_there() {
        let w = LinkWatch::new("lo");
        if w.watchable() {
            assert!(matches!(w.state(), LinkState::Up { .. }));
        }
    }
}
