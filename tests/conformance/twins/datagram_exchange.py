# Real I/O (no virtual clock): a datagram exchange on 127.0.0.1 with
# loop.create_datagram_endpoint. An echo server answers each datagram in upper case; a
# connected client sends three (one empty, as 3.13 sends them) and waits for each reply;
# a second client, connected to a closed port, gets error_received from the ICMP port
# unreachable. Each side records its callbacks; the logs are printed at the end.
import asyncio
import socket


class EchoServer(asyncio.DatagramProtocol):
    def __init__(self, log):
        self.log = log

    def connection_made(self, transport):
        self.transport = transport
        self.log.append("connection_made")

    def datagram_received(self, data, addr):
        self.log.append(f"datagram_received {data!r} from client: {addr == client_addr}")
        self.transport.sendto(data.upper(), addr)

    def error_received(self, exc):
        self.log.append(f"error_received {type(exc).__name__}")

    def connection_lost(self, exc):
        self.log.append(f"connection_lost {exc}")
        done.set_result(None)


class Client(asyncio.DatagramProtocol):
    def __init__(self, log):
        self.log = log
        self.waiter = None

    def connection_made(self, transport):
        self.log.append("connection_made")

    def datagram_received(self, data, addr):
        self.log.append(f"datagram_received {data!r} from server: {addr == server_addr}")
        self.waiter.set_result(None)

    def error_received(self, exc):
        self.log.append(f"error_received {type(exc).__name__}: {exc}")
        self.waiter.set_result(None)

    def connection_lost(self, exc):
        self.log.append(f"connection_lost {exc}")


async def main():
    global client_addr, server_addr, done
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    slog, clog, elog = [], [], []
    st, sp = await loop.create_datagram_endpoint(lambda: EchoServer(slog), local_addr=("127.0.0.1", 0))
    server_addr = st.get_extra_info("sockname")
    print(f"server: peername={st.get_extra_info('peername')}, made before return: {slog}")
    ct, cp = await loop.create_datagram_endpoint(lambda: Client(clog), remote_addr=server_addr)
    client_addr = ct.get_extra_info("sockname")
    print(f"client: connected to server: {ct.get_extra_info('peername') == server_addr}")
    for data in [b"one", b"", b"three"]:
        cp.waiter = loop.create_future()
        ct.sendto(data)
        await cp.waiter
    try:
        ct.sendto(b"x", ("127.0.0.1", 9))
    except ValueError as e:
        print(f"sendto elsewhere: ValueError: {str(e) == f'Invalid address: must be None or {server_addr}'}")
    print(f"buffer: {ct.get_write_buffer_size()}, limits: {ct.get_write_buffer_limits()}")

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()
    s.close()
    et, ep = await loop.create_datagram_endpoint(lambda: Client(elog), remote_addr=closed)
    ep.waiter = loop.create_future()
    et.sendto(b"anyone?")
    await ep.waiter
    print(f"after error: is_closing={et.is_closing()}")
    for t in (et, ct, st):
        t.close()
    print(f"closing: {st.is_closing()}")
    await done
    await asyncio.sleep(0)
    print("server side:")
    for line in slog:
        print(f"  {line}")
    print("client side:")
    for line in clog:
        print(f"  {line}")
    print("unreachable client:")
    for line in elog:
        print(f"  {line}")


asyncio.run(main())
