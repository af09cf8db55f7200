# Real processes (no virtual clock): asyncio.create_subprocess_exec / _shell with pipes.
# The order of the lines is fixed by the parent: it asks a line-echoing child for each
# line, reads stdout before stderr, and gathers results in argument order.
import asyncio
from asyncio import subprocess as sp


async def main():
    # A conversation: each line written is echoed back before the next is sent.
    p = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", 'while read l; do echo "got $l"; echo "err $l" >&2; done; exit 3',
        stdin=sp.PIPE, stdout=sp.PIPE, stderr=sp.PIPE)
    for word in ["alpha", "beta", "gamma"]:
        p.stdin.write(word.encode() + b"\n")
        await p.stdin.drain()
        line = await p.stdout.readline()
        print("child said:", line.decode().rstrip())
    p.stdin.close()
    print("stdout rest:", repr((await p.stdout.read()).decode()))
    err = await p.stderr.read()
    for line in err.decode().splitlines():
        print("child stderr:", line)
    print("wait:", await p.wait(), "returncode:", p.returncode)

    # communicate with input, and a separate stderr.
    p = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "tr a-z A-Z; echo done >&2",
        stdin=sp.PIPE, stdout=sp.PIPE, stderr=sp.PIPE)
    out, err = await p.communicate(b"hello\nworld\n")
    print("communicate:", repr(out.decode()), repr(err.decode()), p.returncode)

    # stderr=STDOUT merges; stdout=DEVNULL gives None.
    p = await asyncio.create_subprocess_shell(
        "echo one; echo two >&2; echo three", stdout=sp.PIPE, stderr=sp.STDOUT)
    out, err = await p.communicate()
    print("merged:", repr(out.decode()), err)
    p = await asyncio.create_subprocess_shell("echo gone", stdout=sp.DEVNULL)
    print("devnull:", await p.communicate(), p.returncode)

    # Killed by a signal; kill() once finished.
    p = await asyncio.create_subprocess_exec("sleep", "30")
    p.kill()
    print("killed:", await p.wait())
    try:
        p.kill()
    except ProcessLookupError as e:
        print("kill again:", type(e).__name__, repr(str(e)))
    p = await asyncio.create_subprocess_shell("kill -TERM $$")
    print("self-terminated:", await p.wait())

    # Several at once: gather keeps argument order.
    async def run(code):
        q = await asyncio.create_subprocess_shell(f"echo {code}; exit {code}", stdout=sp.PIPE)
        out, _ = await q.communicate()
        return out.decode().strip(), q.returncode

    print("gather:", await asyncio.gather(*(run(c) for c in [0, 1, 2, 42])))

    # wait_for times out; the child lives on until killed.
    p = await asyncio.create_subprocess_exec("sleep", "30")
    try:
        await asyncio.wait_for(p.wait(), 0.05)
    except TimeoutError:
        print("timed out, returncode:", p.returncode)
    p.terminate()
    print("terminated:", await p.wait())

    try:
        await asyncio.create_subprocess_exec("/nonexistent/program")
    except FileNotFoundError as e:
        print("missing:", type(e).__name__, e)


asyncio.run(main())
