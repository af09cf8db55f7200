# Real I/O (no virtual clock): one server and one client on 127.0.0.1 in a scripted
# exchange over asyncio streams. Only deterministic lines are printed: the server prints
# a command before it replies, the client prints a reply after it arrived.
import asyncio
import socket

server_closing = None


async def handler(reader, writer):
    host = writer.get_extra_info("peername")[0]
    print(f"server: connection from {host}")
    while True:
        line = await reader.readline()
        if not line:
            print("server: eof")
            break
        cmd = line.decode().strip()
        print(f"server: got {cmd!r}")
        if cmd == "HELLO":
            writer.write(b"WELCOME\n")
        elif cmd.startswith("SUM "):
            a, b = cmd.split()[1:]
            writer.write(f"{int(a) + int(b)}\n".encode())
        elif cmd.startswith("BIG "):
            n = int(cmd.split()[1])
            writer.write(b"z" * n)
        elif cmd == "LONG":
            writer.write(b"y" * 100 + b"\nshort\n")
        elif cmd == "QUIT":
            writer.write(b"BYE\npartial")
            await writer.drain()
            break
        await writer.drain()
    global server_closing
    writer.close()
    await writer.wait_closed()
    server_closing = writer.is_closing()


async def main():
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"serving: {server.is_serving()}, sockets: {len(server.sockets)}")
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=64)
    for cmd in ["HELLO", "SUM 2 40", "BIG 100000"]:
        writer.write(cmd.encode() + b"\n")
        await writer.drain()
        if cmd.startswith("BIG"):
            data = await reader.readexactly(100000)
            print(f"client: BIG -> {len(data)} bytes, all z: {data == b'z' * 100000}")
        else:
            reply = await reader.readline()
            print(f"client: {cmd} -> {reply!r}")
        if cmd == "HELLO":
            print(f"client: peer host {writer.get_extra_info('peername')[0]}, "
                  f"port matches {writer.get_extra_info('peername')[1] == port}")
    writer.write(b"LONG\n")
    try:
        await reader.readline()
    except ValueError as e:
        print(f"client: readline ValueError: {e}")
    print(f"client: next line {await reader.readline()!r}")
    writer.writelines([b"QU", b"IT\n"])
    print(f"client: {await reader.readuntil(b'\n')!r}")
    try:
        await reader.readexactly(20)
    except asyncio.IncompleteReadError as e:
        print(f"client: IncompleteReadError: {e} partial={e.partial!r} expected={e.expected}")
    print(f"client: at_eof={reader.at_eof()}, read -> {await reader.read()!r}")
    writer.close()
    await writer.wait_closed()
    print(f"client: closed, is_closing={writer.is_closing()}")
    server.close()
    print(f"serving after close: {server.is_serving()}, sockets: {len(server.sockets)}")
    await server.wait_closed()
    print(f"server closed; its writer was closing: {server_closing}")

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    free_port = s.getsockname()[1]
    s.close()
    try:
        await asyncio.open_connection("127.0.0.1", free_port)
    except ConnectionRefusedError as e:
        print(f"refused: {type(e).__name__} errno={e.errno} "
              f"message ok={str(e) == f'[Errno 111] Connect call failed (\'127.0.0.1\', {free_port})'}")
        print(f"is ConnectionError: {isinstance(e, ConnectionError)}, "
              f"is OSError: {isinstance(e, OSError)}")


asyncio.run(main())
