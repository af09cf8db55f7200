// W7 echo server on this library: asyncio streams, read / write / drain per connection
// (the same program as echo_server.py). Prints "READY <port>" once listening.
//
//   bench_w7_echo [PORT=0]

#include <cstdio>
#include <cstdlib>
#include <string>

#include "asyncio/asyncio.hpp"

namespace {
asyncio::Coro<void> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    for (;;) {
      std::string data = co_await reader.read(65536);
      if (data.empty()) break;
      writer.write(data);
      co_await writer.drain();
    }
  } catch (const asyncio::ConnectionError&) {
  }
  writer.close();
}

asyncio::Coro<void> amain(int port) {
  asyncio::Server server = co_await asyncio::start_server(handle, std::string("127.0.0.1"), port);
  std::printf("READY %d\n", server.sockets().at(0).getsockname().port);
  std::fflush(stdout);
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}
}  // namespace

int main(int argc, char** argv) { asyncio::run(amain(argc > 1 ? std::atoi(argv[1]) : 0)); }
