"""W7 echo server on asyncio streams: read / write / drain per connection (the same
program as echo_server.cpp). Prints "READY <port>" once listening.

    python3 echo_server.py [--uvloop] [PORT [CERT KEY]]   (CERT KEY: serve TLS)
"""
import asyncio
import ssl
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(port, cert=None, key=None):
    ctx = None
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--uvloop"]
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(args[0]) if args else 0, *args[1:3]))
