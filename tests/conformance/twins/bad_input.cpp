// Twin of bad_input.py: out-of-range ports refused with OverflowError by start_server,
// open_connection, sock_connect and bind; sleep(nan) refused with ValueError; the bind
// error for an address in use.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using twin::say;

namespace {
Coro<void> noop(StreamReader, StreamWriter) { co_return; }

void show(const std::string& what, const char* type, const std::exception& e) {
  say(what, ": ", type, ": ", e.what());
}

Coro<void> amain() {
  auto& loop = asyncio::get_running_loop();
  for (int port : {70000, 65536, -1}) {
    const std::string p = std::to_string(port);
    try {
      asyncio::Server s = co_await asyncio::start_server(noop, std::string("127.0.0.1"), port);
    } catch (const asyncio::OverflowError& e) {
      show("start_server port=" + p, "OverflowError", e);
    }
    try {
      auto rw = co_await asyncio::open_connection("127.0.0.1", port);
    } catch (const asyncio::OverflowError& e) {
      show("open_connection port=" + p, "OverflowError", e);
    }
    asyncio::Socket s;
    s.setblocking(false);
    asyncio::Address a{"127.0.0.1", port};
    try {
      co_await loop.sock_connect(s, a);
    } catch (const asyncio::OverflowError& e) {
      show("sock_connect port=" + p, "OverflowError", e);
    }
    try {
      s.bind(a);
    } catch (const asyncio::OverflowError& e) {
      show("bind port=" + p, "OverflowError", e);
    }
  }
  say("OverflowError is an ArithmeticError: ",
      twin::py_bool(std::is_base_of_v<std::overflow_error, asyncio::OverflowError>));
  try {
    co_await asyncio::sleep(std::numeric_limits<double>::quiet_NaN());
  } catch (const std::invalid_argument& e) {
    show("sleep(nan)", "ValueError", e);
  }
  asyncio::Server server = co_await asyncio::start_server(noop, std::string("127.0.0.1"), 0);
  int port = server.sockets()[0].getsockname().port;
  try {
    asyncio::Server again = co_await asyncio::start_server(noop, std::string("127.0.0.1"), port);
  } catch (const asyncio::OSError& e) {
    std::string want = "[Errno 98] error while attempting to bind on address ('127.0.0.1', " +
                       std::to_string(port) + "): [errno 98] address already in use";
    say("address in use: OSError errno=", e.errnum(),
        " message ok=", twin::py_bool(e.what() == want));
  }
  server.close();
  co_await server.wait_closed();
}
}  // namespace

int main() { asyncio::run(amain()); }
