// A line echo server over TLS: every line a client sends comes back, encrypted.
// Port of examples/python/tls_echo_server.py:
//
//   async def handle(reader, writer):
//       while line := await reader.readline():
//           writer.write(line)
//           await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def main(port, certfile, keyfile):
//       ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
//       ctx.load_cert_chain(certfile, keyfile)
//       server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
//       async with server:
//           await server.serve_forever()
//
// Usage: tls_echo_server PORT CERTFILE KEYFILE   (serves on 127.0.0.1 until killed);
// try it with tls_client.

#include <asyncio/asyncio.hpp>
#include <asyncio/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

asyncio::Coro<void> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    for (;;) {
      std::string line = co_await reader.readline();
      if (line.empty()) break;  // EOF (the client's close_notify)
      writer.write(line);
      co_await writer.drain();
    }
  } catch (const asyncio::OSError& e) {  // reset, or a TLS error (SSLError is an OSError)
    std::printf("connection lost: %s\n", e.what());
  } catch (const std::invalid_argument& e) {  // a line over the 64 KiB limit
    std::printf("bad line: %s\n", e.what());
  }
  writer.close();
  try {
    co_await writer.wait_closed();
  } catch (const asyncio::OSError&) {
  }
}

asyncio::Coro<void> amain(int port, std::string certfile, std::string keyfile) {
  asyncio::SSLContext ctx = asyncio::create_default_context(asyncio::Purpose::CLIENT_AUTH);
  ctx.load_cert_chain(certfile, keyfile);
  asyncio::ServerOptions opts;
  opts.ssl = &ctx;
  asyncio::Server server =
      co_await asyncio::start_server(handle, std::string("127.0.0.1"), port, opts);
  std::printf("serving on %s\n", server.sockets()[0].getsockname().repr().c_str());
  std::fflush(stdout);
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tls_echo_server PORT CERTFILE KEYFILE\n");
    return 2;
  }
  return asyncio::run_main(amain(std::atoi(argv[1]), argv[2], argv[3]));
}
