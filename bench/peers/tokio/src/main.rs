//! Tokio peer of the workload programs (bench/w*.cpp, bench/python/w*.py): tasks on the
//! current_thread runtime, JoinHandles, JoinSet, tokio::time::sleep, mpsc, Notify.
//!
//!     usage: peer_tokio WORKLOAD N [--seed S] [--variant event|queue]
//!
//! WORKLOAD is W1 W2 W3 W3s W4 W5 W6 (W6q / W6e also accepted). Prints one JSON line of
//! the same shape as bench/python/common.py.
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::{JoinHandle, JoinSet};

/// The suite's PRNG (bench/common.hpp).
struct Mulberry32(u32);

impl Mulberry32 {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x6D2B79F5);
        let a = self.0;
        let mut t = (a ^ (a >> 15)).wrapping_mul(a | 1);
        t = t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61)) ^ t;
        t ^ (t >> 14)
    }
    fn below(&mut self, bound: u32) -> u32 {
        ((self.next() as u64 * bound as u64) >> 32) as u32
    }
}

fn durations_us(n: usize, max_us: u32, seed: u32) -> Vec<u32> {
    let mut g = Mulberry32(seed);
    (0..n).map(|_| g.below(max_us)).collect()
}

fn permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut g = Mulberry32(seed);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = g.below(i as u32 + 1) as usize;
        p.swap(i, j);
    }
    p
}

fn cpu_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

fn peak_rss_mib() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0 // KiB on Linux
}

fn current_rss_bytes() -> i64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = s.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(-1);
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64
}

fn check(ok: bool, what: &str) {
    if !ok {
        eprintln!("check failed: {what}");
        std::process::exit(1);
    }
}

/// The JSON line, fields in insertion order.
#[derive(Default)]
struct Out(Vec<(String, String)>);

impl Out {
    fn num(&mut self, k: &str, v: f64) -> &mut Self {
        self.0.push((k.into(), format!("{v}")));
        self
    }
    fn int(&mut self, k: &str, v: usize) -> &mut Self {
        self.0.push((k.into(), v.to_string()));
        self
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.0.push((k.into(), format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))));
        self
    }
    fn line(&self) -> String {
        let body: Vec<String> = self.0.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", body.join(", "))
    }
}

fn ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

// ---------------------------------------------------------------------------------- W1
async fn w1(n: usize, out: &mut Out) {
    let t0 = Instant::now();
    let handles: Vec<JoinHandle<usize>> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0usize;
    for h in handles {
        sum += h.await.unwrap();
    }
    let dt = t0.elapsed();
    check(sum == n * (n - 1) / 2, "W1 sum");
    out.num("value", dt.as_nanos() as f64 / n as f64).num("total_ms", ms(dt));
}

// ---------------------------------------------------------------------------------- W2
async fn sleeper(us: u32) -> u32 {
    tokio::time::sleep(Duration::from_micros(us as u64)).await;
    us
}

/// The inner gather: spawn one task per sleep, collect the results in order.
async fn gather_sleeps(d: Vec<u32>) -> Vec<u32> {
    let handles: Vec<JoinHandle<u32>> = d.into_iter().map(|us| tokio::spawn(sleeper(us))).collect();
    let mut res = Vec::with_capacity(handles.len());
    for h in handles {
        res.push(h.await.unwrap());
    }
    res
}

async fn w2(n: usize, seed: u32, out: &mut Out) {
    let d = durations_us(n, 10_000, seed);
    let (a, b) = (n / 3, 2 * n / 3);
    let t0 = Instant::now();
    let groups: Vec<JoinHandle<Vec<u32>>> = [&d[..a], &d[a..b], &d[b..]]
        .iter()
        .map(|g| tokio::spawn(gather_sleeps(g.to_vec())))
        .collect();
    let mut all = Vec::with_capacity(n);
    for g in groups {
        all.extend(g.await.unwrap());
    }
    let wall = ms(t0.elapsed());
    check(all == d, "W2 results");
    let max_us = *d.iter().max().unwrap();
    out.num("value", wall - 10.0).num("wall_ms", wall).num("max_sleep_ms", max_us as f64 / 1e3);
}

// ---------------------------------------------------------------------------------- W3, W3s
/// wait(pending, FIRST_COMPLETED) for Tokio: a select over every pending JoinHandle (each
/// poll registers the waker on that task), resolving when at least one has finished; the
/// finished ones are swept out of pending. `unconstrained` keeps Tokio's cooperative
/// budget from faking "not ready" after 128 polls.
async fn wait_first<T>(pending: &mut Vec<JoinHandle<T>>) -> Vec<T> {
    tokio::task::unconstrained(poll_fn(|cx| {
        let mut done = Vec::new();
        pending.retain_mut(|h| match Pin::new(h).poll(cx) {
            Poll::Ready(r) => {
                done.push(r.unwrap());
                false
            }
            Poll::Pending => true,
        });
        if done.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(done)
        }
    }))
    .await
}

async fn w3(n: usize, seed: u32, out: &mut Out) {
    let d = durations_us(n, 50_000, seed);
    let t0 = Instant::now();
    let mut pending: Vec<JoinHandle<u32>> = d.iter().map(|&us| tokio::spawn(sleeper(us))).collect();
    let (mut iters, mut scanned, mut ndone) = (0usize, 0usize, 0usize);
    while !pending.is_empty() {
        scanned += pending.len();
        ndone += wait_first(&mut pending).await.len();
        iters += 1;
    }
    let dt = ms(t0.elapsed());
    check(ndone == n, "W3 completions");
    out.num("value", dt).int("iters", iters).int("scanned", scanned);
}

async fn w3s(n: usize, seed: u32, out: &mut Out) {
    let order = permutation(n, seed);
    let (mut gates, receivers): (
        Vec<Option<oneshot::Sender<usize>>>,
        Vec<oneshot::Receiver<usize>>,
    ) = (0..n)
        .map(|_| {
            let (tx, rx) = oneshot::channel();
            (Some(tx), rx)
        })
        .unzip();
    let (t0, c0) = (Instant::now(), cpu_ns());
    let mut pending: Vec<JoinHandle<usize>> =
        receivers.into_iter().map(|rx| tokio::spawn(async move { rx.await.unwrap() })).collect();
    tokio::task::yield_now().await; // every task has started and awaits its gate
    let mut scanned = 0usize;
    for &g in &order {
        check(gates[g].take().unwrap().send(g).is_ok(), "W3s gate");
        scanned += pending.len();
        let done = wait_first(&mut pending).await;
        check(done.len() == 1 && done[0] == g, "W3s one completion per wait");
    }
    let (dt, cpu) = (ms(t0.elapsed()), (cpu_ns() - c0) as f64 / 1e6);
    check(pending.is_empty(), "W3s drained");
    out.num("value", dt).num("cpu_ms", cpu).int("iters", n).int("scanned", scanned);
}

// ---------------------------------------------------------------------------------- W4, W5
static STARTED: AtomicUsize = AtomicUsize::new(0);

async fn counted_sleep(d: Duration) {
    let sleep = tokio::time::sleep(d); // the timer exists from here
    STARTED.fetch_add(1, Ordering::Relaxed);
    sleep.await;
}

async fn all_started(n: usize) {
    while STARTED.load(Ordering::Relaxed) < n {
        tokio::task::yield_now().await;
    }
}

/// "Cancel the gather": the tasks live in a JoinSet; abort_all() cancels each of them and
/// the set is drained until every task has reported its cancellation.
async fn w4(n: usize, out: &mut Out) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        set.spawn(counted_sleep(Duration::from_secs(3600)));
    }
    all_started(n).await;
    let t0 = Instant::now();
    set.abort_all();
    let mut cancelled = 0usize;
    while let Some(r) = set.join_next().await {
        cancelled += matches!(r, Err(e) if e.is_cancelled()) as usize;
    }
    let dt = t0.elapsed();
    check(cancelled == n, "W4 every task cancelled");
    out.num("value", dt.as_nanos() as f64 / n as f64).num("cancel_ms", ms(dt));
}

async fn w5(n: usize, out: &mut Out) {
    let rss0 = current_rss_bytes();
    let t0 = Instant::now();
    let handles: Vec<JoinHandle<()>> =
        (0..n).map(|_| tokio::spawn(counted_sleep(Duration::from_secs(1)))).collect();
    all_started(n).await;
    let spawn_ms = ms(t0.elapsed());
    let rss1 = current_rss_bytes();
    for h in handles {
        h.await.unwrap();
    }
    out.num("value", (rss1 - rss0) as f64 / n as f64)
        .num("rss_during_mib", rss1 as f64 / 1048576.0)
        .num("rss_base_mib", rss0 as f64 / 1048576.0)
        .num("spawn_ms", spawn_ms)
        .num("total_ms", ms(t0.elapsed()));
}

// ---------------------------------------------------------------------------------- W6
/// Queue(maxsize=1) = a bounded mpsc channel of capacity 1.
async fn w6q(n: usize, out: &mut Out) {
    let rounds = n / 2;
    let (ab_tx, mut ab_rx) = mpsc::channel::<usize>(1);
    let (ba_tx, mut ba_rx) = mpsc::channel::<usize>(1);
    let t0 = Instant::now();
    let ping = tokio::spawn(async move {
        let mut v = 0;
        for i in 0..rounds {
            ab_tx.send(i).await.unwrap();
            v = ba_rx.recv().await.unwrap();
        }
        v
    });
    let pong = tokio::spawn(async move {
        for _ in 0..rounds {
            let v = ab_rx.recv().await.unwrap();
            ba_tx.send(v).await.unwrap();
        }
    });
    let v = ping.await.unwrap();
    pong.await.unwrap();
    let dt = t0.elapsed();
    check(v == rounds - 1, "W6q last token");
    out.num("value", dt.as_nanos() as f64 / (2 * rounds) as f64);
}

/// Event pair = Notify pair: notify_one() leaves a permit when nobody waits yet, and
/// taking it is the clear().
async fn w6e(n: usize, out: &mut Out) {
    let rounds = n / 2;
    let (ea, eb) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let t0 = Instant::now();
    let ping = tokio::spawn({
        let (ea, eb) = (ea.clone(), eb.clone());
        async move {
            let mut count = 0usize;
            for _ in 0..rounds {
                eb.notify_one();
                ea.notified().await;
                count += 1;
            }
            count
        }
    });
    let pong = tokio::spawn(async move {
        for _ in 0..rounds {
            eb.notified().await;
            ea.notify_one();
        }
    });
    let count = ping.await.unwrap();
    pong.await.unwrap();
    let dt = t0.elapsed();
    check(count == rounds, "W6e rounds");
    out.num("value", dt.as_nanos() as f64 / (2 * rounds) as f64);
}

// ---------------------------------------------------------------------------------- main
fn main() {
    let mut args = std::env::args().skip(1);
    let (mut seed, mut variant, mut pos) = (42u32, String::new(), Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(42),
            "--variant" => variant = args.next().unwrap_or_default(),
            _ => pos.push(a),
        }
    }
    if pos.len() != 2 {
        eprintln!("usage: peer_tokio WORKLOAD N [--seed S] [--variant event|queue]");
        std::process::exit(2);
    }
    let n = pos[1].parse::<f64>().unwrap_or(0.0) as usize;
    let name = match pos[0].as_str() {
        "W6" if variant == "queue" => "W6q",
        "W6" => "W6e",
        w => w,
    }
    .to_string();
    let metric = match name.as_str() {
        "W1" | "W4" => "ns_per_task",
        "W2" => "ms_beyond_10ms",
        "W3" | "W3s" => "total_ms",
        "W5" => "bytes_per_task",
        "W6q" | "W6e" => "ns_per_handoff",
        _ => "",
    };
    if metric.is_empty() || n < 2 {
        eprintln!("unknown workload {} or bad N", pos[0]);
        std::process::exit(2);
    }
    let mut out = Out::default();
    out.str("workload", &name)
        .int("n", n)
        .str("impl", "Tokio (current_thread runtime)")
        .str("metric", metric);
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        match name.as_str() {
            "W1" => w1(n, &mut out).await,
            "W2" => w2(n, seed, &mut out).await,
            "W3" => w3(n, seed, &mut out).await,
            "W3s" => w3s(n, seed, &mut out).await,
            "W4" => w4(n, &mut out).await,
            "W5" => w5(n, &mut out).await,
            "W6q" => w6q(n, &mut out).await,
            _ => w6e(n, &mut out).await,
        }
    });
    if name.starts_with("W6") {
        out.str("variant", if name == "W6q" { "queue" } else { "event" });
    }
    out.num("peak_rss_mib", peak_rss_mib());
    println!("{}", out.line());
}
