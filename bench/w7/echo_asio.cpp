// W7 echo server on Boost.Asio with C++20 coroutines (awaitable / co_spawn), one thread:
// the same program as echo_server.cpp. Prints "READY <port>" once listening.
//
//   bench_w7_asio [PORT=0]

#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
asio::awaitable<void> session(tcp::socket sock) {
  char data[65536];
  try {
    sock.set_option(tcp::no_delay(true));
    for (;;) {
      std::size_t n = co_await sock.async_read_some(asio::buffer(data), asio::use_awaitable);
      co_await asio::async_write(sock, asio::buffer(data, n), asio::use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

asio::awaitable<void> listener(tcp::acceptor acceptor) {
  for (;;) {
    tcp::socket sock = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(std::move(sock)), asio::detached);
  }
}
}  // namespace

int main(int argc, char** argv) {
  asio::io_context ctx(1);
  tcp::acceptor acceptor(
      ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0)));
  std::printf("READY %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(ctx, listener(std::move(acceptor)), asio::detached);
  ctx.run();
}
