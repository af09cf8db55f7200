#!/usr/bin/env python3
"""uvloop peer: runs one of the project's CPython twins (bench/python/w*.py) unchanged,
with uvloop's event loop policy installed first, so asyncio.run() uses a uvloop loop.

    python3 run_twin.py w1 100000            # = bench/python/w1.py 100000 on uvloop
    python3 run_twin.py w6 1e6 --variant queue

Needs an interpreter that has uvloop: on Debian 12 that is /usr/bin/python3 (3.11) with
the python3-uvloop package. The JSON line's "impl" names uvloop and the interpreter.
"""
import asyncio
import io
import json
import os
import runpy
import sys
from contextlib import redirect_stdout

import uvloop

TWINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run_twin.py w1|w2|w3|w3s|w4|w5|w6 N [--seed S] [--variant V]")
    script = os.path.join(os.path.normpath(TWINS), sys.argv[1] + ".py")
    if not os.path.isfile(script):
        sys.exit(f"no such twin: {script}")
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.argv = [script] + sys.argv[2:]
    sys.path.insert(0, os.path.dirname(script))  # the twin imports common.py
    buf = io.StringIO()
    with redirect_stdout(buf):
        runpy.run_path(script, run_name="__main__")
    impl = f"uvloop {uvloop.__version__} (CPython {sys.version.split()[0]})"
    for line in buf.getvalue().splitlines():
        if line.startswith("{"):
            j = json.loads(line)
            j["impl"] = impl
            line = json.dumps(j)
        print(line)


if __name__ == "__main__":
    main()
