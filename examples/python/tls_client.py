"""A TLS line client (twin of examples/tls_client.cpp): verifies the server against CAFILE
and HOST, sends each LINE, prints each echoed line.

Usage: tls_client.py HOST PORT CAFILE LINE...
"""
import asyncio
import ssl
import sys


async def main(host, port, cafile, lines):
    ctx = ssl.create_default_context(cafile=cafile)
    reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
    for line in lines:
        writer.write(line.encode() + b"\n")
        await writer.drain()
        print((await reader.readline()).decode().rstrip("\n"), flush=True)
    writer.close()
    await writer.wait_closed()


if len(sys.argv) < 4:
    sys.exit("usage: tls_client.py HOST PORT CAFILE LINE...")
asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]))
