//! Store tests: bounds and eviction (`bounds`), indexed search (`search`).

mod bounds;
mod search;
