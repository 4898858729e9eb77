//! The bounded zstd decoder of the receivers (HTTP bodies and gRPC messages). The first two
//! bytes pick a limit (0..=4095); the rest is a zstd body. The output never exceeds the limit
//! and, when accepted, is the whole decompressed body; the rest, compressed by us, comes back
//! unchanged or is refused as too large.
#![no_main]

use collector::ReceiveError;
use collector::receiver::unzstd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, body @ ..] = data else {
        return;
    };
    let limit = usize::from(u16::from_le_bytes([*a, *b]) % 4096);
    if let Ok(out) = unzstd(body, limit) {
        assert!(out.len() <= limit, "{} > {limit}", out.len());
        let whole = zstd::decode_all(body).expect("an accepted body decompresses");
        assert_eq!(out, whole);
    }
    let compressed = zstd::encode_all(body, 1).expect("writes to a Vec");
    match unzstd(&compressed, limit) {
        Ok(out) => {
            assert!(body.len() <= limit);
            assert_eq!(out, body);
        }
        Err(err) => {
            assert!(body.len() > limit, "{err}");
            assert_eq!(err, ReceiveError::TooLarge { limit });
        }
    }
});
