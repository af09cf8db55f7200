#!/usr/bin/env python3
"""HTTP/1.1 benchmark: wrk (Debian's wrk) against the TechEmpower plaintext and JSON routes
served, in one run, by

  * asyncio-cpp        examples/http_server.cpp (this library's protocol layer)
  * aiohttp            bench/http/aiohttp_server.py on Debian's python3 (asyncio loop)
  * aiohttp + uvloop   the same file with --uvloop
  * Go net/http        bench/http/server.go (GOMAXPROCS=1 for the one-core figures)

Each server runs pinned to CPU 0 with `taskset` and wrk to CPU 1 (one thread, CONNS
connections, keep-alive, `--latency`), for SECONDS per run, RUNS runs with the order
rotating; the table shows medians of requests/s and of wrk's p50/p99 latency, and the
ratio of ours to each peer. The CPU model is printed with the table.

    python3 bench/http.py                 # 5 runs x 5 s per server and route
    python3 bench/http.py --quick         # 3 runs x 2 s
    python3 bench/http.py --loops 2       # our server with 2 loops (SO_REUSEPORT), unpinned

Not yet here (docs/benchmarks.md): Rust hyper on Tokio and Boost.Beast. Missing Debian
packages (wrk, python3-aiohttp, python3-uvloop, golang-go) are installed with apt-get when
running as root; a peer that cannot run is reported as such. Standard library only.
"""

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import w7  # bench/w7.py: ensure_packages, cpu_model

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "bench" / "http"
BUILD = ROOT / "build-http"
PACKAGES = ["wrk", "python3-aiohttp", "python3-uvloop", "golang-go"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_packages():
    w7.ensure_packages(PACKAGES, "http")


def build():
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), *gen,
                    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_TESTING=OFF",
                    "-DASYNCIO_BUILD_EXAMPLES=ON", "-DASYNCIO_BUILD_BENCH=OFF",
                    *(["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else [])],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(BUILD), "--parallel", "2", "--target", "http_server"],
                   check=True, stdout=subprocess.DEVNULL)
    if shutil.which("go"):
        env = dict(os.environ, GOCACHE=str(BUILD / "gocache"), GOTOOLCHAIN="local",
                   GOFLAGS="-mod=mod", GO111MODULE="off")
        r = subprocess.run(["go", "build", "-o", str(BUILD / "go_http_server"),
                            str(HERE / "server.go")], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            log("http: go build failed:", r.stderr.strip()[-300:])


def servers(loops):
    ours = [str(BUILD / "examples" / "http_server"), "{port}"]
    if loops > 1:
        ours.append(str(loops))
    out = [(f"asyncio-cpp protocols (ours){'' if loops == 1 else f', {loops} loops'}", ours, {})]
    out.append(("aiohttp 3.8 (Debian python3, asyncio)",
                ["/usr/bin/python3", str(HERE / "aiohttp_server.py"), "{port}"], {}))
    out.append(("aiohttp 3.8 + uvloop 0.17 (Debian python3)",
                ["/usr/bin/python3", str(HERE / "aiohttp_server.py"), "{port}", "--uvloop"], {}))
    out.append(("Go net/http (GOMAXPROCS=%d)" % loops,
                [str(BUILD / "go_http_server"), "{port}"], {"GOMAXPROCS": str(loops)}))
    return out


PIN = True


def pin(cpu, cmd):
    if PIN and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu), *cmd]
    return cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def to_us(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return None
    v = float(m.group(1))
    return v * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def run_once(cmd, env, route, args):
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in cmd]
    if not Path(argv[0]).exists():
        return {"error": f"{argv[0]} not built"}
    try:
        srv = subprocess.Popen(pin(0, argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=dict(os.environ, **env))
    except OSError as e:
        return {"error": str(e)}
    try:
        if not wait_listening(port, srv):
            return {"error": "did not listen: " + (srv.stderr.read().decode()[-200:]
                                                   if srv.poll() is not None else "timeout")}
        out = subprocess.run(pin(1, ["wrk", "-t1", f"-c{args.conns}", f"-d{args.seconds:g}s",
                                     "--latency", f"http://127.0.0.1:{port}{route}"]),
                             capture_output=True, text=True, timeout=args.seconds + 60).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
        p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
        errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sock_errs = re.search(r"Socket errors: (.*)", out)
        if not rps or not p99:
            return {"error": "wrk: " + out.strip()[-200:]}
        res = {"rps": float(rps.group(1)), "p50": to_us(p50.group(1)), "p99": to_us(p99.group(1))}
        if errs:
            res["error"] = f"{errs.group(1)} non-2xx answers"
        if sock_errs and args.strict:
            res["error"] = "socket errors: " + sock_errs.group(1)
        return res
    finally:
        srv.kill()
        srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 runs x 2 s")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--loops", type=int, default=1,
                    help="our event loops (threads) and Go's GOMAXPROCS; > 1 is not pinned")
    ap.add_argument("--routes", default="/plaintext,/json")
    ap.add_argument("--strict", action="store_true", help="socket errors fail a run")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    global PIN
    PIN = args.loops == 1
    args.runs = args.runs or (3 if args.quick else 5)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    ensure_packages()
    if not shutil.which("wrk"):
        log("http: wrk is not installed")
        return 1
    if not args.no_build:
        build()
    srvs = servers(args.loops)
    ok = True
    for i, route in enumerate(args.routes.split(",")):
        if i:
            print()
        ok = measure(args, route, srvs) and ok
    return 0 if ok else 1


def measure(args, route, srvs):
    results = {name: [] for name, _, _ in srvs}
    errors = {}
    for run in range(args.runs):
        k = run % len(srvs)
        for name, cmd, env in srvs[k:] + srvs[:k]:
            if name in errors and not results[name]:
                continue
            res = run_once(cmd, env, route, args)
            if "error" in res:
                errors[name] = res["error"]
                log(f"http: {name} {route}: {res['error']}")
                continue
            results[name].append(res)
            log(f"http: run {run + 1}/{args.runs} {name} {route}: {res['rps']:.0f} req/s, "
                f"p99 {res['p99']:.0f} us")
    ours = results[srvs[0][0]]
    ours_rps = statistics.median(r["rps"] for r in ours) if ours else None
    ours_p99 = statistics.median(r["p99"] for r in ours) if ours else None
    print(f"HTTP GET {route}, wrk -t1 -c{args.conns} keep-alive, {args.seconds:g} s per run, "
          f"median of {args.runs} runs (rotating order); "
          + ("server pinned to CPU 0, wrk to CPU 1." if PIN else "not pinned."))
    print(f"Machine: {platform.node()}, {w7.cpu_model()}, {os.cpu_count()} CPUs, "
          f"{platform.platform()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print("| server | req/s | p50 µs | p99 µs | ours ÷ peer (req/s) | peer p99 ÷ ours |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _, _ in srvs:
        rs = results[name]
        if not rs:
            print(f"| {name} | not available ({errors.get(name, 'no result')[:60]}) | | | | |")
            continue
        rps = statistics.median(r["rps"] for r in rs)
        p50 = statistics.median(r["p50"] for r in rs)
        p99 = statistics.median(r["p99"] for r in rs)
        ratio = f"{ours_rps / rps:.2f}x" if ours_rps else "—"
        lat = f"{p99 / ours_p99:.2f}x" if ours_p99 else "—"
        print(f"| {name} | {rps:,.0f} | {p50:,.0f} | {p99:,.0f} | {ratio} | {lat} |")
    return bool(ours)


if __name__ == "__main__":
    sys.exit(main())
