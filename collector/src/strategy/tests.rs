use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sampler::strategy::SamplingStrategyResponse;

use super::*;

fn api() -> ChangeOrigin {
    ChangeOrigin::Api { who: "test".into() }
}

fn rate(state: &StrategyState, service: &str) -> f64 {
    state
        .resolved
        .for_service(service)
        .probabilistic_sampling
        .map_or(-1.0, |p| p.sampling_rate)
}

fn write_file(path: &Path, foo: f64) {
    let json = format!(
        r#"{{"default_strategy": {{"type": "probabilistic", "param": 0.5}},
            "service_strategies": [{{"service": "foo", "type": "probabilistic", "param": {foo}}}]}}"#
    );
    fs::write(path, json).unwrap();
}

#[test]
fn changes_bump_the_version_notify_and_validate_whole() {
    let store = StrategyStore::in_memory(StrategiesDocument::default()).unwrap();
    let mut changes = store.subscribe();
    assert_eq!(store.current().version, 1);
    assert_eq!(store.current().resolved.configured_for("a"), None);

    let state = store
        .put_service(ServiceEntry::probabilistic("a", 0.25), &api())
        .unwrap();
    assert_eq!(state.version, 2);
    assert!(changes.has_changed().unwrap());
    assert_eq!(*changes.borrow_and_update(), 2);
    assert_eq!(rate(&store.current(), "a"), 0.25);
    assert_eq!(
        store.current().service_entry("a"),
        Some(&ServiceEntry::probabilistic("a", 0.25))
    );

    // Replacing an entry keeps its place; an invalid one changes nothing.
    store
        .put_service(ServiceEntry::probabilistic("b", 1.0), &api())
        .unwrap();
    store
        .put_service(ServiceEntry::probabilistic("a", 0.75), &api())
        .unwrap();
    let err = store
        .put_service(ServiceEntry::probabilistic("a", 7.0), &api())
        .unwrap_err();
    assert!(err.to_string().contains("param 7"), "{err}");
    let state = store.current();
    assert_eq!(state.version, 4);
    let names: Vec<_> = state
        .document
        .service_strategies
        .iter()
        .map(|e| (e.service.as_str(), e.param))
        .collect();
    assert_eq!(names, [("a", 0.75), ("b", 1.0)]);

    assert!(store.delete_service("zzz", &api()).unwrap().is_none());
    assert_eq!(store.current().version, 4);
    let state = store.delete_service("a", &api()).unwrap().unwrap();
    assert_eq!(state.version, 5);
    assert_eq!(
        state.resolved.for_service("a"),
        &SamplingStrategyResponse::probabilistic(JAEGER_DEFAULT_PROBABILITY)
    );

    let state = store
        .replace(
            StrategiesDocument {
                default_strategy: Some(ServiceEntry::probabilistic("", 0.1)),
                service_strategies: Vec::new(),
            },
            &api(),
        )
        .unwrap();
    assert_eq!((state.version, rate(&state, "b")), (6, 0.1));
    assert!(state.updated_unix_ms >= 1_600_000_000_000);
}

#[test]
fn api_changes_outlive_a_restart_until_the_file_is_edited() {
    let dir = test_dir("store-restart");
    let file = dir.join("strategies-file.json");
    write_file(&file, 0.8);
    let options = StoreOptions {
        strategies_file: Some(file.clone()),
        data_dir: Some(dir.join("data")),
    };

    let store = StrategyStore::open(options.clone()).unwrap();
    assert_eq!(
        (store.current().version, rate(&store.current(), "foo")),
        (1, 0.8)
    );
    store
        .put_service(ServiceEntry::probabilistic("foo", 0.1), &api())
        .unwrap();
    drop(store);

    // Same file: the API's change and the version survive.
    let store = StrategyStore::open(options.clone()).unwrap();
    assert_eq!(
        (store.current().version, rate(&store.current(), "foo")),
        (2, 0.1)
    );
    drop(store);

    // Without --strategies the persisted state applies too.
    let store = StrategyStore::open(StoreOptions {
        strategies_file: None,
        ..options.clone()
    })
    .unwrap();
    assert_eq!(rate(&store.current(), "foo"), 0.1);
    drop(store);

    // An edited file applies, with the next version.
    write_file(&file, 0.3);
    let store = StrategyStore::open(options.clone()).unwrap();
    assert_eq!(
        (store.current().version, rate(&store.current(), "foo")),
        (3, 0.3)
    );
    drop(store);

    // A broken file or persisted state refuses to start, naming the file.
    fs::write(&file, "{\"service_strategies\": [{\"service\": 1}]}").unwrap();
    let err = StrategyStore::open(options.clone())
        .unwrap_err()
        .to_string();
    assert!(err.contains("strategies-file.json"), "{err}");
    write_file(&file, 0.3);
    fs::write(dir.join("data").join(STATE_FILE), "garbage").unwrap();
    let err = StrategyStore::open(options).unwrap_err().to_string();
    assert!(err.contains(STATE_FILE), "{err}");
}

#[test]
fn the_poller_applies_edits_and_rejects_bad_ones_once() {
    let dir = test_dir("store-poll");
    let file = dir.join("s.yaml");
    write_file(&file, 0.8);
    let store = StrategyStore::open(StoreOptions {
        strategies_file: Some(file.clone()),
        data_dir: None,
    })
    .unwrap();
    let mut poller = FilePoller::new(file.clone());
    assert_eq!(poller.check(&store), FileCheck::Unchanged);

    // An API change is not undone while the file stays as it was.
    store
        .put_service(ServiceEntry::probabilistic("bar", 0.2), &api())
        .unwrap();
    assert_eq!(poller.check(&store), FileCheck::Unchanged);
    assert_eq!(rate(&store.current(), "bar"), 0.2);

    // YAML works too; the edit replaces the document whole.
    fs::write(
        &file,
        "service_strategies: [{service: foo, type: probabilistic, param: 0.4}]\n",
    )
    .unwrap();
    assert_eq!(poller.check(&store), FileCheck::Applied(3));
    assert_eq!(rate(&store.current(), "foo"), 0.4);
    assert_eq!(rate(&store.current(), "bar"), JAEGER_DEFAULT_PROBABILITY);

    fs::write(
        &file,
        "service_strategies: [{service: foo, type: probabilistic, param: 4}]\n",
    )
    .unwrap();
    assert_eq!(poller.check(&store), FileCheck::Rejected);
    assert_eq!(poller.check(&store), FileCheck::Unchanged);
    fs::remove_file(&file).unwrap();
    assert_eq!(poller.check(&store), FileCheck::Rejected);
    assert_eq!(store.current().version, 3);
}

#[tokio::test]
async fn the_watcher_task_applies_an_edit_and_stops() {
    let dir = test_dir("store-watch");
    let file = dir.join("s.json");
    write_file(&file, 0.8);
    let store = Arc::new(
        StrategyStore::open(StoreOptions {
            strategies_file: Some(file.clone()),
            data_dir: Some(dir.clone()),
        })
        .unwrap(),
    );
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = spawn_file_watcher(Arc::clone(&store), Duration::from_millis(10), stop_rx).unwrap();
    let mut changes = store.subscribe();
    write_file(&file, 0.6);
    tokio::time::timeout(Duration::from_secs(5), changes.wait_for(|v| *v == 2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rate(&store.current(), "foo"), 0.6);
    // Persisted with the new file's hash: a restart keeps it.
    let persisted = fs::read_to_string(dir.join(STATE_FILE)).unwrap();
    assert!(persisted.contains("\"version\": 2"), "{persisted}");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}
