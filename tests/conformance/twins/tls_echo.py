# Real I/O (no virtual clock): TLS on 127.0.0.1 over asyncio streams — start_server(ssl=)
# and open_connection(ssl=), a TLS transport's extra info, certificate verification
# failures, close_notify as EOF, and a STARTTLS upgrade with StreamWriter.start_tls.
# Certificates are made with the openssl command line tool in a temporary directory.
# Only deterministic lines are printed: a side prints what it received after it arrived.
import asyncio
import os
import ssl
import subprocess
import tempfile


def make_certs(d):
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                "basicConstraints=critical,CA:FALSE\n")
    ca_ext = ("-addext 'basicConstraints=critical,CA:TRUE' "
              "-addext 'keyUsage=critical,keyCertSign,cRLSign'")
    for c in [
        f"openssl req -x509 -newkey rsa:2048 -nodes -keyout {d}/ca.key -out {d}/ca.pem "
        f"-days 2 -subj '/CN=twin CA' {ca_ext}",
        f"openssl req -x509 -newkey rsa:2048 -nodes -keyout {d}/other.key -out {d}/other.pem "
        f"-days 2 -subj '/CN=other CA' {ca_ext}",
        f"openssl req -newkey rsa:2048 -nodes -keyout {d}/leaf.key -out {d}/leaf.csr "
        "-subj '/O=asyncio twins/CN=localhost'",
        f"openssl x509 -req -in {d}/leaf.csr -CA {d}/ca.pem -CAkey {d}/ca.key "
        f"-CAcreateserial -out {d}/leaf.pem -days 2 -extfile {d}/ext.cnf",
    ]:
        subprocess.run(c + " >/dev/null 2>&1", shell=True, check=True)


server_eof = None  # an asyncio.Event, set when the handler has read EOF


async def handler(reader, writer):
    first = True
    while line := await reader.readline():
        if first:
            obj = writer.get_extra_info("ssl_object")
            print(f"server: {obj.version()}, server_side={obj.server_side}, "
                  f"peercert={writer.get_extra_info('peercert')}")
            first = False
        print(f"server: got {line!r}")
        writer.write(line.upper())
        await writer.drain()
    print("server: eof")
    server_eof.set()
    writer.close()
    await writer.wait_closed()


async def main():
    global server_eof
    server_eof = asyncio.Event()
    with tempfile.TemporaryDirectory() as d:
        make_certs(d)
        sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        sctx.load_cert_chain(f"{d}/leaf.pem", f"{d}/leaf.key")
        cctx = ssl.create_default_context(cafile=f"{d}/ca.pem")
        other = ssl.create_default_context(cafile=f"{d}/other.pem")

        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=sctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=cctx,
                                                       server_hostname="localhost")
        cert = writer.get_extra_info("peercert")
        print(f"client: subject {cert['subject']}")
        print(f"client: issuer {cert['issuer']}")
        print(f"client: version {cert['version']}, subjectAltName {cert['subjectAltName']}")
        name, proto, bits = writer.get_extra_info("cipher")
        print(f"client: cipher {name} {proto} {bits}")
        obj = writer.get_extra_info("ssl_object")
        print(f"client: {obj.version()}, server_side={obj.server_side}, "
              f"server_hostname={obj.server_hostname}, alpn={obj.selected_alpn_protocol()}, "
              f"compression={writer.get_extra_info('compression')}")
        print(f"client: sslcontext is ours: {writer.get_extra_info('sslcontext') is cctx}")
        for line in [b"hello\n", b"world\n"]:
            writer.write(line)
            await writer.drain()
            print(f"client: echo {await reader.readline()!r}")
        writer.close()
        await writer.wait_closed()
        print("client: closed")
        await server_eof.wait()
        server_eof.clear()

        # A client that goes without close_notify: an EOF for the server, not an error.
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=cctx,
                                                       server_hostname="localhost")
        writer.write(b"abort next\n")
        print(f"client: echo {await reader.readline()!r}")
        writer.transport.abort()
        await server_eof.wait()
        print("client: aborted")

        for label, ctx, host in [("wrong name", cctx, "example.com"),
                                 ("untrusted", other, "localhost")]:
            try:
                await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname=host)
            except ssl.SSLCertVerificationError as e:
                print(f"client: {label}: {type(e).__name__} {e.reason}: {e.verify_message}")
        server.close()
        await server.wait_closed()

        async def starttls_handler(reader, writer):
            line = await reader.readline()
            print(f"starttls server: got {line!r} in clear")
            writer.write(b"OK\n")
            await writer.start_tls(sctx)
            line = await reader.readline()
            version = writer.get_extra_info("ssl_object").version()
            print(f"starttls server: got {line!r} over {version}")
            writer.write(b"secret received\n")
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(starttls_handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        print(f"client: plain ssl_object {writer.get_extra_info('ssl_object')}")
        writer.write(b"STARTTLS\n")
        print(f"client: reply {await reader.readline()!r}")
        await writer.start_tls(cctx, server_hostname="localhost")
        print(f"client: upgraded to {writer.get_extra_info('ssl_object').version()}")
        writer.write(b"the secret\n")
        print(f"client: reply {await reader.readline()!r}")
        print(f"client: then {await reader.read()!r}")
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        print("done")


asyncio.run(main())
