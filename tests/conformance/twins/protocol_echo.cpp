// Twin of protocol_echo.py: a protocol-based TCP echo exchange on 127.0.0.1
// (asyncio::create_server / create_connection, protocols.hpp), on real sockets. Each side
// records its callbacks; the logs are printed at the end with consecutive data_received
// calls merged.
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/protocols.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Future;
using asyncio::Transport;
using twin::say;

namespace {
struct Entry {
  std::string name;
  std::string data;
  bool has_data = false;
};
using Log = std::vector<Entry>;

// Python's repr(bytes) for printable ASCII plus \n.
std::string b(std::string_view s) {
  std::string out = "b'";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\'' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out + "'";
}

std::string exc_str(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

std::vector<std::string> merged(const Log& log) {
  std::vector<Entry> out;
  for (const Entry& e : log) {
    if (e.name == "data_received" && !out.empty() && out.back().name == "data_received")
      out.back().data += e.data;
    else
      out.push_back(e);
  }
  std::vector<std::string> lines;
  for (const Entry& e : out) {
    if (e.name == "data_received")
      lines.push_back(e.name + " " + b(e.data));
    else
      lines.push_back(e.has_data ? e.name + " " + e.data : e.name);
  }
  return lines;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

struct EchoServer {
  Log* log;
  Future<void> done;
  Transport transport;

  void connection_made(Transport t) {
    transport = t;
    log->push_back({"connection_made", "", false});
    auto peer = t.get_extra_info<asyncio::Address>("peername");
    log->push_back({"peer", peer->host + " is_closing=" + twin::py_bool(t.is_closing()), true});
  }
  void data_received(std::string_view data) {
    log->push_back({"data_received", std::string(data), true});
    transport.write(upper(data));
  }
  bool eof_received() {
    log->push_back({"eof_received", "", false});
    transport.write("bye\n");
    return false;  // close once "bye" is flushed
  }
  void connection_lost(std::exception_ptr exc) {
    log->push_back({"connection_lost", "exc=" + exc_str(exc), true});
    done.set_result();
  }
};

struct Client {
  Log* log;
  Future<void> done;
  Transport transport;
  std::string received;
  std::optional<std::pair<std::size_t, Future<void>>> want;

  void connection_made(Transport t) {
    transport = t;
    log->push_back({"connection_made", "", false});
  }
  void data_received(std::string_view data) {
    log->push_back({"data_received", std::string(data), true});
    received += data;
    if (want && received.size() >= want->first) {
      want->second.set_result();
      want.reset();
    }
  }
  Coro<void> wait_for(std::size_t n) {
    if (received.size() < n) {
      want.emplace(n, asyncio::get_running_loop().create_future<void>());
      Future<void> f = want->second;
      co_await f;
    }
  }
  void eof_received() { log->push_back({"eof_received", "", false}); }  // void (None): close
  void connection_lost(std::exception_ptr exc) {
    log->push_back({"connection_lost", "exc=" + exc_str(exc), true});
    done.set_result();
  }
};

Coro<void> amain() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  Log server_log, client_log;
  Future<void> server_done = loop.create_future<void>();
  Future<void> client_done = loop.create_future<void>();
  auto server_factory = [&] { return EchoServer{&server_log, server_done, {}}; };
  asyncio::Server server =
      co_await asyncio::create_server(loop, server_factory, std::string("127.0.0.1"), 0);
  int port = server.sockets()[0].getsockname().port;
  say("serving: ", twin::py_bool(server.is_serving()));
  auto client_factory = [&] { return Client{&client_log, client_done, {}, {}, {}}; };
  auto transport_protocol =
      co_await asyncio::create_connection(loop, client_factory, "127.0.0.1", port);
  [[maybe_unused]] auto& transport = transport_protocol.first;
  [[maybe_unused]] auto& protocol = transport_protocol.second;
  std::string names;
  for (const Entry& e : client_log) names += (names.empty() ? "'" : ", '") + e.name + "'";
  say("create_connection returned after: [", names, "]");
  say("peer port matches: ",
      twin::py_bool(transport.get_extra_info<asyncio::Address>("peername")->port == port));
  auto [low, high] = transport.get_write_buffer_limits();
  say("limits: (", low, ", ", high, "), size: ", transport.get_write_buffer_size());
  say("can_write_eof: ", twin::py_bool(transport.can_write_eof()),
      ", is_reading: ", twin::py_bool(transport.is_reading()));
  std::size_t expected = 0;
  for (std::string msg : {"hello\n", "echo me\n"}) {
    transport.write(msg);
    expected += msg.size();
    co_await protocol->wait_for(expected);
  }
  std::vector<std::string> pieces{"one ", "two\n"};
  transport.writelines(pieces);
  expected += 8;
  co_await protocol->wait_for(expected);
  transport.write_eof();
  say("after write_eof: is_closing=", twin::py_bool(transport.is_closing()));
  try {
    transport.write("late");
  } catch (const asyncio::RuntimeError& e) {
    say("write after write_eof: RuntimeError: ", e.what());
  }
  co_await server_done;
  co_await client_done;
  say("client closed: is_closing=", twin::py_bool(transport.is_closing()));
  say("server side:");
  for (const std::string& line : merged(server_log)) say("  ", line);
  say("client side:");
  for (const std::string& line : merged(client_log)) say("  ", line);
  server.close();
  co_await server.wait_closed();
  say("serving after close: ", twin::py_bool(server.is_serving()));
}
}  // namespace

int main() { asyncio::run(amain()); }
