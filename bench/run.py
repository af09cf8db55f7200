#!/usr/bin/env python3
"""Builds the C++ workload programs, runs them, their CPython 3.13 twins and the peers
(uvloop, Node.js, Boost.Asio, Go, Tokio), and prints one table: each workload's median
figure per system and the ratio to ours.

    bench/run.py               # full run: 5 rounds, every N (roughly 10-20 min)
    bench/run.py --quick       # 3 rounds (peers 2), smaller N where noted (under 2 min once built)
    bench/run.py --workloads W1,W3s,core --reps 7
    bench/run.py --systems ours,cpython,tokio   # some columns only
    bench/run.py --list        # the commands a run would execute

Standard-library Python 3 only; run it with any python3. The C++ side is built with
CMake (Release, -O2) in build-bench/ at the repository root. CPython 3.13 is found as
--python, $ASYNCIO_BENCH_PYTHON, python3.13 on PATH, or pyenv's 3.13.

Every run is a fresh process printing one JSON line ({"workload", "n", "metric",
"value", ...}); timing is taken inside the program. Inside each round the systems run
back to back in an order that rotates from round to round, so drift on a shared machine
spreads evenly; the table shows medians over rounds and the ratio of the medians
(other system / ours: above 1 means we are faster or smaller).

Peers (bench/peers/): uvloop (the CPython twins under uvloop, Debian's python3), Node.js,
Boost.Asio 1.81, Go and Tokio (current_thread). Each is a Runner subclass in RUNNERS: its
prepare() installs the Debian packages it lacks (apt-get, only as root) and builds into
build-bench/peers/; a peer that cannot be installed or built is reported and shows "—".
`--systems ours,cpython,go` picks the columns. Adding a peer: subclass Runner (prepare,
workload command, optional core command) and add it to RUNNERS; it becomes one more
column and one more ratio column. A peer's program takes `WORKLOAD N [--seed S]
[--variant V]` and prints the same JSON shape as bench/python/*.py.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build-bench")


# ----------------------------------------------------------------------------- workloads
class Workload:
    """One program and the N values it runs at. `rows` are the figures it reports
    (JSON field, row label); `caps` limits N per runner key (full, quick) where a system
    would take minutes (W3s is quadratic for CPython and every peer); the key "peer" is
    the default for the peers (every runner but ours and CPython). `quick_peer_reps`
    limits the rounds the peers run in quick mode (to keep --quick under 2 minutes: they
    take part in the first two rounds only)."""

    def __init__(self, key, program, label, unit, ns, quick_ns, *, variant=None,
                 timeout=300, extra_rows=(), caps=None, exponent=False, quick_peer_reps=2):
        self.key, self.program, self.variant = key, program, variant
        self.quick_peer_reps = quick_peer_reps
        self.rows = [("value", f"{label}, {unit}")] + list(extra_rows)
        self.ns, self.quick_ns = ns, quick_ns
        self.timeout = timeout
        self.caps = caps or {}
        self.exponent = exponent

    def n_values(self, quick):
        return self.quick_ns if quick else self.ns

    def allows(self, runner_key, n, quick):
        cap = self.caps.get(runner_key)
        if cap is None and runner_key not in ("ours", "cpython"):
            cap = self.caps.get("peer")
        return cap is None or n <= cap[1 if quick else 0]

    def runs_in_round(self, runner_key, rep, quick):
        if not quick or self.quick_peer_reps is None or runner_key in ("ours", "cpython"):
            return True
        return rep < self.quick_peer_reps


WORKLOADS = [
    Workload("W1", "w1", "W1 gather of N trivial coroutines", "ns/task",
             [100_000, 1_000_000], [100_000], timeout=600,
             extra_rows=[("peak_rss_mib", "W1 peak RSS, MiB")]),
    Workload("W2", "w2", "W2 gather(3 gathers) of sleeps in [0,10ms)", "ms beyond 10 ms",
             [100_000], [50_000], timeout=600,
             extra_rows=[("peak_rss_mib", "W2 peak RSS, MiB")]),
    # Node resolves one Promise.race per timer (each timer callback is its own macrotask),
    # so its W3 is as quadratic as W3s and keeps every race's reactions alive (0.7 GB at
    # N = 4,000). Quick mode: peers at the two smaller N only.
    Workload("W3", "w3", "W3 wait(FIRST_COMPLETED) drain", "total ms",
             [1_000, 2_000, 4_000, 8_000, 16_000], [1_000, 4_000, 16_000],
             caps={"node": (4_000, 1_000), "peer": (16_000, 4_000)}),
    # Quadratic everywhere but ours; Tokio's polls are cheap enough to go further.
    Workload("W3s", "w3s", "W3s strict drain (1 completion per wait)", "total ms",
             [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
             [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
             timeout=900, caps={"cpython": (8_000, 2_000), "node": (4_000, 2_000),
                                "tokio": (32_000, 4_000), "peer": (8_000, 2_000)},
             extra_rows=[("cpu_ms", "W3s strict drain, CPU ms")], exponent=True),
    Workload("W4", "w4", "W4 cancel a gather of sleeping tasks", "ns/task",
             [100_000], [50_000], timeout=600),
    # Every run sleeps 1 s; bytes per task hardly vary: peers run it once in quick mode.
    Workload("W5", "w5", "W5 tasks suspended in sleep", "bytes RSS/task",
             [1_000_000], [100_000], timeout=900, quick_peer_reps=1),
    Workload("W6e", "w6", "W6e Event ping-pong", "ns/hand-off",
             [1_000_000], [100_000], variant="event", timeout=600),
    Workload("W6q", "w6", "W6q Queue(1) ping-pong", "ns/hand-off",
             [1_000_000], [100_000], variant="queue", timeout=600),
]

# The micro-benchmark figures both sides report (bench/micro.cpp, bench/python/core.py).
CORE = [
    ("task_create_run_await", "BM_TaskCreateRunAwait", "core: create_task + run + await, ns"),
    ("sleep0_round_trip", "BM_Sleep0RoundTrip", "core: sleep(0) round trip, ns"),
    ("timer_schedule_fire", "BM_TimerScheduleFire", "core: timer schedule + fire, ns"),
]
CORE_TIMEOUT = 300


# ------------------------------------------------------------------------------- runners
class Runner:
    key = ""
    label = ""
    short = ""  # name in the ratio columns' headers (default: label)
    is_ours = False

    def prepare(self, opts):
        """Builds or locates the system; returns None, or why it is unavailable."""
        return None

    def workload_cmd(self, wl, n):
        """argv for one run, or None when this system has no such program."""
        return None

    def core_cmd(self, quick):
        return None

    def parse_core(self, stdout):
        """{core figure name: ns} from the core command's output."""
        return {}


class OursRunner(Runner):
    key = "ours"
    label = "asyncio-cpp"
    is_ours = True

    def __init__(self):
        self.bindir = os.path.join(BUILD, "bench")
        self.broken = set()  # targets that failed to build this time

    def prepare(self, opts):
        if opts.no_build:
            return None if os.path.isdir(self.bindir) else "not built (--no-build)"
        return self.build()

    def build(self):
        fresh = not os.path.exists(os.path.join(BUILD, "CMakeCache.txt"))
        cfg = ["cmake", "-S", ROOT, "-B", BUILD,
               "-DCMAKE_BUILD_TYPE=Release",
               # -g only adds line tables (for callgrind); code is the same as plain -O2.
               "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -g -DNDEBUG",
               "-DBUILD_TESTING=OFF", "-DASYNCIO_BUILD_EXAMPLES=OFF",
               "-DASYNCIO_BUILD_BENCH=ON"]
        if fresh and shutil.which("ninja"):
            cfg[1:1] = ["-G", "Ninja"]
        log(f"configure: {' '.join(cfg)}")
        r = subprocess.run(cfg, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            log(r.stdout[-3000:])
            return "cmake configure failed"
        for line in r.stdout.splitlines():
            if "Google Benchmark not found" in line:
                log(line.strip())
        keep_going = ["-k", "0"] if self.generator() == "Ninja" else ["-k"]
        t0 = time.time()
        r = subprocess.run(["cmake", "--build", BUILD, "-j", "2", "--"] + keep_going,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log(f"build: {'ok' if r.returncode == 0 else 'FAILED'} in {time.time() - t0:.0f}s")
        if r.returncode != 0:
            log(r.stdout[-4000:])
            # A failed target keeps its old binary: find which ones so none is run stale.
            for target in self.targets():
                rt = subprocess.run(["cmake", "--build", BUILD, "--target", target],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if rt.returncode != 0:
                    self.broken.add(target)
            log(f"targets that failed to build (reported as unavailable): {sorted(self.broken)}")
        return None

    def generator(self):
        try:
            with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
                for line in f:
                    if line.startswith("CMAKE_GENERATOR:"):
                        return line.split("=", 1)[1].strip()
        except OSError:
            pass
        return ""

    def targets(self):
        return sorted({"bench_" + w.program for w in WORKLOADS} | {"bench_micro"})

    def binary(self, target):
        path = os.path.join(self.bindir, target)
        return path if target not in self.broken and os.access(path, os.X_OK) else None

    def workload_cmd(self, wl, n):
        exe = self.binary("bench_" + wl.program)
        if not exe:
            return None
        return [exe, str(n)] + (["--variant", wl.variant] if wl.variant else [])

    def core_cmd(self, quick):
        exe = self.binary("bench_micro")
        if not exe:
            return None
        names = "|".join(bm for _, bm, _ in CORE)
        return [exe, f"--benchmark_filter=^({names})$", "--benchmark_format=json",
                f"--benchmark_min_time={0.1 if quick else 0.5}"]

    def parse_core(self, stdout):
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
        by_bm = {}
        for b in json.loads(stdout).get("benchmarks", []):
            by_bm[b["name"]] = b["real_time"] * scale[b.get("time_unit", "ns")]
        return {name: by_bm[bm] for name, bm, _ in CORE if bm in by_bm}


class CPythonRunner(Runner):
    key = "cpython"
    short = "CPython"

    def __init__(self):
        self.python = None
        self.label = "CPython 3.13"
        self.pydir = os.path.join(HERE, "python")

    def prepare(self, opts):
        self.python, version = find_python313(opts.python)
        if not self.python:
            return "no CPython 3.13 found (use --python or $ASYNCIO_BENCH_PYTHON)"
        self.label = f"CPython {version}"
        if not version.startswith("3.13"):
            log(f"warning: {self.python} is {version}, not 3.13")
        return None

    def workload_cmd(self, wl, n):
        cmd = [self.python, os.path.join(self.pydir, wl.program + ".py"), str(n)]
        return cmd + (["--variant", wl.variant] if wl.variant else [])

    def core_cmd(self, quick):
        return [self.python, os.path.join(self.pydir, "core.py")] + (["--quick"] if quick else [])

    def parse_core(self, stdout):
        return json.loads(stdout.strip().splitlines()[-1])["figures"]


def find_python313(explicit):
    candidates = [explicit, os.environ.get("ASYNCIO_BENCH_PYTHON"), shutil.which("python3.13")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    versions = os.path.join(pyenv_root, "versions")
    if os.path.isdir(versions):
        for v in sorted(os.listdir(versions), reverse=True):
            if v.startswith("3.13"):
                candidates.append(os.path.join(versions, v, "bin", "python3"))
    for c in candidates:
        if not c:
            continue
        try:
            out = subprocess.run([c, "-c", "import sys; print(sys.executable, sys.version.split()[0])"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip():
            exe, version = out.stdout.split()
            if version.startswith("3.13") or c == explicit:
                return exe, version
    return None, None


# --------------------------------------------------------------------------------- peers
PEERS = os.path.join(HERE, "peers")
PEER_BUILD = os.path.join(BUILD, "peers")


def missing_debian_packages(packages):
    """The packages of the list dpkg does not report as installed."""
    missing = []
    for pkg in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        if r.returncode != 0 or "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def install_debian_packages(packages):
    """Installs what is missing of `packages` with apt-get when running as root; returns
    None or why it could not."""
    if not packages:
        return None
    if not shutil.which("dpkg-query"):
        return f"not a Debian system: cannot check for {' '.join(packages)}"
    missing = missing_debian_packages(packages)
    if not missing:
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"missing Debian packages {' '.join(missing)} (run as root to install them)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    for attempt in (1, 2):
        log(f"installing: {' '.join(cmd)}")
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        if r.returncode == 0:
            return None
        log(r.stdout[-1500:])
        if attempt == 1:  # stale or empty package lists: refresh once and retry
            log("running: apt-get update")
            subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
    return f"apt-get install {' '.join(missing)} failed"


def run_build(argv, cwd, env=None, what=""):
    """Runs one build command; returns None or a short reason."""
    log(f"build {what}: {' '.join(argv)}")
    t0 = time.time()
    try:
        r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=dict(os.environ, **(env or {})), timeout=1200)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"build failed: {e}"
    if r.returncode != 0:
        log(r.stdout[-3000:])
        return f"build failed ({argv[0]} exit {r.returncode})"
    log(f"build {what}: ok in {time.time() - t0:.0f}s")
    return None


def newer(target, sources):
    """True when `target` is missing or older than any of `sources`."""
    try:
        t = os.path.getmtime(target)
    except OSError:
        return True
    return any(os.path.getmtime(src) > t for src in sources)


def tool_version(argv, pattern_index=0):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=30).stdout.split()
        return out[pattern_index] if len(out) > pattern_index else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


class PeerRunner(Runner):
    """A peer: one program for every workload, run as `argv WORKLOAD N [--variant V]`."""
    packages = ()  # Debian packages it needs

    def __init__(self):
        self.argv = None

    def prepare(self, opts):
        why_packages = None
        if not opts.list and not opts.no_build:
            why_packages = install_debian_packages(self.packages)
        why = self.setup(opts)
        if why and why_packages:
            return f"{why_packages}; {why}"
        if why_packages:  # the tools came from elsewhere
            log(f"{self.key}: {why_packages}, but it builds and runs")
        return why

    def setup(self, opts):
        """Builds (unless --no-build / --list) and sets self.argv; None or why not."""
        raise NotImplementedError

    def workload_cmd(self, wl, n):
        if not self.argv:
            return None
        return self.argv + [wl.key, str(n)] + (["--variant", wl.variant] if wl.variant else [])


class UvloopRunner(PeerRunner):
    """The CPython twins (bench/python/w*.py) unchanged, under uvloop's loop policy.
    Debian's python3-uvloop is built for Debian's /usr/bin/python3 (3.11 on Debian 12),
    so this column is CPython 3.11 + uvloop, not 3.13."""
    key = "uvloop"
    short = "uvloop"
    label = "uvloop"
    packages = ("python3-uvloop",)

    def setup(self, opts):
        python = os.environ.get("ASYNCIO_BENCH_UVLOOP_PYTHON", "/usr/bin/python3")
        r = subprocess.run([python, "-c", "import sys, uvloop; "
                            "print(uvloop.__version__, sys.version.split()[0])"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return f"{python} cannot import uvloop"
        uv, py = r.stdout.split()
        self.label = f"uvloop {uv} (Py {py})"
        self.python = python
        self.argv = [python, os.path.join(PEERS, "uvloop", "run_twin.py")]
        return None

    def workload_cmd(self, wl, n):
        return self.argv + [wl.program, str(n)] + (["--variant", wl.variant] if wl.variant else [])


class NodeRunner(PeerRunner):
    key = "node"
    short = "Node"
    label = "Node"

    def setup(self, opts):
        node = shutil.which("node") or shutil.which("nodejs")
        if not node:
            return "no node on PATH (install Node.js >= 18)"
        version = tool_version([node, "--version"]).lstrip("v")
        if not version or int(version.split(".")[0]) < 18:
            return f"node {version or '?'} is too old (need >= 18)"
        self.label = f"Node {version}"
        self.argv = [node, os.path.join(PEERS, "node", "peer.mjs")]
        return None


class AsioRunner(PeerRunner):
    key = "asio"
    short = "Asio"
    label = "Boost.Asio"
    packages = ("libboost1.81-dev",)

    def setup(self, opts):
        src = os.path.join(PEERS, "asio", "peer.cpp")
        exe = os.path.join(PEER_BUILD, "asio", "peer")
        if not (opts.list or opts.no_build) and newer(exe, [src, os.path.join(HERE, "common.hpp")]):
            cxx = os.environ.get("CXX", "g++")
            os.makedirs(os.path.dirname(exe), exist_ok=True)
            why = run_build([cxx, "-O2", "-std=c++20", "-pthread", "-I", HERE, src, "-o", exe],
                            HERE, what="asio")
            if why:
                return why
        if not os.access(exe, os.X_OK):
            return f"not built ({exe})"
        self.label = "Boost.Asio " + self.boost_version()
        self.argv = [exe]
        return None

    @staticmethod
    def boost_version():
        try:
            with open("/usr/include/boost/version.hpp") as f:
                for line in f:
                    if line.startswith("#define BOOST_LIB_VERSION"):
                        return line.split('"')[1].replace("_", ".")
        except (OSError, IndexError):
            pass
        return ""


class GoRunner(PeerRunner):
    """Go as shipped: GOMAXPROCS defaults to the number of CPUs (2 here)."""
    key = "go"
    short = "Go"
    label = "Go"
    packages = ("golang-go",)

    def setup(self, opts):
        go = shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)
        src = os.path.join(PEERS, "go", "peer.go")
        exe = os.path.join(PEER_BUILD, "go", "peer")
        if not (opts.list or opts.no_build) and newer(exe, [src]):
            if not go:
                return "no go toolchain (golang-go)"
            os.makedirs(os.path.dirname(exe), exist_ok=True)
            # No modules, standard library only: GOPATH mode, nothing fetched.
            why = run_build([go, "build", "-o", exe, src], os.path.dirname(src), what="go",
                            env={"GO111MODULE": "off", "GOFLAGS": "", "GOPROXY": "off",
                                 "GOCACHE": os.path.join(PEER_BUILD, "go", "cache")})
            if why:
                return why
        if not os.access(exe, os.X_OK):
            return f"not built ({exe})"
        version = tool_version([go, "version"], 2).removeprefix("go") if go else ""
        procs = os.environ.get("GOMAXPROCS") or str(os.cpu_count())
        self.label = f"Go {version} ({procs} thr)".replace("Go  ", "Go ")
        self.argv = [exe]
        return None


class TokioRunner(PeerRunner):
    """Tokio's current_thread runtime, built offline against the crate sources Debian
    installs (/usr/share/cargo/registry, see bench/peers/tokio/.cargo/config.toml)."""
    key = "tokio"
    short = "Tokio"
    label = "Tokio"
    packages = ("librust-tokio-dev", "librust-libc-dev")

    def setup(self, opts):
        proj = os.path.join(PEERS, "tokio")
        target = os.path.join(PEER_BUILD, "tokio")
        exe = os.path.join(target, "release", "peer_tokio")
        if not (opts.list or opts.no_build):
            cargo = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
            if not os.access(cargo, os.X_OK):
                return "no cargo (install a Rust toolchain)"
            why = run_build([cargo, "build", "--release", "--offline", "-j", "2",
                             "--target-dir", target], proj, what="tokio")
            if why:
                return why
        if not os.access(exe, os.X_OK):
            return f"not built ({exe})"
        self.label = f"Tokio {self.locked_version(proj)} (1 thr)".replace("Tokio  ", "Tokio ")
        self.argv = [exe]
        return None

    @staticmethod
    def locked_version(proj):
        try:
            with open(os.path.join(proj, "Cargo.lock")) as f:
                text = f.read()
            block = text.split('name = "tokio"\n', 1)[1]
            return block.split('version = "', 1)[1].split('"', 1)[0]
        except (OSError, IndexError):
            return ""


# Column order of the table. Peers go after CPython.
RUNNERS = {r.key: r for r in (OursRunner(), CPythonRunner(), UvloopRunner(), NodeRunner(),
                              AsioRunner(), GoRunner(), TokioRunner())}


# ------------------------------------------------------------------------------- running
def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_process(argv, timeout):
    """(status, stdout, stderr tail, seconds)."""
    t0 = time.time()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")  # no __pycache__ in bench/python
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=HERE, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        status = "ok" if p.returncode == 0 else f"exit {p.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        status = f"timeout {timeout}s"
    return status, out, (err or "").strip().splitlines()[-3:], time.time() - t0


def last_json(out):
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class Results:
    """values[(row id, runner key)] = [one figure per successful run]."""

    def __init__(self):
        self.values = {}
        self.failures = {}
        self.notes = {}

    def add(self, row, runner, value):
        self.values.setdefault((row, runner), []).append(value)

    def fail(self, row, runner, why):
        self.failures.setdefault((row, runner), []).append(why)

    def median(self, row, runner):
        xs = self.values.get((row, runner))
        return statistics.median(xs) if xs else None


def plan(opts, workloads, core):
    """The cells of one round: (kind, workload or None, n)."""
    cells = [("wl", wl, n) for wl in workloads for n in wl.n_values(opts.quick)]
    if core:
        cells.append(("core", None, 0))
    return cells


def run_all(opts, runners, workloads, core, raw):
    res = Results()
    cells = plan(opts, workloads, core)
    for rep in range(opts.reps):
        for i, (kind, wl, n) in enumerate(cells):
            k = (rep + i) % len(runners)  # each cell's order rotates from round to round
            order = runners[k:] + runners[:k]
            for r in order:
                if kind == "wl":
                    if not (wl.allows(r.key, n, opts.quick)
                            and wl.runs_in_round(r.key, rep, opts.quick)):
                        continue
                    argv, timeout, name = r.workload_cmd(wl, n), wl.timeout, f"{wl.key} N={n}"
                else:
                    argv, timeout, name = r.core_cmd(opts.quick), CORE_TIMEOUT, "core"
                if argv is None:
                    continue
                status, out, err, secs = run_process(argv, timeout)
                rec = {"rep": rep, "runner": r.key, "cell": name, "status": status,
                       "seconds": round(secs, 3), "cmd": " ".join(argv)}
                shown = ""
                if status == "ok" and kind == "wl":
                    j = last_json(out)
                    rec["result"] = j
                    if j is None:
                        status = "no JSON"
                    elif j.get("value") is None:
                        res.notes[(row_id(wl, n, "value"), r.key)] = j.get("status", "n/a")
                        shown = j.get("status", "n/a")
                    else:
                        for field, _ in wl.rows:
                            if j.get(field) is not None:
                                res.add(row_id(wl, n, field), r.key, float(j[field]))
                        shown = f"{j['metric']}={j['value']:.4g}"
                elif status == "ok":
                    try:
                        figs = r.parse_core(out)
                        rec["result"] = figs
                        for name_, v in figs.items():
                            res.add(("core", name_), r.key, float(v))
                        shown = " ".join(f"{k_}={v:.4g}" for k_, v in figs.items())
                    except (ValueError, KeyError, IndexError) as e:
                        status = f"bad output ({e})"
                if status != "ok" or not shown:
                    rec["stderr_tail"] = err
                if status != "ok":
                    if kind == "wl":
                        res.fail(row_id(wl, n, "value"), r.key, status)
                    else:
                        for name_, _, _ in CORE:
                            res.fail(("core", name_), r.key, status)
                    shown = f"{status} {' | '.join(err)}"
                raw.write(json.dumps(rec) + "\n")
                raw.flush()
                log(f"[{rep + 1}/{opts.reps}] {name:<12} {r.key:<8} {shown} ({secs:.1f}s)")
    return res


def row_id(wl, n, field):
    return (wl.key, n, field)


# ------------------------------------------------------------------------------- report
def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if a >= 0.1 else f"{v:.3g}"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:,.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def slope(points):
    """Least-squares slope of log(y) against log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def short_n(n):
    return f"{n / 1000:g}e3" if n < 1_000_000 else f"{n / 1e6:g}e6"


def table(opts, runners, workloads, core, res):
    ours = next(r for r in runners if r.is_ours)
    peers = [r for r in runners if not r.is_ours]
    head = ["workload", "N"] + [r.label for r in runners] + [f"{p.short or p.label} / ours" for p in peers]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]

    def cell(row, r):
        m = res.median(row, r.key)
        if m is not None:
            return fmt(m)
        if (row, r.key) in res.notes:
            return res.notes[(row, r.key)]
        if (row, r.key) in res.failures:
            return res.failures[(row, r.key)][-1]
        return "—"

    def add(label, n, row):
        vals = [cell(row, r) for r in runners]
        base = res.median(row, ours.key)
        ratios = []
        for p in peers:
            m = res.median(row, p.key)
            ratios.append(fmt_ratio(m / base) if m is not None and base else "—")
        lines.append("| " + " | ".join([label, f"{n:,}" if n else ""] + vals + ratios) + " |")

    for wl in workloads:
        for field, label in wl.rows:
            for n in wl.n_values(opts.quick):
                add(label, n, row_id(wl, n, field))
        if wl.exponent:
            # Wall time on a loaded machine stretches long runs more than short ones (more
            # preemption), which inflates the slope; the CPU-time fit is immune to that.
            for field, what in (("value", "wall time"), ("cpu_ms", "CPU time")):
                vals = []
                for r in runners:
                    pts = [(n, res.median(row_id(wl, n, field), r.key))
                           for n in wl.n_values(opts.quick)]
                    pts = [(n, m) for n, m in pts if m is not None]
                    s = slope(pts)
                    vals.append(f"{s:.2f} ({short_n(pts[0][0])}–{short_n(pts[-1][0])})"
                                if s is not None else "—")
                lines.append("| " + " | ".join([f"{wl.key} growth exponent, {what} (log-log fit)", ""]
                                               + vals + ["—"] * len(peers)) + " |")
    if core:
        for name, _, label in CORE:
            add(label, 0, ("core", name))
    return "\n".join(lines)


def spread_table(runners, res):
    lines = ["| figure | " + " | ".join(r.label for r in runners) + " |",
             "|---|" + "---:|" * len(runners)]
    order = {w.key: i for i, w in enumerate(WORKLOADS)}
    rows = sorted({row for row, _ in res.values},
                  key=lambda row: (order.get(row[0], len(order)), str(row[2:]),
                                   row[1] if isinstance(row[1], int) else 0, str(row[1])))
    for row in rows:
        cells = []
        for r in runners:
            xs = res.values.get((row, r.key))
            cells.append(f"{len(xs)} runs, max/min {max(xs) / min(xs):.2f}" if xs and min(xs) > 0
                         else (f"{len(xs)} runs" if xs else "—"))
        name = row[1] if row[0] == "core" else f"{row[0]} N={row[1]:,} {row[2]}"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_info():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    cxx = ""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    exe = line.split("=", 1)[1].strip()
                    cxx = subprocess.run([exe, "--version"], stdout=subprocess.PIPE,
                                         text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "commit": commit,
            "cxx": cxx, "load": "%.1f %.1f %.1f" % os.getloadavg()}


# --------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds (peers: 2), smaller N where noted")
    ap.add_argument("--reps", type=int, default=0, help="rounds (default 5, quick 3)")
    ap.add_argument("--workloads", default="",
                    help="comma list of workload keys and/or 'core' (default: all)")
    ap.add_argument("--systems", "--runners", dest="runners", default=",".join(RUNNERS),
                    help="comma list of the columns (default: all): " + ",".join(RUNNERS))
    ap.add_argument("--python", default=None, help="CPython 3.13 interpreter")
    ap.add_argument("--no-build", action="store_true",
                    help="use build-bench/ as it is (no build, no package installation)")
    ap.add_argument("--out", default=os.path.join(BUILD, "bench-results.md"),
                    help="markdown file for the table (default build-bench/bench-results.md)")
    ap.add_argument("--raw", default=os.path.join(BUILD, "bench-raw.jsonl"),
                    help="one JSON line per run (appended)")
    ap.add_argument("--list", action="store_true", help="print the commands and exit")
    opts = ap.parse_args()
    opts.reps = opts.reps or (3 if opts.quick else 5)

    keys = [k for k in opts.workloads.split(",") if k]
    unknown = [k for k in keys if k != "core" and k not in {w.key for w in WORKLOADS}]
    if unknown:
        sys.exit(f"unknown workload(s): {unknown}")
    workloads = [w for w in WORKLOADS if not keys or w.key in keys]
    core = not keys or "core" in keys
    wanted = [k for k in opts.runners.split(",") if k]
    for k in wanted:
        if k not in RUNNERS:
            sys.exit(f"unknown runner {k}; have {list(RUNNERS)}")
    if "ours" not in wanted:
        sys.exit("the 'ours' runner is the reference column and cannot be left out")

    t_start = time.time()
    runners = []      # the systems that run
    columns = []      # the table's columns: those and the unavailable ones ("—")
    unavailable = {}  # key: why
    for k in RUNNERS:
        if k not in wanted:
            continue
        r = RUNNERS[k]
        why = None if (opts.list and r.is_ours) else r.prepare(opts)
        columns.append(r)
        if why:
            log(f"{r.key}: unavailable: {why}")
            if r.is_ours:
                sys.exit(1)
            unavailable[r.key] = why
            continue
        runners.append(r)

    if opts.list:
        for kind, wl, n in plan(opts, workloads, core):
            for r in runners:
                if kind == "wl" and not wl.allows(r.key, n, opts.quick):
                    continue
                argv = r.workload_cmd(wl, n) if kind == "wl" else r.core_cmd(opts.quick)
                if argv:
                    print(" ".join(argv))
        return

    t_runs = time.time()
    os.makedirs(os.path.dirname(os.path.abspath(opts.raw)), exist_ok=True)
    with open(opts.raw, "a") as raw:
        res = run_all(opts, runners, workloads, core, raw)
    t_end = time.time()

    info = machine_info()
    mode = "--quick" if opts.quick else "full"
    md = [f"## asyncio-cpp benchmarks ({mode}, {opts.reps} rounds)", "",
          table(opts, columns, workloads, core, res), "",
          f"Medians over rounds; ratio = other system's median / ours (above 1: we are "
          f"faster or smaller). Exponent: least-squares slope of log(time) over log(N).",
          "",
          f"* command: `{' '.join(['bench/run.py'] + sys.argv[1:])}`",
          f"* date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, "
          f"run time {t_end - t_runs:.0f}s (+ build/prepare {t_runs - t_start:.0f}s)",
          f"* machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, "
          f"load average at the end {info['load']}",
          f"* ours: commit {info['commit']}, {info['cxx']}, CMake Release -O2",
          "* systems: " + ", ".join(r.label + (f" ({r.python})" if getattr(r, 'python', None) else "")
                                  for r in runners)]
    for k, why in unavailable.items():
        md.append(f"* {RUNNERS[k].label}: not measured ({why})")
    text = "\n".join(md) + "\n"
    print(text)
    with open(opts.out, "w") as f:
        f.write(text + "\n### Runs and spread per figure\n\n" + spread_table(runners, res) + "\n")
    log(f"table written to {opts.out}; raw runs appended to {opts.raw}")


if __name__ == "__main__":
    main()
