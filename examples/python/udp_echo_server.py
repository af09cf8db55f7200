"""A UDP echo server on 127.0.0.1 (twin of examples/udp_echo_server.cpp)."""
import asyncio
import sys


class EchoServerProtocol(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(port):
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        EchoServerProtocol, local_addr=("127.0.0.1", port))
    print("serving on", transport.get_extra_info("sockname"), flush=True)
    try:
        await asyncio.Event().wait()  # serve until killed
    finally:
        transport.close()


if len(sys.argv) != 2:
    sys.exit(f"usage: {sys.argv[0]} PORT")
asyncio.run(main(int(sys.argv[1])))
