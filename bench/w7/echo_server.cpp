// W7 echo server on this library: asyncio streams, read / write / drain per connection
// (the same program as echo_server.py). Prints "READY <port>" once listening. With CERT
// and KEY (TLS builds), it serves TLS (start_server ssl=; bench/w7.py --tls).
//
//   bench_w7_echo [PORT=0] [CERT KEY]

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#ifdef ASYNCIO_HAS_TLS
#include "asyncio/ssl.hpp"
#endif

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

asyncio::Coro<void> amain(int port, std::string cert, std::string key) {
  asyncio::ServerOptions opts;
#ifdef ASYNCIO_HAS_TLS
  std::optional<asyncio::SSLContext> ctx;
  if (!cert.empty()) {
    ctx = asyncio::create_default_context(asyncio::Purpose::CLIENT_AUTH);
    ctx->load_cert_chain(cert, key);
    opts.ssl = &*ctx;
  }
#else
  if (!cert.empty()) throw std::invalid_argument("built without TLS");
#endif
  asyncio::Server server =
      co_await asyncio::start_server(handle, std::string("127.0.0.1"), port, opts);
  std::printf("READY %d\n", server.sockets().at(0).getsockname().port);
  std::fflush(stdout);
  co_await server.run([](asyncio::Server& s) { return s.serve_forever(); });
}
}  // namespace

int main(int argc, char** argv) {
  asyncio::run(
      amain(argc > 1 ? std::atoi(argv[1]) : 0, argc > 3 ? argv[2] : "", argc > 3 ? argv[3] : ""));
}
