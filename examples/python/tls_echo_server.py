"""A line echo server over TLS (twin of examples/tls_echo_server.cpp).

Usage: tls_echo_server.py PORT CERTFILE KEYFILE   (serves on 127.0.0.1 until killed)
"""
import asyncio
import ssl
import sys


async def handle(reader, writer):
    try:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
    except OSError as e:
        print("connection lost:", e)
    except ValueError as e:
        print("bad line:", e)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass


async def main(port, certfile, keyfile):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certfile, keyfile)
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
    print("serving on", server.sockets[0].getsockname(), flush=True)
    async with server:
        await server.serve_forever()


if len(sys.argv) != 4:
    sys.exit("usage: tls_echo_server.py PORT CERTFILE KEYFILE")
asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
