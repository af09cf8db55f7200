// A line echo server on a UNIX stream socket: every line a client sends comes back.
// Port of examples/python/unix_echo_server.py:
//
//   async def handle(reader, writer):
//       while line := await reader.readline():
//           writer.write(line)
//           await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def main(path):
//       server = await asyncio.start_unix_server(handle, path)
//       async with server:
//           await server.serve_forever()
//
// Usage: unix_echo_server PATH   (serves until killed; a stale socket file at PATH is
// replaced, and the file is removed when the server closes). A path starting with '@'
// is taken as an abstract-namespace name ('\0' + the rest), as socat spells them.
// Try it with:  socat - UNIX-CONNECT:PATH

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <string>

asyncio::Coro<void> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
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

asyncio::Coro<void> amain(std::string path) {
  asyncio::Server server = co_await asyncio::start_unix_server(handle, path);
  std::printf("serving on %s\n", server.sockets()[0].getsockname().repr().c_str());
  std::fflush(stdout);
  // `async with server:` — run() always closes the server and waits for it.
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PATH\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  if (!path.empty() && path[0] == '@') path[0] = '\0';
  asyncio::run(amain(path));
}
