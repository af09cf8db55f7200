"""The seed question (gather or wait?) on real sockets: 1,000 concurrent fetches from a
local server whose replies take 0 to 3 s; the slow ones are cut off by wait_for.

Part 1, gather: every result, in request order, when all are in.
Part 2, wait(FIRST_COMPLETED) loop: results as they arrive, pending passed back each time.
(Twin of examples/fetcher.cpp; times vary, counts do not.)
"""
import asyncio
import resource

N = 1000
TIMEOUT = 1.0


def delay_of(i):
    return 3.0 if i % 50 == 0 else (i % 10) * 0.03  # 20 slow ones


async def serve(reader, writer):
    line = await reader.readline()
    if line:
        i = int(line)
        await asyncio.sleep(delay_of(i))
        writer.write(f"{i * i}\n".encode())
    writer.close()


async def fetch_or_none(port, i):
    """Connects, asks for i*i, and waits at most TIMEOUT for the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"{i}\n".encode())
        return int(await asyncio.wait_for(reader.readline(), TIMEOUT))
    except TimeoutError:
        return None
    finally:
        writer.close()


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * N + 100 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4 * N + 100, hard))
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=N)
    port = server.sockets[0].getsockname()[1]
    async with server:
        t0 = loop.time()
        results = await asyncio.gather(*(fetch_or_none(port, i) for i in range(N)))
        ok = [i for i, r in enumerate(results) if r is not None]
        print(f"gather: {len(ok)} answered, {N - len(ok)} timed out, in request order: "
              f"{all(results[i] == i * i for i in ok)} ({loop.time() - t0:.2f} s)")

        t0 = loop.time()
        pending = [asyncio.create_task(fetch_or_none(port, i)) for i in range(N)]
        answered = timed_out = rounds = 0
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            rounds += 1
            for t in done:
                if t.result() is None:
                    timed_out += 1
                else:
                    answered += 1
        print(f"wait(FIRST_COMPLETED): {answered} answered, {timed_out} timed out, "
              f"in {rounds} rounds ({loop.time() - t0:.2f} s)")
        server.close()


asyncio.run(main())
