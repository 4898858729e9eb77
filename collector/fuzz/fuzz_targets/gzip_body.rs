//! The bounded gunzip of the HTTP receivers. The first two bytes pick a limit (0..=4095);
//! the rest is a gzip body. The output never exceeds the limit and, when accepted, is the
//! whole decompressed body; the rest, gzipped by us, comes back unchanged or is refused as
//! too large.
#![no_main]

use std::io::{Read, Write};

use collector::ReceiveError;
use collector::receiver::gunzip;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, body @ ..] = data else {
        return;
    };
    let limit = usize::from(u16::from_le_bytes([*a, *b]) % 4096);
    if let Ok(out) = gunzip(body, limit) {
        assert!(out.len() <= limit, "{} > {limit}", out.len());
        let mut whole = Vec::new();
        MultiGzDecoder::new(body)
            .read_to_end(&mut whole)
            .expect("an accepted body decompresses");
        assert_eq!(out, whole);
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(body).expect("writes to a Vec");
    let gzipped = encoder.finish().expect("writes to a Vec");
    match gunzip(&gzipped, limit) {
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
