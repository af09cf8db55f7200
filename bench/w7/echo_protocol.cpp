// W7 echo server on this library's protocol layer: an asyncio.Protocol-style class whose
// data_received writes the bytes back (the same program as echo_protocol.py). Prints
// "READY <port>" once listening.
//
//   bench_w7_echo_protocol [PORT=0]

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "asyncio/asyncio.hpp"

namespace {
struct Echo {
  asyncio::Transport transport;
  void connection_made(asyncio::Transport t) { transport = t; }
  void data_received(std::string_view data) { transport.write(data); }
  // no eof_received: the transport closes (CPython's None)
};

asyncio::Coro<void> amain(int port) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto factory = [] { return Echo{}; };
  asyncio::Server server =
      co_await asyncio::create_server(loop, factory, std::string("127.0.0.1"), port);
  std::printf("READY %d\n", server.sockets().at(0).getsockname().port);
  std::fflush(stdout);
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}
}  // namespace

int main(int argc, char** argv) { asyncio::run(amain(argc > 1 ? std::atoi(argv[1]) : 0)); }
