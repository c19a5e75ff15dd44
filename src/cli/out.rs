//! Standard output of the commands. A reader that goes away (`sporfri … | head`, a pager quit
//! early) makes the next write fail with a broken pipe; that is remembered here, so `main` can
//! end quietly for it and still report a broken pipe anywhere else (the control socket of a
//! recording `live`, say) as the failure it is.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output, locked, watched for a reader that has gone.
pub fn stdout() -> Out<io::StdoutLock<'static>> {
    Out(io::stdout().lock())
}

/// Whether a write to standard output found its reader gone.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// A writer that notes a broken pipe before passing the error on.
pub struct Out<W>(W);

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        watch(self.0.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        watch(self.0.flush())
    }
}

fn watch<T>(r: io::Result<T>) -> io::Result<T> {
    if let Err(e) = &r
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Gone;

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_passed_on_and_remembered() {
        let mut out = Out(Gone);
        let e = writeln!(out, "x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(closed());
    }
}
