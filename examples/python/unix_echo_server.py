"""A line echo server on a UNIX stream socket (twin of examples/unix_echo_server.cpp)."""
import asyncio
import sys


async def handle(reader, writer):
    try:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
    except ConnectionError as e:
        print("connection lost:", e)
    except ValueError as e:
        print("bad line:", e)
    writer.close()
    await writer.wait_closed()


async def main(path):
    server = await asyncio.start_unix_server(handle, path)
    print("serving on", repr(server.sockets[0].getsockname()), flush=True)
    async with server:
        await server.serve_forever()


if len(sys.argv) != 2:
    sys.exit(f"usage: {sys.argv[0]} PATH")
path = sys.argv[1]
if path.startswith("@"):
    path = "\0" + path[1:]
asyncio.run(main(path))
