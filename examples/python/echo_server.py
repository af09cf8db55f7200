"""A TCP echo server on asyncio streams (twin of examples/echo_server.cpp)."""
import asyncio
import sys


async def handle(reader, writer):
    print("connection from", writer.get_extra_info("peername"))
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


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("serving on", server.sockets[0].getsockname(), flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8888))
