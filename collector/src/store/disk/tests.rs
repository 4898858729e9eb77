//! Disk store tests.
