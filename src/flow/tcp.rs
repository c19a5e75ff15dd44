//! TCP stream-head reassembly (in progress).
