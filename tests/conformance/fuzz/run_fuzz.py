#!/usr/bin/env python3
"""Runs the gather/wait differential fuzzer and compares the CPython and C++ traces.

CTest mode (the scenarios are already compiled into BIN):
    run_fuzz.py --cxx BUILD/.../gw_fuzz --seeds 1-60 [--python python3]

Local mode (new seeds; generates, compiles against a build tree, runs, compares):
    run_fuzz.py --local --start 1000 --count 300 [--build-dir build] [--jobs 2]
                [--cxx-compiler clang++ --cxxflags "-fsanitize=address,undefined ..."]

In local mode a seed whose scenario has two timers due at the same instant is drawn
again (seed:attempt, see gen.py). Every mismatch is reported with the commands that
reproduce it. This script runs on any Python >= 3.8; the CPython side needs 3.13.
"""

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))
import run_twin  # noqa: E402  (python_env, check_python: shared with the twins)

GEN = os.path.join(HERE, "gen.py")
CHUNK = 40  # scenarios per C++ translation unit in local mode


def sections(text):
    """'### seed S:A' headers -> {label: [lines]} (in order)."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"### seed (\S+)$", line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def run(cmd, env=None, timeout=600):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def run_python(python, seeds, regenerate):
    env = run_twin.python_env()
    run_twin.check_python(python, env)
    cmd = [python, GEN, "run-py", seeds] + (["--regenerate"] if regenerate else [])
    r = run(cmd, env)
    if r.returncode not in (0, 3):
        print(f"FUZZ FAILED: the CPython side exited with status {r.returncode}")
        print(r.stdout[-4000:])
        print(r.stderr[-4000:])
        sys.exit(1)
    return r.stdout, r.stderr


def compare(py_out, cxx_out, cxx_cmd):
    py, cx = sections(py_out), sections(cxx_out)
    bad = []
    for label, lines in py.items():
        if any(line.startswith("!!! TIE") for line in lines):
            bad.append(label)
            print(f"seed {label}: the scenario has a timer tie (pick another seed or attempt)")
            continue
        if cx.get(label) != lines:
            bad.append(label)
            print(f"seed {label}: traces differ")
            got = cx.get(label)
            if got is None:
                print("  (no C++ trace: crashed or not built in)")
                got = []
            for d in list(difflib.unified_diff(lines, got, "cpython", "c++", lineterm=""))[:60]:
                print("  " + d)
            seed = label
            print(f"  reproduce: {sys.executable} {GEN} py {seed} > /tmp/s.py && "
                  f"PYENV_VERSION=3.13.0 python3 /tmp/s.py;  {cxx_cmd} {seed}")
    return len(py), bad


def ctest_mode(args):
    t0 = time.time()
    py_out, py_err = run_python(args.python, args.seeds, regenerate=False)
    labels = list(sections(py_out))
    if not labels:
        print("FUZZ FAILED: the CPython side ran no scenario")
        print(py_err[-4000:])
        return 1
    cxx = run([args.cxx] + labels)
    n, bad = compare(py_out, cxx.stdout, args.cxx)
    if cxx.returncode != 0:
        print(f"the C++ side exited with status {cxx.returncode}")
        print(cxx.stderr[-4000:])
        bad = bad or ["(exit status)"]
    if bad:
        print(f"FUZZ FAILED: {len(bad)} of {n} scenarios differ: {' '.join(bad)}")
        return 1
    lines = sum(len(v) for v in sections(py_out).values())
    print(f"fuzz: {n} scenarios, {lines} trace lines identical ({time.time() - t0:.1f} s)")
    return 0


def local_mode(args):
    build = os.path.abspath(args.build_dir)
    lib = os.path.join(build, "libasyncio.a")
    if not os.path.exists(lib):
        print(f"{lib} not found: build the library first (cmake --build {args.build_dir} "
              "--target asyncio)")
        return 2
    seeds = f"{args.start}-{args.start + args.count - 1}"
    print(f"CPython side: seeds {seeds} ...", flush=True)
    py_out, _ = run_python(args.python, seeds, regenerate=True)
    labels = list(sections(py_out))
    work = tempfile.mkdtemp(prefix="gw_fuzz_")
    chunks = [labels[i:i + CHUNK] for i in range(0, len(labels), CHUNK)]
    print(f"C++ side: {len(chunks)} executables in {work} ...", flush=True)
    procs, bins = [], []
    for i, chunk in enumerate(chunks):
        src = os.path.join(work, f"chunk{i}.cpp")
        subprocess.run([sys.executable, GEN, "cpp", ",".join(chunk), "-o", src], check=True)
        exe = os.path.join(work, f"chunk{i}")
        bins.append((exe, chunk))
        cmd = [args.cxx_compiler, "-std=c++20", "-O0", "-g", "-I", os.path.join(ROOT, "include"),
               "-I", os.path.dirname(HERE), "-I", HERE, src, lib, "-lpthread", "-o", exe]
        if "clang" in os.path.basename(args.cxx_compiler):
            cmd.insert(1, "-fcoroutines-ts")
        cmd[1:1] = args.cxxflags.split()
        procs.append(subprocess.Popen(cmd))
        while len([p for p in procs if p.poll() is None]) >= args.jobs:
            time.sleep(0.2)
    if any(p.wait() != 0 for p in procs):
        print("FUZZ FAILED: compiling the C++ scenarios failed")
        return 1
    cxx_out = ""
    for exe, chunk in bins:
        r = run([exe] + chunk)
        cxx_out += r.stdout
        if r.returncode != 0:
            print(f"{exe} exited with status {r.returncode}: {r.stderr[-2000:]}")
    n, bad = compare(py_out, cxx_out, os.path.join(work, "chunkN"))
    regen = [lab for lab in labels if not lab.endswith(":0")]
    print(f"fuzz: {n} scenarios ({len(regen)} drawn again because of a timer tie), "
          f"{len(bad)} differ{': ' + ' '.join(bad) if bad else ''}")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default="python3", help="CPython 3.13 interpreter")
    ap.add_argument("--cxx", help="the gw_fuzz executable (CTest mode)")
    ap.add_argument("--seeds", default="1-60", help="seed list for CTest mode")
    ap.add_argument("--local", action="store_true", help="generate and build new seeds")
    ap.add_argument("--start", type=int, default=1000)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cxx-compiler", default=os.environ.get("CXX", "c++"))
    ap.add_argument("--cxxflags", default="",
                    help='extra compiler flags, e.g. "-fsanitize=address,undefined" to match '
                         "a sanitizer build directory")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.local:
        return local_mode(args)
    if not args.cxx:
        ap.error("--cxx is required (or --local)")
    return ctest_mode(args)


if __name__ == "__main__":
    sys.exit(main())
