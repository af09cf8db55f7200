// Node.js peer of the workload programs (bench/w*.cpp, bench/python/w*.py): async
// functions, Promise.all, timers/promises, AbortController, Promise.race.
//
//   usage: node peer.mjs WORKLOAD N [--seed S] [--variant event|queue]
//
// WORKLOAD is W1 W2 W3 W3s W4 W5 W6 (W6q / W6e also accepted). Prints one JSON line of
// the same shape as bench/python/common.py. No packages beyond Node's own modules.
import { readFileSync } from "node:fs";
import { setTimeout as sleepMs } from "node:timers/promises";

const nowNs = () => process.hrtime.bigint();
const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

function check(ok, what) {
  if (!ok) {
    process.stderr.write(`check failed: ${what}\n`);
    process.exit(1);
  }
}

// mulberry32: the suite's PRNG (bench/common.hpp), in 32-bit integer arithmetic.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1) >>> 0;
    t = ((t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t) >>> 0;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
const below = (g, bound) => Number((BigInt(g()) * BigInt(bound)) >> 32n);

function durationsUs(n, maxUs, seed) {
  const g = mulberry32(seed);
  const d = new Array(n);
  for (let i = 0; i < n; i++) d[i] = below(g, maxUs);
  return d;
}

function permutation(n, seed) {
  const g = mulberry32(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = below(g, i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function currentRssBytes() {
  const f = readFileSync("/proc/self/statm", "utf8").split(" ");
  return Number(f[1]) * 4096;
}

const sleepUs = (us) => sleepMs(us / 1000); // Node's timers have 1 ms resolution

// ------------------------------------------------------------------------------ W1
async function trivial(i) {
  return i;
}

async function w1(n, seed, out) {
  const t0 = nowNs();
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) tasks[i] = trivial(i);
  const res = await Promise.all(tasks);
  const ms = msSince(t0);
  let sum = 0;
  for (const v of res) sum += v;
  check(res.length === n && sum === (n * (n - 1)) / 2, "W1 sum");
  out.value = (ms * 1e6) / n;
  out.total_ms = ms;
}

// ------------------------------------------------------------------------------ W2
async function sleeper(us) {
  await sleepUs(us);
  return us;
}

async function w2(n, seed, out) {
  const d = durationsUs(n, 10000, seed);
  const a = Math.floor(n / 3);
  const b = Math.floor((2 * n) / 3);
  const t0 = nowNs();
  const res = await Promise.all(
    [d.slice(0, a), d.slice(a, b), d.slice(b)].map((g) => Promise.all(g.map(sleeper))),
  );
  const ms = msSince(t0);
  const flat = res.flat();
  check(flat.length === n && flat.every((v, i) => v === d[i]), "W2 results");
  out.value = ms - 10;
  out.wall_ms = ms;
  out.max_sleep_ms = Math.max(...d) / 1e3;
}

// ------------------------------------------------------------------------------ W3, W3s
// wait(pending, FIRST_COMPLETED) in Node: Promise.race over the pending tasks' promises,
// then a sweep of pending for the ones whose done flag is set.
function track(promise) {
  const t = { done: false, value: undefined, promise: null };
  t.promise = promise.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}

async function waitFirst(pending) {
  await Promise.race(pending.map((t) => t.promise));
  const done = [];
  const still = [];
  for (const t of pending) (t.done ? done : still).push(t);
  return [done, still];
}

async function w3(n, seed, out) {
  const d = durationsUs(n, 50000, seed);
  const t0 = nowNs();
  let pending = d.map((us) => track(sleeper(us)));
  let iters = 0;
  let scanned = 0;
  let ndone = 0;
  while (pending.length) {
    scanned += pending.length;
    let done;
    [done, pending] = await waitFirst(pending);
    ndone += done.length;
    iters++;
  }
  out.value = msSince(t0);
  check(ndone === n, "W3 completions");
  out.iters = iters;
  out.scanned = scanned;
}

async function w3s(n, seed, out) {
  const order = permutation(n, seed);
  const open = new Array(n);
  const gates = Array.from({ length: n }, (_, i) => new Promise((res) => (open[i] = res)));
  const gated = async (i) => await gates[i];
  const t0 = nowNs();
  const c0 = cpuNs();
  let pending = Array.from({ length: n }, (_, i) => track(gated(i)));
  await null; // every task has started and awaits its gate
  let scanned = 0;
  for (const g of order) {
    open[g](g);
    scanned += pending.length;
    let done;
    [done, pending] = await waitFirst(pending);
    check(done.length === 1 && done[0].value === g, "W3s one completion per wait");
  }
  out.value = msSince(t0);
  out.cpu_ms = (cpuNs() - c0) / 1e6;
  check(pending.length === 0, "W3s drained");
  out.iters = n;
  out.scanned = scanned;
}

// ------------------------------------------------------------------------------ W4
// "Cancel the gather" = cancel each child, as gather.cancel() does: one AbortController
// per task (listeners on a single shared AbortSignal cost O(N) each to add). abort()
// rejects the task's timer promise with an AbortError; allSettled resolves once every
// task has.
async function w4(n, seed, out) {
  const acs = new Array(n);
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) {
    acs[i] = new AbortController();
    tasks[i] = sleepMs(3600e3, undefined, { signal: acs[i].signal });
  }
  const all = Promise.allSettled(tasks);
  await null;
  const t0 = nowNs();
  for (const ac of acs) ac.abort();
  const res = await all;
  const ms = msSince(t0);
  check(res.every((r) => r.status === "rejected" && r.reason.name === "AbortError"), "W4 all cancelled");
  out.value = (ms * 1e6) / n;
  out.cancel_ms = ms;
}

// ------------------------------------------------------------------------------ W5
async function sleep1s() {
  await sleepMs(1000);
}

async function w5(n, seed, out) {
  const rss0 = currentRssBytes();
  const t0 = nowNs();
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) tasks[i] = sleep1s(); // runs up to its first await
  const all = Promise.all(tasks);
  await null;
  const spawnMs = msSince(t0);
  const rss1 = currentRssBytes();
  await all;
  out.value = (rss1 - rss0) / n;
  out.rss_during_mib = rss1 / 2 ** 20;
  out.rss_base_mib = rss0 / 2 ** 20;
  out.spawn_ms = spawnMs;
  out.total_ms = msSince(t0);
}

// ------------------------------------------------------------------------------ W6
// Node has neither asyncio.Queue nor asyncio.Event: the usual promise-based versions.
class Queue1 {
  #items = [];
  #getters = [];
  #putters = [];
  async put(v) {
    while (this.#items.length >= 1) await new Promise((res) => this.#putters.push(res));
    this.#items.push(v);
    this.#getters.shift()?.();
  }
  async get() {
    while (this.#items.length === 0) await new Promise((res) => this.#getters.push(res));
    const v = this.#items.shift();
    this.#putters.shift()?.();
    return v;
  }
}

class Event {
  #flag = false;
  #waiters = [];
  set() {
    if (this.#flag) return;
    this.#flag = true;
    const w = this.#waiters;
    this.#waiters = [];
    for (const res of w) res();
  }
  clear() {
    this.#flag = false;
  }
  async wait() {
    if (!this.#flag) await new Promise((res) => this.#waiters.push(res));
  }
}

async function w6q(n, seed, out) {
  const rounds = Math.floor(n / 2);
  const ab = new Queue1();
  const ba = new Queue1();
  const ping = async () => {
    let v;
    for (let i = 0; i < rounds; i++) {
      await ab.put(i);
      v = await ba.get();
    }
    return v;
  };
  const pong = async () => {
    for (let i = 0; i < rounds; i++) await ba.put(await ab.get());
  };
  const t0 = nowNs();
  const [v] = await Promise.all([ping(), pong()]);
  out.value = (msSince(t0) * 1e6) / (2 * rounds);
  check(v === rounds - 1, "W6q last token");
}

async function w6e(n, seed, out) {
  const rounds = Math.floor(n / 2);
  const ea = new Event();
  const eb = new Event();
  let count = 0;
  const ping = async () => {
    for (let i = 0; i < rounds; i++) {
      eb.set();
      await ea.wait();
      ea.clear();
      count++;
    }
  };
  const pong = async () => {
    for (let i = 0; i < rounds; i++) {
      await eb.wait();
      eb.clear();
      ea.set();
    }
  };
  const t0 = nowNs();
  await Promise.all([ping(), pong()]);
  out.value = (msSince(t0) * 1e6) / (2 * rounds);
  check(count === rounds, "W6e rounds");
}

// ------------------------------------------------------------------------------ main
const METRIC = {
  W1: "ns_per_task", W2: "ms_beyond_10ms", W3: "total_ms", W3s: "total_ms",
  W4: "ns_per_task", W5: "bytes_per_task", W6: "ns_per_handoff",
};
const BODY = { W1: w1, W2: w2, W3: w3, W3s: w3s, W4: w4, W5: w5, W6q: w6q, W6e: w6e };

async function main() {
  const args = process.argv.slice(2);
  let seed = 42;
  let variant = "";
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--seed" && i + 1 < args.length) seed = Number(args[++i]);
    else if (args[i] === "--variant" && i + 1 < args.length) variant = args[++i];
    else pos.push(args[i]);
  }
  if (pos.length !== 2) {
    process.stderr.write("usage: node peer.mjs WORKLOAD N [--seed S] [--variant event|queue]\n");
    process.exit(2);
  }
  let wl = pos[0];
  const n = Math.floor(Number(pos[1]));
  if (wl === "W6q" || wl === "W6e") [wl, variant] = ["W6", wl === "W6q" ? "queue" : "event"];
  if (!(wl in METRIC) || !(n >= 2)) {
    process.stderr.write(`unknown workload ${wl} or bad N\n`);
    process.exit(2);
  }
  let name = wl;
  if (wl === "W6") {
    variant = variant === "queue" ? "queue" : "event";
    name = variant === "queue" ? "W6q" : "W6e";
  }
  const out = { workload: name, n, impl: `Node ${process.version}`, metric: METRIC[wl] };
  await BODY[name](n, seed, out);
  if (wl === "W6") out.variant = variant;
  out.peak_rss_mib = process.resourceUsage().maxRSS / 1024; // KiB
  console.log(JSON.stringify(out));
}

main();
