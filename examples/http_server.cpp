// An HTTP/1.1 server on 127.0.0.1 written on the protocol layer (examples/support/
// http_server.hpp: keep-alive, pipelining, Content-Length and chunked bodies, limits with
// 431/413, timeouts). Routes, as in the TechEmpower tests:
//   GET /plaintext   Hello, World!                  (text/plain)
//   GET /json        {"message":"Hello, World!"}   (application/json)
//   POST /echo       the request body back
//
// Usage: http_server PORT [LOOPS]   (serves until killed)
// With LOOPS > 1, that many threads each run their own event loop with their own
// listening socket on PORT (SO_REUSEPORT: the kernel spreads the connections), sharing
// nothing — the model of uvicorn/gunicorn workers, one loop per core.
// Try it with:
//   curl -s http://127.0.0.1:PORT/plaintext
//   wrk -t1 -c100 -d5s http://127.0.0.1:PORT/plaintext

#include "support/http_server.hpp"

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s PORT [LOOPS]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int loops = argc == 3 ? std::atoi(argv[2]) : 1;
  if (loops < 1) {
    std::fprintf(stderr, "LOOPS must be at least 1\n");
    return 2;
  }
  static const http_example::Limits limits;
  std::vector<std::thread> workers;
  for (int i = 1; i < loops; ++i)
    workers.emplace_back(
        [port] { asyncio::run(http_example::serve("127.0.0.1", port, true, &limits, false)); });
  asyncio::run(http_example::serve("127.0.0.1", port, loops > 1, &limits, true));
  for (auto& w : workers) w.join();
}
