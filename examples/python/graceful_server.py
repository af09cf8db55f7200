# A line echo server on 127.0.0.1 that shuts down gracefully on SIGTERM: it stops
# accepting at once, lets each open connection answer the lines it has already been sent
# (each answer takes 0.5 s), waits for that at most GRACE_SECONDS, closes what is left,
# then exits 0. C++ port: examples/graceful_server.cpp.
#
# Usage: python3 graceful_server.py PORT GRACE_SECONDS   (PORT 0: any free port)
import asyncio
import signal
import sys

stopping = False
idle = set()  # writers of connections waiting for their next line


async def handle(reader, writer):
    try:
        while not (stopping and not reader._buffer):  # done with what it was sent
            idle.add(writer)
            line = await reader.readline()
            idle.discard(writer)
            if not line:
                break
            await asyncio.sleep(0.5)
            writer.write(line)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        idle.discard(writer)
        writer.close()


async def main(port, grace):
    global stopping
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(f"serving on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await stop
    stopping = True
    server.close()  # stop accepting at once
    for w in list(idle):  # idle connections have nothing left to answer
        w.close()
    print("SIGTERM: not accepting any more; finishing open connections", flush=True)
    try:
        await asyncio.wait_for(server.wait_closed(), grace)
        print("all connections finished", flush=True)
    except TimeoutError:
        print("grace period over: closing the rest", flush=True)
        server.close_clients()
        await server.wait_closed()
    print("bye", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: graceful_server.py PORT GRACE_SECONDS")
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
