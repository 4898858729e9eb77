//! Lowercase hex, both ways, without allocating: ids and header values are written into
//! fixed-size stack buffers instead of through `format!` and `{:02x}` per byte.

use crate::swar::{HIGH, LANES};

/// The lowercase hex digits.
const LOWER: &[u8; 16] = b"0123456789abcdef";

/// The lowercase hex digit of the low four bits of `nibble`.
pub fn digit(nibble: u8) -> u8 {
    // The mask keeps the index in 0..16, the table's length, so this cannot go out of bounds.
    LOWER[usize::from(nibble & 0x0f)]
}

/// Marks a byte that is not a lowercase hex digit in [`VALUES`] (any value >= 16 would do).
const NOT_HEX: u8 = 0xff;

/// The value of every byte read as a lowercase hex digit: one load per digit, no branches.
static VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 16 {
        table[LOWER[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The value of one lowercase hex digit.
pub fn value(c: u8) -> Option<u8> {
    let v = VALUES[usize::from(c)];
    (v != NOT_HEX).then_some(v)
}

/// Decodes exactly `2 * out.len()` lowercase hex digits of `text` into `out`; `false` (with
/// `out` partly written) when the length is wrong or a byte is not a lowercase hex digit.
/// Eight digits at a time ([`decode_word`]), the last few through the table; every digit is
/// checked once, after the loop, so the loop itself does not branch.
#[inline]
pub fn decode_into(text: &[u8], out: &mut [u8]) -> bool {
    if text.len() != 2 * out.len() {
        return false;
    }
    let mut valid = true;
    // Four bytes per word of eight digits; the rest (`text.len() % 8` digits) pair by pair.
    let (words, text_rest) = text.as_chunks::<8>();
    let (quads, out_rest) = out.as_chunks_mut::<4>();
    for (word, bytes) in words.iter().zip(quads) {
        let decoded = decode_word(*word);
        valid &= decoded.is_some();
        *bytes = decoded.unwrap_or_default().to_be_bytes();
    }
    valid && decode_pairs(text_rest, out_rest)
}

/// [`decode_into`] one digit pair at a time, through the table (the reference, and the tail).
fn decode_pairs(text: &[u8], out: &mut [u8]) -> bool {
    let mut seen = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        if let [hi, lo] = pair {
            let (hi, lo) = (VALUES[usize::from(*hi)], VALUES[usize::from(*lo)]);
            seen |= hi | lo;
            *byte = (hi << 4) | (lo & 0x0f);
        }
    }
    // Every digit's value is below 16; NOT_HEX sets the high bits.
    seen < 16
}

/// The value of eight lowercase hex digits (the first the most significant), decoded as one
/// word: `None` when a byte is not a lowercase hex digit. Lanes are classified with adds that
/// set a lane's high bit when the lane is at least some bound; lanes are below `0x80` when
/// added to (ASCII is checked apart), so no carry crosses into the next lane.
#[inline]
pub fn decode_word(digits: [u8; 8]) -> Option<u32> {
    let word = u64::from_le_bytes(digits);
    let low = word & !HIGH;
    let at_least = |bound: u8| low.wrapping_add(LANES * u64::from(0x80 - bound)) & HIGH;
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let alpha = at_least(b'a') & !at_least(b'f' + 1);
    if (digit | alpha) != HIGH || word & HIGH != 0 {
        return None;
    }
    // `0`-`9` keep their low four bits; `a`-`f` (1-6 there) add 9.
    let nibbles = (word & (LANES * 0x0f)) + (alpha >> 7) * 9;
    // Pairs of lanes into bytes (first digit high), then the four bytes together.
    let bytes = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff_00ff_00ff_00ff;
    let bytes = (bytes | (bytes >> 8)) & 0x0000_ffff_0000_ffff;
    let bytes = (bytes | (bytes >> 16)) & 0xffff_ffff;
    // The first digit pair is the lowest lane: read the four bytes back big-endian.
    let [b0, b1, b2, b3, ..] = bytes.to_le_bytes();
    Some(u32::from_be_bytes([b0, b1, b2, b3]))
}

/// The two lowercase hex digits of every byte: one load and one two-byte store per byte.
static PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [LOWER[i >> 4], LOWER[i & 0x0f]];
        i += 1;
    }
    table
};

/// Writes `bytes` as lowercase hex at the start of `out`, two digits per byte, and returns how
/// many bytes of `out` were written. Stops early (whole bytes only) when `out` is too short.
pub fn encode_into(bytes: &[u8], out: &mut [u8]) -> usize {
    let mut written = 0;
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            [*hi, *lo] = PAIRS[usize::from(*byte)];
            written += 2;
        }
    }
    written
}

/// `bytes` as lowercase hex: `D` digits for `N` bytes, four bytes at a time
/// (`encode_word`). For ids, whose length is known where they are written: the loop
/// unrolls to straight-line word operations. `N` must be a multiple of four and `D` twice
/// `N`: other bytes are left out, other digits zero.
#[inline]
pub fn encode_array<const N: usize, const D: usize>(bytes: &[u8; N]) -> [u8; D] {
    let mut out = [0u8; D];
    let (quads, _) = bytes.as_chunks::<4>();
    let (words, _) = out.as_chunks_mut::<8>();
    for (quad, word) in quads.iter().zip(words) {
        *word = encode_word(*quad);
    }
    out
}

/// The eight lowercase hex digits of four bytes, as one word: each byte is spread over two
/// lanes (high nibble first), and a lane of 10 or more gets the distance from `'9' + 1` to
/// `'a'` added; no lane ever carries into the next.
fn encode_word(bytes: [u8; 4]) -> [u8; 8] {
    let word = u64::from(u32::from_le_bytes(bytes));
    // Byte `i` into lane `2 i`.
    let spread = (word | (word << 16)) & 0x0000_ffff_0000_ffff;
    let spread = (spread | (spread << 8)) & 0x00ff_00ff_00ff_00ff;
    // Its high nibble stays in lane `2 i`, its low nibble goes to lane `2 i + 1`.
    let nibbles = ((spread >> 4) & (LANES * 0x0f)) | ((spread & (LANES * 0x0f)) << 8);
    // Lanes of 10 or more reach 16 when 6 is added: bit 4 of the lane, moved to bit 0.
    let letters = ((nibbles + LANES * 6) >> 4) & LANES;
    (nibbles + LANES * u64::from(b'0') + letters * u64::from(b'a' - b'9' - 1)).to_le_bytes()
}

/// `bytes` as lowercase hex in a buffer of `N` characters (`N` is twice the input length at
/// every call site; a longer `N` leaves trailing zero bytes, a shorter one drops bytes).
pub fn encode<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    encode_into(bytes, &mut out);
    out
}

/// A header value assembled left to right in a stack buffer of `N` bytes: literal parts and
/// hex-encoded ids, with no allocation until the caller copies it into a `HeaderValue`.
/// Writes past `N` are dropped; every call site sizes `N` for its longest value.
#[derive(Debug, Clone, Copy)]
pub struct Buf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Buf<N> {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `bytes` as they are.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Self {
        let free = self.buf.get_mut(self.len..).unwrap_or_default();
        let n = bytes.len().min(free.len());
        if let (Some(dst), Some(src)) = (free.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
            self.len += n;
        }
        self
    }

    /// Appends `bytes` as lowercase hex.
    pub fn push_hex(&mut self, bytes: &[u8]) -> &mut Self {
        let free = self.buf.get_mut(self.len..).unwrap_or_default();
        self.len += encode_into(bytes, free);
        self
    }

    /// What was written.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// The text of a buffer this module wrote (always ASCII); empty if it is not UTF-8.
pub fn as_str(buf: &[u8]) -> &str {
    std::str::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_byte_like_format() {
        let all: Vec<u8> = (0..=255).collect();
        let mut out = [0u8; 512];
        assert_eq!(encode_into(&all, &mut out), 512);
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(as_str(&out), want);
    }

    #[test]
    fn arrays_encode_like_the_table() {
        for start in 0..=255u8 {
            let bytes: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(17 * i as u8));
            assert_eq!(
                encode_array::<16, 32>(&bytes),
                encode::<32>(&bytes),
                "{start}"
            );
            let bytes: [u8; 8] = std::array::from_fn(|i| start.wrapping_mul(i as u8 + 1));
            assert_eq!(
                encode_array::<8, 16>(&bytes),
                encode::<16>(&bytes),
                "{start}"
            );
        }
    }

    #[test]
    fn short_buffers_take_whole_bytes_only() {
        let mut out = [b'.'; 5];
        assert_eq!(encode_into(&[0xab, 0xcd, 0xef], &mut out), 4);
        assert_eq!(&out, b"abcd.");
        assert_eq!(encode::<4>(&[0x01, 0xfe]), *b"01fe");
        assert_eq!(encode_into(&[0x01], &mut []), 0);
    }

    #[test]
    fn buf_assembles_and_never_overflows() {
        let mut b = Buf::<10>::new();
        b.push(b"00-").push_hex(&[0xde, 0xad]).push(b"-");
        assert_eq!(b.as_bytes(), b"00-dead-");
        b.push_hex(&[0x01, 0x02]);
        assert_eq!(b.as_bytes(), b"00-dead-01");
        b.push(b"x").push_hex(&[0xff]);
        assert_eq!(b.as_bytes().len(), 10);
    }

    #[test]
    fn decode_into_takes_exactly_lowercase_hex() {
        let mut out = [0u8; 2];
        assert!(decode_into(b"00ff", &mut out));
        assert_eq!(out, [0x00, 0xff]);
        assert!(decode_into(b"a1b2", &mut out));
        assert_eq!(out, [0xa1, 0xb2]);
        for bad in [&b"a1B2"[..], b"a1b", b"a1b2c", b"a1 2", b"g000", b"000\xff"] {
            assert!(!decode_into(bad, &mut out), "{bad:?}");
        }
        for c in 0..=255u8 {
            let want = (c as char).is_ascii_hexdigit() && !c.is_ascii_uppercase();
            assert_eq!(decode_into(&[b'0', c], &mut [0]), want, "{c}");
            assert_eq!(value(c).is_some(), want, "{c}");
        }
    }

    proptest::proptest! {
        /// Word-at-a-time decoding gives what the table gives, one pair at a time, for digits
        /// and near misses at every position.
        #[test]
        fn decode_into_matches_the_table(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    // Mostly digits, so whole valid words come up too.
                    8 => proptest::sample::select(b"0123456789abcdef".to_vec()),
                    1 => proptest::sample::select(b"/:@AFG`g\x7f\x80\xb0\xe6\xff\x00-".to_vec()),
                    1 => proptest::num::u8::ANY,
                ],
                0..40,
            ),
        ) {
            let len = text.len() / 2;
            let (mut got, mut want) = (vec![0u8; len], vec![0u8; len]);
            let ok = decode_pairs(text.get(..2 * len).unwrap(), &mut want);
            let text = text.get(..2 * len).unwrap();
            proptest::prop_assert_eq!(decode_into(text, &mut got), ok);
            if ok {
                proptest::prop_assert_eq!(got, want);
            }
        }

        /// Every word of digits decodes to what the table gives.
        #[test]
        fn decode_word_matches_the_table(digits in proptest::array::uniform8(
            proptest::sample::select(b"0123456789abcdef/:`g".to_vec()),
        )) {
            let mut want = [0u8; 4];
            let ok = decode_pairs(&digits, &mut want);
            proptest::prop_assert_eq!(decode_word(digits), ok.then(|| u32::from_be_bytes(want)));
        }
    }

    #[test]
    fn decode_word_takes_every_byte_at_every_lane() {
        for c in 0..=255u8 {
            for lane in 0..8 {
                let mut digits = *b"0123abcd";
                digits[lane] = c;
                let mut want = [0u8; 4];
                let ok = decode_pairs(&digits, &mut want);
                assert_eq!(
                    decode_word(digits),
                    ok.then(|| u32::from_be_bytes(want)),
                    "{c}"
                );
            }
        }
        assert_eq!(decode_word(*b"4bf92f35"), Some(0x4bf9_2f35));
        assert_eq!(decode_word(*b"ffffffff"), Some(u32::MAX));
    }

    #[test]
    fn digits_round_trip() {
        for n in 0..16u8 {
            assert_eq!(value(digit(n)), Some(n));
        }
        assert_eq!(digit(0x1f), b'f');
        for c in [b'A', b'g', b' ', b'/', b':'] {
            assert_eq!(value(c), None);
        }
    }
}
