//! Word-at-a-time byte tricks ("SIMD within a register") shared by the hex codec and the
//! `tracestate` grammar: eight bytes of a `u64` read little-endian, one lane each.

/// The byte 1 in every lane of a word.
pub(crate) const LANES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every lane.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every zero lane of `word` ("Bit Twiddling Hacks", haszero). A borrow can
/// also flag a lane above a zero lane, never one below, so the lowest flagged lane is exact.
pub(crate) fn has_zero(word: u64) -> u64 {
    word.wrapping_sub(LANES) & !word & HIGH
}
