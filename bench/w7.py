#!/usr/bin/env python3
"""W7: TCP echo on loopback — requests/s and p99 latency for four servers driven by the
same load generator in one run:

  * asyncio-cpp        bench/w7/echo_server.cpp (this library's streams)
  * CPython 3.13       bench/w7/echo_server.py (asyncio streams; pyenv 3.13.0)
  * uvloop             the same .py on Debian's /usr/bin/python3 with python3-uvloop
  * Boost.Asio         bench/w7/echo_asio.cpp (C++20 coroutines, one thread)

and, with --layer protocols or both (the default), the protocol layer:

  * asyncio-cpp        bench/w7/echo_protocol.cpp (create_server, data_received writes back)
  * CPython 3.13       bench/w7/echo_protocol.py (loop.create_server, asyncio.Protocol)
  * uvloop             the same .py on Debian's python3

Each stream server runs a read / write / drain loop per connection, each protocol server
writes back in data_received; the load generator
(bench/w7/loadgen.cpp, plain epoll) opens CLIENTS connections, each sending a SIZE-byte
message and waiting for its echo before the next, for TOTAL echoes or SECONDS. Every
server is measured RUNS times, the order rotating between runs; the table shows medians
and the ratio of our figure to each peer's.

    python3 bench/w7.py            # full: 5 runs x 200,000 echoes (<= 10 s each)
    python3 bench/w7.py --quick    # < 1 min: 3 runs x 20,000 echoes
    python3 bench/w7.py --tls      # the stream servers over TLS 1.3 (see below)

With --tls, the stream servers serve TLS 1.3 (a certificate made with the openssl CLI at
run time): ours (start_server ssl=), CPython's and uvloop's (asyncio.start_server ssl=),
and Boost.Asio's ssl::stream (bench/w7/echo_asio_tls.cpp); the load generator is
bench_w7_loadgen_tls (the same program over OpenSSL, handshakes before the clock starts).

Missing Debian packages (python3-uvloop, libboost1.81-dev) are installed with apt-get
(as root, only if missing); a peer that still cannot run is reported as such.
Standard library only.
"""

import argparse
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W7 = ROOT / "bench" / "w7"
BUILD = ROOT / "build-w7"
PACKAGES = ["python3-uvloop", "libboost1.81-dev"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_packages(packages=PACKAGES, tag="w7"):
    """Installs the missing Debian `packages` (as root, or through sudo); bench/http.py
    uses it too."""
    missing = [p for p in packages
               if subprocess.run(["dpkg", "-s", p], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL).returncode != 0]
    if not missing:
        return
    cmd = ["apt-get", "install", "-y", *missing]
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            log(f"{tag}: missing {missing} and not root: those peers will be skipped")
            return
        cmd = ["sudo", *cmd]
    log(f"{tag}: installing", " ".join(missing))
    if subprocess.run(cmd).returncode != 0:
        log(f"{tag}: apt-get failed; the peers needing", missing, "will be skipped")


def python313():
    cand = Path.home() / ".pyenv" / "versions" / "3.13.0" / "bin" / "python3"
    if cand.exists():
        return [str(cand)]
    env_py = os.environ.get("ASYNCIO_PY313")
    if env_py:
        return [env_py]
    return ["env", "PYENV_VERSION=3.13.0", "python3"]


def build():
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), *gen,
                    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_TESTING=OFF",
                    "-DASYNCIO_BUILD_EXAMPLES=OFF", "-DASYNCIO_BUILD_BENCH=ON",
                    *(["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else [])],
                   check=True, stdout=subprocess.DEVNULL)
    targets = ["bench_w7_loadgen", "bench_w7_echo", "bench_w7_echo_protocol"]
    have = subprocess.run(["cmake", "--build", str(BUILD), "--target", "help"],
                          capture_output=True, text=True).stdout
    for t in ["bench_w7_asio", "bench_w7_loadgen_tls", "bench_w7_asio_tls"]:
        if t + ":" in have:
            targets.append(t)
    subprocess.run(["cmake", "--build", str(BUILD), "--parallel", "2", "--target", *targets],
                   check=True, stdout=subprocess.DEVNULL)


def protocol_servers():
    """The protocol layer: ours first (the reference of the ratios), then the peers."""
    return [("asyncio-cpp protocols (ours)", [str(BUILD / "bench" / "bench_w7_echo_protocol")]),
            ("CPython 3.13 asyncio.Protocol", [*python313(), str(W7 / "echo_protocol.py")]),
            ("uvloop 0.17 Protocol (Debian python3)",
             ["/usr/bin/python3", str(W7 / "echo_protocol.py"), "--uvloop"])]


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def servers():
    out = [("asyncio-cpp (ours)", [str(BUILD / "bench" / "bench_w7_echo")])]
    out.append(("CPython 3.13 asyncio", [*python313(), str(W7 / "echo_server.py")]))
    out.append(("uvloop 0.17 (Debian python3)",
                ["/usr/bin/python3", str(W7 / "echo_server.py"), "--uvloop"]))
    out.append(("Boost.Asio 1.81 C++20 coroutines", [str(BUILD / "bench" / "bench_w7_asio")]))
    return out


def tls_servers(cert, key):
    """--tls: the stream servers over TLS 1.3."""
    tls = [cert, key]
    return [("asyncio-cpp TLS (ours)", [str(BUILD / "bench" / "bench_w7_echo"), "0", *tls]),
            ("CPython 3.13 asyncio ssl", [*python313(), str(W7 / "echo_server.py"), "0", *tls]),
            ("uvloop 0.17 TLS (Debian python3)",
             ["/usr/bin/python3", str(W7 / "echo_server.py"), "--uvloop", "0", *tls]),
            ("Boost.Asio 1.81 ssl::stream",
             [str(BUILD / "bench" / "bench_w7_asio_tls"), "0", *tls])]


def make_cert(d):
    """A self-signed certificate for localhost (the TLS load generator does not verify)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    f"{d}/key.pem", "-out", f"{d}/cert.pem", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return f"{d}/cert.pem", f"{d}/key.pem"


PIN = False  # --pin: server on CPU 0, load generator on CPU 1
LOADGEN = "bench_w7_loadgen"  # bench_w7_loadgen_tls with --tls


def pin(cpu, cmd):
    if PIN and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu), *cmd]
    return cmd


def run_once(cmd, args):
    """Starts a server, runs the load generator against it, stops it; a dict or None."""
    try:
        srv = subprocess.Popen(pin(0, cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    except OSError as e:
        return {"error": str(e)}
    try:
        ready, _, _ = select.select([srv.stdout], [], [], 20)
        line = srv.stdout.readline() if ready else ""
        if not line.startswith("READY"):
            return {"error": (line + srv.stderr.read() if srv.poll() is not None else
                              "no READY line").strip()[-300:]}
        port = line.split()[1]
        gen = subprocess.run(
            pin(1, [str(BUILD / "bench" / LOADGEN), port, str(args.clients),
                    str(args.total), str(args.size), str(args.seconds)]),
            capture_output=True, text=True, timeout=args.seconds + 60)
        try:
            res = json.loads(gen.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"error": (gen.stdout + gen.stderr).strip()[-300:]}
        if gen.returncode != 0:
            res["error"] = f"load generator exit {gen.returncode} (errors={res.get('errors')})"
        return res
    finally:
        srv.kill()
        srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 short runs (< 1 min)")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--total", type=int, help="echoes per run")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seconds", type=float, help="time bound per run")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--pin", action="store_true",
                    help="pin the server to CPU 0 and the load generator to CPU 1 (on a "
                         "shared machine this mostly measures the other tenants)")
    ap.add_argument("--layer", choices=["streams", "protocols", "both"], default="both",
                    help="which servers: the streams ones, the protocol ones, or both "
                         "(two tables)")
    ap.add_argument("--tls", action="store_true",
                    help="the stream servers over TLS 1.3 (ours, CPython, uvloop, Asio)")
    args = ap.parse_args()
    global PIN, LOADGEN
    PIN = args.pin
    args.runs = args.runs or (3 if args.quick else 5)
    args.total = args.total or (20000 if args.quick else 200000)
    args.seconds = args.seconds or (2.0 if args.quick else 10.0)

    ensure_packages()
    if not args.no_build:
        build()
    layers = []
    if args.tls:
        import tempfile
        LOADGEN = "bench_w7_loadgen_tls"
        tmp = tempfile.TemporaryDirectory()
        layers.append(("TLS 1.3 streams", tls_servers(*make_cert(tmp.name))))
    elif args.layer in ("streams", "both"):
        layers.append(("streams", servers()))
    if args.layer in ("protocols", "both") and not args.tls:
        layers.append(("protocols", protocol_servers()))
    ok = True
    for k, (layer, srvs) in enumerate(layers):
        if k:
            print()
        ok = measure(args, layer, srvs) and ok
    return 0 if ok else 1


def measure(args, layer, srvs):
    """Runs every server of one layer RUNS times and prints its table; True if ours ran."""
    results = {name: [] for name, _ in srvs}
    errors = {}
    for run in range(args.runs):
        k = run % len(srvs)
        for name, cmd in srvs[k:] + srvs[:k]:  # rotating order
            if name in errors and not results[name]:
                continue  # a peer that cannot start is not retried
            res = run_once(cmd, args)
            if "error" in res:
                errors[name] = res["error"]
                log(f"w7: {name}: {res['error']}")
                continue
            results[name].append(res)
            log(f"w7: run {run + 1}/{args.runs} {name}: {res['req_per_s']:.0f} req/s, "
                f"p99 {res['p99_us']:.0f} us")

    ours = results[srvs[0][0]]
    ours_rps = statistics.median(r["req_per_s"] for r in ours) if ours else None
    ours_p99 = statistics.median(r["p99_us"] for r in ours) if ours else None
    print(f"W7 {'TLS' if LOADGEN.endswith('_tls') else 'TCP'} echo ({layer}), loopback: {args.clients} clients, {args.size}-byte messages, "
          f"{args.total} echoes or {args.seconds:g} s per run, median of {args.runs} runs "
          f"(rotating order); "
          + ("server pinned to CPU 0, load generator to CPU 1." if PIN else
             "server and load generator not pinned."))
    print(f"Machine: {platform.node()}, {cpu_model()}, {os.cpu_count()} CPUs, "
          f"{platform.platform()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print("| server | req/s | p50 µs | p99 µs | ours ÷ peer (req/s) | peer p99 ÷ ours |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _ in srvs:
        rs = results[name]
        if not rs:
            print(f"| {name} | not available ({errors.get(name, 'no result')[:60]}) | | | | |")
            continue
        rps = statistics.median(r["req_per_s"] for r in rs)
        p50 = statistics.median(r["p50_us"] for r in rs)
        p99 = statistics.median(r["p99_us"] for r in rs)
        ratio = f"{ours_rps / rps:.2f}x" if ours_rps else "—"
        lat = f"{p99 / ours_p99:.2f}x" if ours_p99 else "—"
        print(f"| {name} | {rps:,.0f} | {p50:,.0f} | {p99:,.0f} | {ratio} | {lat} |")
    return bool(ours)


if __name__ == "__main__":
    sys.exit(main())
