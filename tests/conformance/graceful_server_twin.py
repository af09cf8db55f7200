"""Twin test of examples/graceful_server (C++) and examples/python/graceful_server.py.

Runs one client scenario against each server and compares what the clients and the
servers print, line by line. The scenario (a Python asyncio client, on CPython 3.13):
client A sends three lines, client B stays idle; once A has its first answer the server
gets SIGTERM; then a new connection must be refused, B closed at once, and A answered
for the lines it had sent (grace 5 s) — or, with grace 0.1 s, not: the rest is closed.
Every wait is on an event, never a race between sleeps.

Usage: graceful_server_twin.py --cxx BINARY --py SCRIPT --python PYTHON
"""
import argparse
import asyncio
import signal
import sys


async def scenario(cmd, grace):
    out = []
    p = await asyncio.create_subprocess_exec(*cmd, "0", grace, stdout=asyncio.subprocess.PIPE)
    line = (await p.stdout.readline()).decode().strip()
    out.append("server: " + line.rsplit(":", 1)[0])
    port = int(line.rsplit(":", 1)[1])
    ra, wa = await asyncio.open_connection("127.0.0.1", port)
    rb, wb = await asyncio.open_connection("127.0.0.1", port)
    wa.write(b"one\ntwo\nthree\n")
    out.append("A first answer: " + (await ra.readline()).decode().strip())
    p.send_signal(signal.SIGTERM)
    out.append("server: " + (await p.stdout.readline()).decode().strip())
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        out.append("connect after SIGTERM: accepted")
        w.close()
    except OSError as e:
        out.append("connect after SIGTERM: " + type(e).__name__)
    out.append(f"B got: {await rb.read()!r}")
    out.append(f"A got the rest: {(await ra.read()).decode().split()}")
    for l in (await p.stdout.read()).decode().splitlines():
        out.append("server: " + l)
    out.append(f"exit status {await p.wait()}")
    wa.close()
    wb.close()
    return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--py", required=True)
    ap.add_argument("--python", required=True)
    a = ap.parse_args()
    ok = True
    for grace in ["5", "0.1"]:
        want = await scenario([a.python, a.py], grace)
        got = await scenario([a.cxx], grace)
        print(f"--- grace {grace}")
        for w in want:
            print("  " + w)
        if got != want:
            ok = False
            print(f"MISMATCH with grace {grace}: C++ printed")
            for g in got:
                print("  " + g)
    return 0 if ok else 1


sys.exit(asyncio.run(main()))
