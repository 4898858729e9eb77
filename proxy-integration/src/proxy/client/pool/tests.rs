//! The pool's idle timeout, sweep, cap and closed connections, on in-memory connections.

use tokio::io::DuplexStream;

use super::*;

const IDLE: Duration = Duration::from_secs(90);

/// An open connection over an in-memory pipe; it stays open while the pipe's other end
/// (returned) lives.
async fn sender() -> (Sender, DuplexStream) {
    let (client, server) = tokio::io::duplex(1024);
    let (sender, connection) = http1::handshake(TokioIo::new(client)).await.unwrap();
    tokio::spawn(connection);
    (sender, server)
}

fn pool() -> Pool {
    Pool::new(Duration::from_secs(1), IDLE)
}

fn authority(a: &str) -> Authority {
    a.parse().unwrap()
}

fn idle_count(pool: &Pool, authority: &Authority) -> Option<usize> {
    let conns = pool.conns.lock().unwrap();
    conns.by_authority.get(authority).map(VecDeque::len)
}

#[tokio::test(start_paused = true)]
async fn a_connection_idle_for_the_timeout_is_not_taken() {
    let pool = pool();
    let reviews = authority("reviews:9080");
    let (sender, _server) = sender().await;
    pool.put(&reviews, sender);
    tokio::time::advance(IDLE - Duration::from_secs(1)).await;
    let sender = pool.take(&reviews).expect("idle for less than the timeout");
    // Handing it back starts its idle time afresh.
    pool.put(&reviews, sender);
    tokio::time::advance(IDLE - Duration::from_secs(1)).await;
    let sender = pool.take(&reviews).expect("idle for less than the timeout");
    pool.put(&reviews, sender);
    tokio::time::advance(IDLE).await;
    assert!(pool.take(&reviews).is_none());
    assert_eq!(idle_count(&pool, &reviews), Some(0));
}

#[tokio::test(start_paused = true)]
async fn taking_an_expired_connection_drops_the_older_ones_too() {
    let pool = pool();
    let reviews = authority("reviews:9080");
    let (first, _a) = sender().await;
    let (second, _b) = sender().await;
    pool.put(&reviews, first);
    tokio::time::advance(Duration::from_secs(10)).await;
    pool.put(&reviews, second);
    tokio::time::advance(IDLE).await;
    assert!(pool.take(&reviews).is_none());
    assert_eq!(idle_count(&pool, &reviews), Some(0));
}

#[tokio::test(start_paused = true)]
async fn handing_back_sweeps_expired_connections_of_other_upstreams() {
    let pool = pool();
    let (reviews, ratings) = (authority("reviews:9080"), authority("ratings:9080"));
    let (old, _a) = sender().await;
    let (fresh, _b) = sender().await;
    let (other, _c) = sender().await;
    pool.put(&reviews, old);
    tokio::time::advance(IDLE / 2).await;
    pool.put(&reviews, fresh);
    tokio::time::advance(IDLE / 2).await;
    // One idle timeout since the pool began: this hand-back sweeps.
    pool.put(&ratings, other);
    assert_eq!(
        idle_count(&pool, &reviews),
        Some(1),
        "the fresher one stays"
    );
    tokio::time::advance(IDLE).await;
    let (again, _d) = sender().await;
    pool.put(&ratings, again);
    assert_eq!(
        idle_count(&pool, &reviews),
        None,
        "an upstream left with none goes"
    );
    assert_eq!(idle_count(&pool, &ratings), Some(1));
}

#[tokio::test(start_paused = true)]
async fn past_the_cap_the_longest_idle_connection_goes() {
    let pool = pool();
    let reviews = authority("reviews:9080");
    let mut far_ends = Vec::new();
    let start = Instant::now();
    for _ in 0..=MAX_IDLE_PER_HOST {
        let (sender, far) = sender().await;
        far_ends.push(far);
        pool.put(&reviews, sender);
        tokio::time::advance(Duration::from_millis(1)).await;
    }
    let conns = pool.conns.lock().unwrap();
    let idle = &conns.by_authority[&reviews];
    assert_eq!(idle.len(), MAX_IDLE_PER_HOST);
    // The first one handed back went; the last one stayed.
    let millis = |i: &Idle<Incoming>| (i.since - start).as_millis();
    assert_eq!(idle.front().map(millis), Some(1));
    assert_eq!(idle.back().map(millis), Some(MAX_IDLE_PER_HOST as u128));
}

#[tokio::test]
async fn closed_connections_are_never_taken() {
    let pool = pool();
    let reviews = authority("reviews:9080");
    let (sender, server) = sender().await;
    pool.put(&reviews, sender);
    drop(server);
    // The connection task sees the pipe's end and closes; until then it is still open.
    loop {
        let Some(sender) = pool.take(&reviews) else {
            break;
        };
        pool.put(&reviews, sender);
        tokio::task::yield_now().await;
    }
    assert_eq!(idle_count(&pool, &reviews), Some(0));
}
