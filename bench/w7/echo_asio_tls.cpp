// W7 TLS echo server on Boost.Asio: ssl::stream over a TCP socket, C++20 coroutines, one
// thread; the same program as echo_server.cpp with CERT KEY (bench/w7.py --tls). Prints
// "READY <port>" once listening.
//
//   bench_w7_asio_tls PORT CERT KEY

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {
asio::awaitable<void> session(ssl::stream<tcp::socket> stream) {
  char data[65536];
  try {
    stream.next_layer().set_option(tcp::no_delay(true));
    co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
    for (;;) {
      std::size_t n = co_await stream.async_read_some(asio::buffer(data), asio::use_awaitable);
      co_await asio::async_write(stream, asio::buffer(data, n), asio::use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

asio::awaitable<void> listener(tcp::acceptor acceptor, ssl::context& tls) {
  for (;;) {
    tcp::socket sock = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(ssl::stream<tcp::socket>(std::move(sock), tls)),
                   asio::detached);
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_w7_asio_tls PORT CERT KEY\n");
    return 2;
  }
  asio::io_context ctx(1);
  ssl::context tls(ssl::context::tls_server);
  tls.use_certificate_chain_file(argv[2]);
  tls.use_private_key_file(argv[3], ssl::context::pem);
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(std::atoi(argv[1]))));
  std::printf("READY %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(ctx, listener(std::move(acceptor), tls), asio::detached);
  ctx.run();
}
