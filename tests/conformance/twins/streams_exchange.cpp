// Twin of streams_exchange.py: one server and one client on 127.0.0.1, a scripted
// exchange over streams, on real sockets (no virtual clock).
#include <cstdio>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using twin::say;

namespace {
bool server_closing = false;

// Python's repr(bytes) for printable ASCII plus \n.
std::string b(const std::string& s) {
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

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Coro<void> handler(StreamReader reader, StreamWriter writer) {
  say("server: connection from ", writer.get_extra_info("peername")->host);
  for (;;) {
    std::string line = co_await reader.readline();
    if (line.empty()) {
      say("server: eof");
      break;
    }
    std::string cmd = strip(line);
    say("server: got '", cmd, "'");
    if (cmd == "HELLO") {
      writer.write("WELCOME\n");
    } else if (cmd.rfind("SUM ", 0) == 0) {
      int a = 0, c = 0;
      std::sscanf(cmd.c_str(), "SUM %d %d", &a, &c);
      writer.write(std::to_string(a + c) + "\n");
    } else if (cmd.rfind("BIG ", 0) == 0) {
      writer.write(std::string(std::stoul(cmd.substr(4)), 'z'));
    } else if (cmd == "LONG") {
      writer.write(std::string(100, 'y') + "\nshort\n");
    } else if (cmd == "QUIT") {
      writer.write("BYE\npartial");
      co_await writer.drain();
      break;
    }
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
  server_closing = writer.is_closing();
}

Coro<void> amain() {
  asyncio::Server server = co_await asyncio::start_server(handler, std::string("127.0.0.1"), 0);
  int port = server.sockets()[0].getsockname().port;
  say("serving: ", twin::py_bool(server.is_serving()), ", sockets: ", server.sockets().size());
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, {.limit = 64});
  for (std::string cmd : {"HELLO", "SUM 2 40", "BIG 100000"}) {
    writer.write(cmd + "\n");
    co_await writer.drain();
    if (cmd.rfind("BIG", 0) == 0) {
      std::string data = co_await reader.readexactly(100000);
      say("client: BIG -> ", data.size(),
          " bytes, all z: ", twin::py_bool(data == std::string(100000, 'z')));
    } else {
      std::string reply = co_await reader.readline();
      say("client: ", cmd, " -> ", b(reply));
    }
    if (cmd == "HELLO") {
      auto peer = *writer.get_extra_info("peername");
      say("client: peer host ", peer.host, ", port matches ", twin::py_bool(peer.port == port));
    }
  }
  writer.write("LONG\n");
  try {
    co_await reader.readline();
  } catch (const std::invalid_argument& e) {
    say("client: readline ValueError: ", e.what());
  }
  std::string next = co_await reader.readline();
  say("client: next line ", b(next));
  std::vector<std::string> quit{"QU", "IT\n"};
  writer.writelines(quit);
  std::string bye = co_await reader.readuntil("\n");
  say("client: ", b(bye));
  try {
    co_await reader.readexactly(20);
  } catch (const asyncio::IncompleteReadError& e) {
    say("client: IncompleteReadError: ", e.what(), " partial=", b(e.partial()),
        " expected=", *e.expected());
  }
  std::string rest = co_await reader.read();
  say("client: at_eof=", twin::py_bool(reader.at_eof()), ", read -> ", b(rest));
  writer.close();
  co_await writer.wait_closed();
  say("client: closed, is_closing=", twin::py_bool(writer.is_closing()));
  server.close();
  say("serving after close: ", twin::py_bool(server.is_serving()),
      ", sockets: ", server.sockets().size());
  co_await server.wait_closed();
  say("server closed; its writer was closing: ", twin::py_bool(server_closing));

  int free_port;
  {
    asyncio::Socket s;
    s.bind(asyncio::Address{"127.0.0.1", 0});
    free_port = s.getsockname().port;
  }
  try {
    co_await asyncio::open_connection("127.0.0.1", free_port);
  } catch (const asyncio::ConnectionRefusedError& e) {
    std::string want =
        "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(free_port) + ")";
    say("refused: ConnectionRefusedError errno=", e.errnum(),
        " message ok=", twin::py_bool(e.what() == want));
    const std::exception& any = e;
    say("is ConnectionError: ",
        twin::py_bool(dynamic_cast<const asyncio::ConnectionError*>(&any) != nullptr),
        ", is OSError: ", twin::py_bool(dynamic_cast<const asyncio::OSError*>(&any) != nullptr));
  }
}
}  // namespace

int main() { asyncio::run(amain()); }
