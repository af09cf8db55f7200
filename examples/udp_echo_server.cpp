// A UDP echo server on 127.0.0.1: each datagram goes back to its sender.
// Port of examples/python/udp_echo_server.py:
//
//   class EchoServerProtocol(asyncio.DatagramProtocol):
//       def connection_made(self, transport):
//           self.transport = transport
//       def datagram_received(self, data, addr):
//           self.transport.sendto(data, addr)
//
//   async def main(port):
//       loop = asyncio.get_running_loop()
//       transport, protocol = await loop.create_datagram_endpoint(
//           EchoServerProtocol, local_addr=("127.0.0.1", port))
//       try:
//           await asyncio.Event().wait()   # serve until killed
//       finally:
//           transport.close()
//
// Usage: udp_echo_server PORT   (serves until killed). Try it with:
//   echo hello | socat -t 1 - UDP:127.0.0.1:PORT

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

struct EchoServerProtocol {
  asyncio::DatagramTransport transport;
  void connection_made(asyncio::DatagramTransport t) { transport = t; }
  void datagram_received(std::string_view data, const asyncio::Address& addr) {
    transport.sendto(data, addr);
  }
};

asyncio::Coro<void> amain(int port) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto factory = [] { return EchoServerProtocol{}; };
  // Named first: GCC 12 mishandles class temporaries in a co_await expression.
  std::optional<asyncio::Address> local = asyncio::Address{"127.0.0.1", port};
  auto [transport, protocol] = co_await asyncio::create_datagram_endpoint(loop, factory, local);
  std::printf("serving on %s\n",
              transport.get_extra_info<asyncio::Address>("sockname")->repr().c_str());
  std::fflush(stdout);
  asyncio::Event forever;
  try {
    co_await forever.wait();
  } catch (...) {
    transport.close();
    throw;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  asyncio::run(amain(std::atoi(argv[1])));
}
