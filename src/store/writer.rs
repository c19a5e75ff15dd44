//! Handing a recorder's batches to the store: a refused batch is counted, the analysis goes on.

use crate::session::{Batch, Recorder};

use super::{Store, StoreError};

/// Writes batches; remembers the first failure so the caller can report it at the end.
#[derive(Debug, Default)]
pub struct BatchWriter {
    /// The first error the store gave, if any.
    pub first_error: Option<StoreError>,
}

impl BatchWriter {
    /// Write `batch` and tell the recorder whether it was stored. Returns the error text the
    /// first time a write fails (so the caller can tell the tester once).
    pub fn write(&mut self, store: &mut Store, rec: &mut Recorder, batch: Batch) -> Option<String> {
        match store.write(&batch) {
            Ok(()) => {
                rec.committed(batch);
                None
            }
            Err(e) => {
                rec.failed(&batch);
                let first = self.first_error.is_none();
                let text = e.to_string();
                if first {
                    self.first_error = Some(e);
                }
                first.then_some(text)
            }
        }
    }
}
