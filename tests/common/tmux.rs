//! tmux on a private socket: the real binary in a real terminal, for tests.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

/// tmux on a private socket in a temporary directory: the server is killed and the socket
/// removed when dropped (`-L NAME` would leave a socket in /tmp/tmux-UID for every run).
pub struct Tmux {
    socket: super::Scratch,
}

/// How long a wait for the screen may take before the test fails: a guard against a hang
/// only, generous so that a loaded machine cannot fail the test.
const GUARD: Duration = Duration::from_secs(120);

impl Tmux {
    /// A private tmux server for test `name`.
    pub fn new(name: &str) -> Tmux {
        Tmux {
            socket: super::scratch(&format!("tmux-{name}")).at("socket"),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&*self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }

    /// Wait until the screen contains `text`.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + GUARD;
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&*self.socket)
            .arg("kill-server")
            .output();
    }
}
