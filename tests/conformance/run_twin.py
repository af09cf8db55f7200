#!/usr/bin/env python3
"""Runs one twin pair and compares what the two halves print.

    run_twin.py --cxx BUILD/twin_<name> --py twins/<name>.py [--python python3]

The C++ binary and `PYENV_VERSION=3.13.0 <python> twins/<name>.py` (with this directory
on PYTHONPATH, for vtloop) must both exit 0 and print the same stdout, line for line.
On a mismatch the unified diff (CPython's output is the reference) and both stderrs are
printed and the test fails. A missing CPython 3.13 is a failure, never a skip.

This script itself runs on any Python >= 3.8; only the twin needs 3.13.
"""

import argparse
import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = (3, 13)
TIMEOUT = 60  # seconds, per half: both run on a virtual clock and finish in milliseconds


def fail(msg):
    print(f"TWIN FAILED: {msg}", flush=True)
    sys.exit(1)


def python_env():
    env = dict(os.environ)
    env["PYENV_VERSION"] = "%d.%d.0" % REFERENCE
    # When this script runs through a pyenv shim, `pyenv exec` has put that version's
    # bin directory first on PATH, which would shadow the shim that honours PYENV_VERSION.
    env["PATH"] = os.pathsep.join(
        d for d in env.get("PATH", "").split(os.pathsep)
        if not (os.sep + "versions" + os.sep in d and ".pyenv" in d))
    env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the source tree
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    for var in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONWARNINGS", "PYTHONSTARTUP"):
        env.pop(var, None)
    return env


def run(cmd, env=None):
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except FileNotFoundError as e:
        fail(f"cannot run {cmd[0]!r}: {e}")
    except subprocess.TimeoutExpired as e:
        fail(f"{' '.join(cmd)} did not finish within {TIMEOUT} s\n"
             f"--- stdout so far ---\n{e.stdout or ''}\n--- stderr so far ---\n{e.stderr or ''}")


def check_python(python, env):
    r = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], env)
    got = r.stdout.strip()
    want = "%d.%d" % REFERENCE
    if r.returncode != 0 or got != want:
        fail(f"CPython {want} is required to check the twins, but `PYENV_VERSION="
             f"{env['PYENV_VERSION']} {python}` is {got or 'not runnable'}"
             f"{(': ' + r.stderr.strip()) if r.stderr.strip() else ''}.\n"
             f"Install CPython {want} (pyenv install {env['PYENV_VERSION']}) or configure with "
             f"-DASYNCIO_TWIN_PYTHON=/path/to/python{want}.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxx", required=True, help="the C++ twin executable")
    ap.add_argument("--py", required=True, help="the Python twin script")
    ap.add_argument("--python", default="python3", help="CPython 3.13 interpreter")
    args = ap.parse_args()

    if not os.path.isfile(args.py):
        fail(f"{args.py} does not exist (a twin needs both a .cpp and a .py)")
    if not os.path.isfile(args.cxx):
        fail(f"{args.cxx} does not exist: build it first (cmake --build <dir> --target twins)")

    env = python_env()
    check_python(args.python, env)

    py = run([args.python, args.py], env)
    cxx = run([args.cxx])

    problems = []
    if py.returncode != 0:
        problems.append(f"the Python twin exited with status {py.returncode}")
    if cxx.returncode != 0:
        problems.append(f"the C++ twin exited with status {cxx.returncode}")
    py_lines = py.stdout.splitlines()
    cxx_lines = cxx.stdout.splitlines()
    if py_lines != cxx_lines:
        problems.append("outputs differ")
    if not py_lines:
        problems.append("the Python twin printed nothing")

    name = os.path.splitext(os.path.basename(args.py))[0]
    if not problems:
        print(f"twin {name}: {len(py_lines)} lines identical")
        return 0

    print(f"TWIN FAILED: {name}: " + "; ".join(problems))
    if py_lines != cxx_lines:
        print("--- unified diff (- CPython 3.13, + C++) ---")
        for line in difflib.unified_diff(py_lines, cxx_lines, "cpython", "c++", lineterm=""):
            print(line)
    for label, r in (("CPython", py), ("C++", cxx)):
        if r.stderr:
            print(f"--- {label} stderr ---")
            print(r.stderr.rstrip())
    return 1


if __name__ == "__main__":
    sys.exit(main())
