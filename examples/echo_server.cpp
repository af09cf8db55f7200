// A TCP echo server on asyncio streams: every line a client sends comes back.
// Port of examples/python/echo_server.py:
//
//   async def handle(reader, writer):
//       while line := await reader.readline():
//           writer.write(line)
//           await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def main():
//       server = await asyncio.start_server(handle, "127.0.0.1", 8888)
//       async with server:
//           await server.serve_forever()
//
// Usage: echo_server [PORT=8888]   (stop with Ctrl-C); try it with echo_client.

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

asyncio::Coro<void> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  auto peer = writer.get_extra_info("peername");
  std::printf("connection from %s\n", peer ? peer->repr().c_str() : "?");
  std::fflush(stdout);
  try {
    for (;;) {
      std::string line = co_await reader.readline();
      if (line.empty()) break;  // EOF
      writer.write(line);
      co_await writer.drain();
    }
  } catch (const asyncio::ConnectionError& e) {  // the peer reset the connection
    std::printf("connection lost: %s\n", e.what());
  } catch (const std::invalid_argument& e) {  // a line over the 64 KiB limit
    std::printf("bad line: %s\n", e.what());
  }
  writer.close();
  co_await writer.wait_closed();
}

asyncio::Coro<void> amain(int port) {
  asyncio::Server server = co_await asyncio::start_server(handle, std::string("127.0.0.1"), port);
  std::printf("serving on %s\n", server.sockets()[0].getsockname().repr().c_str());
  std::fflush(stdout);
  // `async with server:` — run() always closes the server and waits for it.
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}

int main(int argc, char** argv) {
  return asyncio::run_main(amain(argc > 1 ? std::atoi(argv[1]) : 8888));
}
