// Twin of datagram_exchange.py: a datagram exchange on 127.0.0.1 with
// asyncio::create_datagram_endpoint (protocols.hpp), on real sockets: an upper-casing echo
// server, a connected client (one empty datagram), and a client connected to a closed
// port that gets error_received. The callback logs are printed at the end.
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/protocols.hpp"
#include "twin.hpp"

using asyncio::Address;
using asyncio::Coro;
using asyncio::DatagramTransport;
using asyncio::Future;
using twin::say;

namespace {
Address client_addr, server_addr;
Future<void> done;

std::string b(std::string_view s) { return "b'" + std::string(s) + "'"; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string exc_str(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

struct EchoServer {
  std::vector<std::string>* log;
  DatagramTransport transport;
  void connection_made(DatagramTransport t) {
    transport = t;
    log->push_back("connection_made");
  }
  void datagram_received(std::string_view data, const Address& addr) {
    log->push_back("datagram_received " + b(data) +
                   " from client: " + twin::py_bool(addr == client_addr));
    transport.sendto(upper(data), addr);
  }
  void error_received(std::exception_ptr) { log->push_back("error_received"); }
  void connection_lost(std::exception_ptr exc) {
    log->push_back("connection_lost " + exc_str(exc));
    done.set_result();
  }
};

struct Client {
  std::vector<std::string>* log;
  Future<void> waiter;
  void connection_made(DatagramTransport) { log->push_back("connection_made"); }
  void datagram_received(std::string_view data, const Address& addr) {
    log->push_back("datagram_received " + b(data) +
                   " from server: " + twin::py_bool(addr == server_addr));
    waiter.set_result();
  }
  void error_received(std::exception_ptr exc) {
    try {
      std::rethrow_exception(exc);
    } catch (const asyncio::ConnectionRefusedError& e) {
      log->push_back(std::string("error_received ConnectionRefusedError: ") + e.what());
    } catch (const std::exception& e) {
      log->push_back(std::string("error_received other: ") + e.what());
    }
    waiter.set_result();
  }
  void connection_lost(std::exception_ptr exc) {
    log->push_back("connection_lost " + exc_str(exc));
  }
};

Coro<void> amain() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  done = loop.create_future<void>();
  std::vector<std::string> slog, clog, elog;
  auto sf = [&] { return EchoServer{&slog, {}}; };
  // Arguments named first: GCC 12 mishandles class temporaries in a co_await expression.
  std::optional<Address> none, any_port = Address{"127.0.0.1", 0};
  auto st_sp = co_await asyncio::create_datagram_endpoint(loop, sf, any_port);
  [[maybe_unused]] auto& st = st_sp.first;
  [[maybe_unused]] auto& sp = st_sp.second;
  server_addr = *st.get_extra_info<Address>("sockname");
  std::string peer = st.get_extra_info<Address>("peername") ? "set" : "None";
  say("server: peername=", peer, ", made before return: ['", slog.at(0), "']");
  auto cf = [&] { return Client{&clog, {}}; };
  std::optional<Address> to_server = server_addr;
  auto ct_cp = co_await asyncio::create_datagram_endpoint(loop, cf, none, to_server);
  [[maybe_unused]] auto& ct = ct_cp.first;
  [[maybe_unused]] auto& cp = ct_cp.second;
  client_addr = *ct.get_extra_info<Address>("sockname");
  say("client: connected to server: ",
      twin::py_bool(ct.get_extra_info<Address>("peername") == server_addr));
  for (std::string data : {"one", "", "three"}) {
    cp->waiter = loop.create_future<void>();
    ct.sendto(data);
    Future<void> w = cp->waiter;
    co_await w;
  }
  try {
    ct.sendto("x", Address{"127.0.0.1", 9});
  } catch (const std::invalid_argument& e) {
    say("sendto elsewhere: ValueError: ",
        twin::py_bool(std::string(e.what()) ==
                      "Invalid address: must be None or " + server_addr.repr()));
  }
  auto [low, high] = ct.get_write_buffer_limits();
  say("buffer: ", ct.get_write_buffer_size(), ", limits: (", low, ", ", high, ")");

  std::optional<Address> closed;
  {
    asyncio::Socket s(AF_INET, SOCK_DGRAM);
    s.bind(Address{"127.0.0.1", 0});
    closed = s.getsockname();
  }
  auto ef = [&] { return Client{&elog, {}}; };
  auto et_ep = co_await asyncio::create_datagram_endpoint(loop, ef, none, closed);
  [[maybe_unused]] auto& et = et_ep.first;
  [[maybe_unused]] auto& ep = et_ep.second;
  ep->waiter = loop.create_future<void>();
  et.sendto("anyone?");
  Future<void> ew = ep->waiter;
  co_await ew;
  say("after error: is_closing=", twin::py_bool(et.is_closing()));
  for (DatagramTransport* t : {&et, &ct, &st}) t->close();
  say("closing: ", twin::py_bool(st.is_closing()));
  co_await done;
  co_await asyncio::sleep(0);
  say("server side:");
  for (const std::string& line : slog) say("  ", line);
  say("client side:");
  for (const std::string& line : clog) say("  ", line);
  say("unreachable client:");
  for (const std::string& line : elog) say("  ", line);
}
}  // namespace

int main() { asyncio::run(amain()); }
