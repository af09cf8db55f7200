"""A TCP echo client (twin of examples/echo_client.cpp)."""
import asyncio
import sys


async def main(port, messages):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for m in messages:
            writer.write(m.encode() + b"\n")
            await writer.drain()
            print("echo:", (await reader.readline()).decode().rstrip("\n"))
        writer.close()
        await writer.wait_closed()
    except ConnectionRefusedError as e:
        print(e, "(is echo_server running?)")


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
asyncio.run(main(port, sys.argv[2:] or ["hello", "world"]))
