# Bad input refused where it enters (issue 13): out-of-range ports (OverflowError from
# bind()/connect(), before any I/O) and a NaN delay given to sleep (ValueError), and an
# address already in use (the bind error names the inner errno). Only inputs CPython
# 3.13 itself refuses are here; the others are in docs/deviations.md.
import asyncio
import socket


async def noop(reader, writer):
    pass


def show(what, e):
    print(f"{what}: {type(e).__name__}: {e}")


async def main():
    loop = asyncio.get_running_loop()
    for port in (70000, 65536, -1):
        try:
            await asyncio.start_server(noop, "127.0.0.1", port)
        except OverflowError as e:
            show(f"start_server port={port}", e)
        try:
            await asyncio.open_connection("127.0.0.1", port)
        except OverflowError as e:
            show(f"open_connection port={port}", e)
        s = socket.socket()
        s.setblocking(False)
        try:
            await loop.sock_connect(s, ("127.0.0.1", port))
        except OverflowError as e:
            show(f"sock_connect port={port}", e)
        try:
            s.bind(("127.0.0.1", port))
        except OverflowError as e:
            show(f"bind port={port}", e)
        s.close()
    print(f"OverflowError is an ArithmeticError: {issubclass(OverflowError, ArithmeticError)}")
    try:
        await asyncio.sleep(float("nan"))
    except ValueError as e:
        show("sleep(nan)", e)
    server = await asyncio.start_server(noop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await asyncio.start_server(noop, "127.0.0.1", port)
    except OSError as e:
        want = (f"[Errno 98] error while attempting to bind on address ('127.0.0.1', {port}): "
                "[errno 98] address already in use")
        print(f"address in use: {type(e).__name__} errno={e.errno} message ok={str(e) == want}")
    server.close()
    await server.wait_closed()


asyncio.run(main())
