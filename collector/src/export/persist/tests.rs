//! The persistent queue across "restarts" (dropping and reopening it on the same directory).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::test_dir::TestDir;
use super::*;
use crate::export::counters::ExportCounters;

fn config(dir: &TestDir) -> PersistConfig {
    PersistConfig::new(dir.path().to_owned())
}

fn open_counted(
    config: &PersistConfig,
) -> (DiskWriter, DiskReader, Recovered, Arc<ExportCounters>) {
    let counters = Arc::new(ExportCounters::default());
    let (writer, reader, found) = open(config, Arc::clone(&counters)).unwrap();
    (writer, reader, found, counters)
}

async fn next(reader: &mut DiskReader) -> Option<DiskItem> {
    tokio::time::timeout(Duration::from_secs(5), reader.recv())
        .await
        .expect("reader waited 5 s")
}

fn segments(dir: &TestDir) -> usize {
    std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        })
        .count()
}

#[tokio::test]
async fn acknowledged_records_are_gone_after_a_restart_the_rest_come_back() {
    let dir = TestDir::new("persist-replay");
    let (writer, mut reader, found, counters) = open_counted(&config(&dir));
    assert_eq!(found, Recovered::default());
    for n in 1..=3u8 {
        writer.append(u64::from(n), &[n; 10]).unwrap();
    }
    assert_eq!(counters.queued(), 6);
    let first = next(&mut reader).await.unwrap();
    let second = next(&mut reader).await.unwrap();
    assert_eq!((&first.payload[..], first.spans), (&[1u8; 10][..], 1));
    // Out of order: the second is done, the first is not, so the cursor stays put.
    reader.acker().ack(&[second.ticket]);
    assert_eq!(counters.queued(), 6);
    reader.acker().ack(&[first.ticket]);
    assert_eq!(counters.queued(), 3);
    drop((writer, reader));

    let (writer, mut reader, found, counters) = open_counted(&config(&dir));
    assert_eq!((found.records, found.spans, found.corrupt), (1, 3, 0));
    assert_eq!(counters.queued(), 3);
    let third = next(&mut reader).await.unwrap();
    assert_eq!(&third.payload[..], &[3u8; 10][..]);
    reader.acker().ack(&[third.ticket]);
    assert_eq!(counters.snapshot().queued_bytes, 0);
    drop(writer);
    assert!(next(&mut reader).await.is_none(), "closed and empty");
}

#[tokio::test]
async fn torn_tail_is_cut_off_and_counted() {
    let dir = TestDir::new("persist-torn");
    let (writer, reader, _, _) = open_counted(&config(&dir));
    writer.append(2, b"first").unwrap();
    writer.append(3, b"second").unwrap();
    drop((writer, reader));
    // What `kill -9` in the middle of a write leaves: a frame promising more than is there.
    let last = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .max()
        .unwrap();
    let torn = segment::encode(7, b"never finished");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    file.write_all(&torn[..torn.len() - 3]).unwrap();
    drop(file);

    let (writer, mut reader, found, counters) = open_counted(&config(&dir));
    assert_eq!((found.records, found.spans, found.corrupt), (2, 5, 1));
    assert_eq!(counters.snapshot().corrupt_records, 1);
    assert_eq!(&next(&mut reader).await.unwrap().payload[..], b"first");
    assert_eq!(&next(&mut reader).await.unwrap().payload[..], b"second");
    // New appends go after the good records, never after the torn one.
    writer.append(1, b"third").unwrap();
    assert_eq!(&next(&mut reader).await.unwrap().payload[..], b"third");
}

#[tokio::test]
async fn full_queue_refuses_and_counts_until_acknowledged() {
    let dir = TestDir::new("persist-full");
    let config = PersistConfig {
        max_bytes: 60,
        ..config(&dir)
    };
    let (writer, mut reader, _, counters) = open_counted(&config);
    // Each record: 8 frame + 4 spans + 20 payload = 32 bytes.
    writer.append(4, &[0; 20]).unwrap();
    assert!(matches!(writer.append(5, &[0; 20]), Err(AppendError::Full)));
    assert_eq!(counters.snapshot().dropped, 5);
    let item = next(&mut reader).await.unwrap();
    reader.acker().ack(&[item.ticket]);
    writer.append(5, &[0; 20]).unwrap();
}

#[tokio::test]
async fn segments_roll_over_and_are_deleted_once_acknowledged() {
    let dir = TestDir::new("persist-segments");
    let config = PersistConfig {
        segment_bytes: 64,
        ..config(&dir)
    };
    let (writer, mut reader, _, counters) = open_counted(&config);
    for n in 0..10u8 {
        writer.append(1, &[n; 30]).unwrap();
    }
    assert!(segments(&dir) >= 5, "{} segments", segments(&dir));
    let mut tickets = Vec::new();
    for n in 0..10u8 {
        let item = next(&mut reader).await.unwrap();
        assert_eq!(item.payload[0], n);
        tickets.push(item.ticket);
    }
    reader.acker().ack(&tickets);
    assert_eq!(counters.queued(), 0);
    assert_eq!(segments(&dir), 1, "only the segment being written is left");
    drop((writer, reader));
    let (_writer, _reader, found, _) = open_counted(&config);
    assert_eq!(found, Recovered::default());
    assert_eq!(
        segments(&dir),
        1,
        "the old, finished segment is deleted at start"
    );
}

#[tokio::test]
async fn a_waiting_reader_wakes_on_append() {
    let dir = TestDir::new("persist-wake");
    let (writer, mut reader, _, _) = open_counted(&config(&dir));
    let read = tokio::spawn(async move { next(&mut reader).await.map(|i| i.spans) });
    tokio::time::sleep(Duration::from_millis(20)).await;
    writer.append(9, b"late").unwrap();
    assert_eq!(read.await.unwrap(), Some(9));
}

#[test]
fn an_unusable_directory_is_an_error_naming_it() {
    let dir = TestDir::new("persist-file");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = open(
        &PersistConfig::new(file.clone()),
        Arc::new(ExportCounters::default()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[tokio::test]
async fn deferred_appends_are_synced_together_and_across_segments() {
    let dir = TestDir::new("persist-group-commit");
    let config = PersistConfig {
        fsync: true,
        // Two records per segment: the group below crosses segments.
        segment_bytes: 40,
        ..config(&dir)
    };
    let (writer, _reader, _, counters) = open_counted(&config);
    for n in 1..=5u8 {
        writer.append_deferred(u64::from(n), &[n; 10]).unwrap();
    }
    assert!(
        writer.shared.lock().unsynced,
        "the last segment waits for its sync"
    );
    writer.sync().unwrap();
    assert!(!writer.shared.lock().unsynced);
    writer.sync().unwrap();
    assert_eq!(counters.queued(), 15);
    assert!(segments(&dir) >= 3, "{} segments", segments(&dir));
    drop((writer, _reader));

    let (_writer, mut reader, found, _) = open_counted(&config);
    assert_eq!((found.records, found.spans, found.corrupt), (5, 15, 0));
    for n in 1..=5u8 {
        assert_eq!(&next(&mut reader).await.unwrap().payload[..], &[n; 10][..]);
    }
}
