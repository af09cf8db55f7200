# A process supervisor: runs N children at once (gather), streams each one's output line
# by line with its name as prefix, and kills the stragglers that are not done within the
# timeout (wait_for). C++ port: examples/supervisor.cpp.
#
# Usage: python3 supervisor.py [N=4] [TIMEOUT=1.5]
#   child i prints i + 1 lines, 0.1 s apart, and exits with status i; the last child
#   hangs (it would sleep 30 s) and is killed when the timeout expires. (`exec sleep`: a
#   grandchild would keep the pipe open, and wait() waits for the pipes to close.)
import asyncio
import sys
from asyncio import subprocess as sp


async def pump(name, stream):
    while line := await stream.readline():
        print(f"[{name}] {line.decode().rstrip()}", flush=True)


async def supervise(i, n, timeout):
    name = f"child-{i}"
    if i == n - 1:
        script = "echo starting; exec sleep 30"
    else:
        script = f'for k in $(seq 1 {i + 1}); do echo "line $k"; sleep 0.1; done; exit {i}'
    proc = await asyncio.create_subprocess_shell(script, stdout=sp.PIPE, stderr=sp.STDOUT)
    try:
        await asyncio.wait_for(asyncio.gather(pump(name, proc.stdout), proc.wait()), timeout)
    except TimeoutError:
        print(f"[{name}] still running after {timeout} s: killing it", flush=True)
        proc.kill()
        await proc.wait()
    print(f"[{name}] exit status {proc.returncode}", flush=True)
    return proc.returncode


async def main(n, timeout):
    codes = await asyncio.gather(*(supervise(i, n, timeout) for i in range(n)))
    print("exit statuses:", codes)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
    asyncio.run(main(n, timeout))
