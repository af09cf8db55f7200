# Real I/O (no virtual clock): a protocol-based TCP echo exchange on 127.0.0.1 with
# loop.create_server / loop.create_connection. Each side records its callbacks; the logs
# are printed at the end, one side after the other, with consecutive data_received calls
# merged (how TCP splits the bytes into chunks is not deterministic).
import asyncio


def merged(log):
    out = []
    for name, data in log:
        if name == "data_received" and out and out[-1][0] == "data_received":
            out[-1] = (name, out[-1][1] + data)
        else:
            out.append((name, data))
    return [f"{n} {d!r}" if n == "data_received" else n if d is None else f"{n} {d}"
            for n, d in out]


class EchoServer(asyncio.Protocol):
    def __init__(self, log, done):
        self.log = log
        self.done = done

    def connection_made(self, transport):
        self.transport = transport
        self.log.append(("connection_made", None))
        peer = transport.get_extra_info("peername")
        self.log.append(("peer", f"{peer[0]} is_closing={transport.is_closing()}"))

    def data_received(self, data):
        self.log.append(("data_received", data))
        self.transport.write(data.upper())

    def eof_received(self):
        self.log.append(("eof_received", None))
        self.transport.write(b"bye\n")
        return False  # close once "bye" is flushed

    def connection_lost(self, exc):
        self.log.append(("connection_lost", f"exc={exc}"))
        self.done.set_result(None)


class Client(asyncio.Protocol):
    def __init__(self, log, done):
        self.log = log
        self.done = done
        self.received = b""
        self.want = None

    def connection_made(self, transport):
        self.transport = transport
        self.log.append(("connection_made", None))

    def data_received(self, data):
        self.log.append(("data_received", data))
        self.received += data
        if self.want is not None and len(self.received) >= self.want[0]:
            self.want[1].set_result(None)
            self.want = None

    async def wait_for(self, n):
        if len(self.received) < n:
            self.want = (n, asyncio.get_running_loop().create_future())
            await self.want[1]

    def eof_received(self):
        self.log.append(("eof_received", None))
        # returns None: the transport closes

    def connection_lost(self, exc):
        self.log.append(("connection_lost", f"exc={exc}"))
        self.done.set_result(None)


async def main():
    loop = asyncio.get_running_loop()
    server_log, client_log = [], []
    server_done, client_done = loop.create_future(), loop.create_future()
    server = await loop.create_server(lambda: EchoServer(server_log, server_done), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"serving: {server.is_serving()}")
    transport, protocol = await loop.create_connection(
        lambda: Client(client_log, client_done), "127.0.0.1", port)
    print(f"create_connection returned after: {[n for n, _ in client_log]}")
    print(f"peer port matches: {transport.get_extra_info('peername')[1] == port}")
    print(f"limits: {transport.get_write_buffer_limits()}, size: {transport.get_write_buffer_size()}")
    print(f"can_write_eof: {transport.can_write_eof()}, is_reading: {transport.is_reading()}")
    expected = 0
    for msg in [b"hello\n", b"echo me\n"]:
        transport.write(msg)
        expected += len(msg)
        await protocol.wait_for(expected)
    transport.writelines([b"one ", b"two\n"])
    expected += 8
    await protocol.wait_for(expected)
    transport.write_eof()
    print(f"after write_eof: is_closing={transport.is_closing()}")
    try:
        transport.write(b"late")
    except RuntimeError as e:
        print(f"write after write_eof: RuntimeError: {e}")
    await server_done
    await client_done
    print(f"client closed: is_closing={transport.is_closing()}")
    print("server side:")
    for line in merged(server_log):
        print(f"  {line}")
    print("client side:")
    for line in merged(client_log):
        print(f"  {line}")
    server.close()
    await server.wait_closed()
    print(f"serving after close: {server.is_serving()}")


asyncio.run(main())
