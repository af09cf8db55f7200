// Unit tests for asyncio/protocols.hpp: create_connection, create_server,
// create_unix_connection, create_unix_server (and the UNIX streams of streams.hpp), on
// real sockets — loopback TCP, UNIX paths in a temporary directory, the abstract
// namespace. Expected messages and callback orders are CPython 3.13's (Lib/asyncio/
// base_events.py, selector_events.py, unix_events.py; the same programs were run under
// CPython 3.13). No real sleeps: every wait is on I/O (socat runs as a child process).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/protocols.hpp"

namespace {

using asyncio::Address;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Server;
using asyncio::Transport;

// ASSERT_* cannot be used in a coroutine (it returns): fail and co_return instead.
#define CO_ASSERT(cond)                     \
  do {                                      \
    if (!(cond)) {                          \
      ADD_FAILURE() << "failed: " << #cond; \
      co_return;                            \
    }                                       \
  } while (0)

void run(Coro<void> main) { asyncio::run(std::move(main)); }
int port_of(const Server& s) { return s.sockets().at(0).getsockname().port; }

std::string what(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

// A protocol that records its callbacks ("made", "data:<bytes>", "eof", "lost:<exc>") and
// optionally echoes; `lost` completes on connection_lost.
struct Recorder {
  std::vector<std::string>* log;
  Future<void> lost;
  bool echo = false;
  bool keep_open_on_eof = false;
  Transport transport;
  Transport* share = nullptr;  ///< where to copy the transport for the test, if set

  void connection_made(Transport t) {
    transport = t;
    if (share) *share = t;
    log->push_back("made");
  }
  void data_received(std::string_view data) {
    if (!log->empty() && log->back().rfind("data:", 0) == 0)
      log->back() += data;  // TCP may split the bytes any way
    else
      log->push_back("data:" + std::string(data));
    if (echo) transport.write(data);
  }
  bool eof_received() {
    log->push_back("eof");
    return keep_open_on_eof;
  }
  void connection_lost(std::exception_ptr exc) {
    log->push_back("lost:" + what(exc));
    if (lost.valid() && !lost.done()) lost.set_result();
  }
};

// Waits until `pred()` holds, one loop iteration at a time (bounded).
template <class P>
Coro<bool> until(P pred, int max_iterations = 100000) {
  for (int i = 0; i < max_iterations; ++i) {
    if (pred()) co_return true;
    co_await asyncio::sleep(0);
  }
  co_return pred();
}

// A temporary directory, removed with what is left in it.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/asyncio-proto-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

TEST(Protocols, EchoCallbackOrderOnBothSides) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    auto sf = [&] { return Recorder{&slog, slost, true, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    // create_connection returns once connection_made has run (CPython's waiter).
    EXPECT_EQ(clog, std::vector<std::string>{"made"});
    EXPECT_EQ(p->transport, t);
    t.write("ping");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && clog[1] == "data:ping"; }));
    t.write_eof();  // the server's eof_received returns false: it closes
    co_await slost;
    co_await clost;
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "data:ping", "eof", "lost:None"}));
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "data:ping", "eof", "lost:None"}));
    EXPECT_TRUE(t.is_closing());
    EXPECT_THROW(t.write("x"), asyncio::RuntimeError);  // after write_eof, even when lost
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, MinimalProtocolAndFactoryKinds) {
  static int alive = 0;
  struct Minimal {  // no callbacks at all: asyncio.Protocol's defaults
    Minimal() { ++alive; }
    Minimal(const Minimal&) = delete;
    ~Minimal() { --alive; }
  };
  struct Holding {  // holds its own transport: the cycle is broken after connection_lost
    Transport transport;
    Holding() { ++alive; }
    ~Holding() { --alive; }
    void connection_made(const Transport& t) { transport = t; }
    void connection_lost() {}
  };
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sf = [] { return Minimal(); };  // constructed in place: need not be movable
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    int port = port_of(server);
    {
      auto uf = [] { return std::make_unique<Holding>(); };
      auto t_p = co_await asyncio::create_connection(loop, uf, "127.0.0.1", port);
      [[maybe_unused]] auto& t = t_p.first;
      [[maybe_unused]] auto& p = t_p.second;
      static_assert(std::is_same_v<std::remove_reference_t<decltype(p)>, Holding*>);
      EXPECT_EQ(p->transport, t);
      t.close();
      EXPECT_TRUE(co_await until(
          [&] { return t.get_extra_info<asyncio::TransportSocket>("socket")->fileno() == -1; }));
    }
    {
      auto shf = [] { return std::make_shared<Holding>(); };
      auto t_p = co_await asyncio::create_connection(loop, shf, "127.0.0.1", port);
      [[maybe_unused]] auto& t = t_p.first;
      [[maybe_unused]] auto& p = t_p.second;
      static_assert(std::is_same_v<std::remove_reference_t<decltype(p)>, std::shared_ptr<Holding>>);
      t.abort();
      EXPECT_TRUE(co_await until([&] {
        return p->transport.get_extra_info<asyncio::TransportSocket>("socket")->fileno() == -1;
      }));
      // The shared protocol outlives the connection; its Transport handle still works.
      EXPECT_TRUE(p->transport.is_closing());
      p->transport = Transport();
    }
    server.close();
    co_await server.wait_closed();
    EXPECT_TRUE(co_await until([&] { return alive == 0; }));
  }());
  EXPECT_EQ(alive, 0);
}

TEST(Protocols, HalfCloseEofReceivedKeepsOpen) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    Transport st;
    auto sf = [&] { return Recorder{&slog, slost, false, true, {}, &st}; };  // eof: keep open
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Recorder{&clog, clost, false, true, {}, nullptr}; };
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    t.write("request");
    t.write_eof();
    EXPECT_TRUE(t.can_write_eof());
    EXPECT_TRUE(co_await until([&] { return slog.size() == 3; }));
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "data:request", "eof"}));
    // Half-closed: the server still writes after the client's EOF, and is not closing.
    EXPECT_FALSE(st.is_closing());
    EXPECT_TRUE(st.is_reading());  // CPython: only paused / closing count
    st.write("reply");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    EXPECT_EQ(clog[1], "data:reply");
    st.close();  // the client's eof_received keeps it open: it must close itself
    co_await slost;
    EXPECT_TRUE(co_await until([&] { return clog.size() == 3; }));
    EXPECT_EQ(clog.back(), "eof");
    EXPECT_FALSE(t.is_closing());
    t.close();
    co_await clost;
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "data:reply", "eof", "lost:None"}));
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "data:request", "eof", "lost:None"}));
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, CloseClients) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    auto sf = [&] { return Recorder{&slog, slost, false, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    EXPECT_TRUE(co_await until([&] { return !slog.empty(); }));
    server.close_clients();
    co_await slost;
    co_await clost;
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "eof", "lost:None"}));
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, AbortClients) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    auto sf = [&] { return Recorder{&slog, slost, false, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    EXPECT_TRUE(co_await until([&] { return !slog.empty(); }));
    server.close();
    bool waited = false;
    auto waiter = [&]() -> Coro<void> {
      co_await server.wait_closed();  // waits for the attached connection
      waited = true;
    };
    asyncio::Task<void> wt = loop.create_task(waiter());
    co_await asyncio::sleep(0);
    EXPECT_FALSE(waited);
    server.abort_clients();
    co_await slost;
    co_await wt;
    EXPECT_TRUE(waited);
    co_await clost;  // the peer sees EOF: eof_received returns false, connection_lost(None)
    EXPECT_EQ(slog.back(), "lost:None");
  }());
}

TEST(Protocols, ReusePortServers) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    auto f = [&] { return Recorder{&log, Future<void>(), false, false, {}, nullptr}; };
    asyncio::ServerOptions rp;
    rp.reuse_port = true;
    std::string host = "127.0.0.1";
    Server a = co_await asyncio::create_server(loop, f, host, 0, rp);
    int port = port_of(a);
    // Both listen on the port (SO_REUSEPORT); the kernel spreads the connections.
    Server b = co_await asyncio::create_server(loop, f, host, port, rp);
    EXPECT_EQ(port_of(b), port);
    EXPECT_EQ(b.sockets().at(0).getsockopt(SOL_SOCKET, SO_REUSEPORT), 1);
    auto cb = [](asyncio::StreamReader, asyncio::StreamWriter) -> Coro<void> { co_return; };
    Server c = co_await asyncio::start_server(cb, host, port, rp);  // streams too
    EXPECT_EQ(port_of(c), port);
    asyncio::ServerOptions plain;
    try {
      co_await asyncio::create_server(loop, f, host, port, plain);
      ADD_FAILURE();
    } catch (const asyncio::OSError& e) {
      EXPECT_EQ(e.errnum(), EADDRINUSE);
    }
    for (Server* s : {&a, &b, &c}) {
      s->close();
      co_await s->wait_closed();
    }
  }());
}

TEST(Protocols, ConnectionRefusedAndPortOverflow) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    auto f = [&] { return Recorder{&log, Future<void>(), false, false, {}, nullptr}; };
    int free_port;
    {
      asyncio::Socket s;
      s.bind(Address{"127.0.0.1", 0});
      free_port = s.getsockname().port;
    }
    try {
      co_await asyncio::create_connection(loop, f, "127.0.0.1", free_port);
      ADD_FAILURE();
    } catch (const asyncio::ConnectionRefusedError& e) {
      EXPECT_EQ(std::string(e.what()),
                "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(free_port) + ")");
    }
    EXPECT_TRUE(log.empty());  // the factory is not called when connecting fails
    // CPython 3.13: OverflowError from the socket call for a numeric host.
    for (int port : {70000, -1, 65536}) {
      try {
        co_await asyncio::create_connection(loop, f, "127.0.0.1", port);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "connect(): port must be 0-65535.");
      }
      try {
        co_await asyncio::create_server(loop, f, std::string("127.0.0.1"), port);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "bind(): port must be 0-65535.");
      }
      try {
        co_await asyncio::open_connection("127.0.0.1", port);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "connect(): port must be 0-65535.");
      }
      auto cb = [](asyncio::StreamReader, asyncio::StreamWriter) -> Coro<void> { co_return; };
      try {
        co_await asyncio::start_server(cb, std::string("127.0.0.1"), port);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "bind(): port must be 0-65535.");
      }
    }
  }());
}

TEST(Protocols, LocalAddr) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    auto sf = [&] { return Recorder{&slog, Future<void>(), false, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    int lport;
    {
      asyncio::Socket s;
      s.bind(Address{"127.0.0.1", 0});
      lport = s.getsockname().port;
    }
    auto cf = [&] { return Recorder{&clog, Future<void>(), false, false, {}, nullptr}; };
    asyncio::ConnectionOptions opts;
    opts.local_addr = Address{"127.0.0.1", lport};
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server), opts);
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    EXPECT_EQ(t.get_extra_info<Address>("sockname")->port, lport);
    // Binding the same local address again fails with CPython's message.
    try {
      co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server), opts);
      ADD_FAILURE();
    } catch (const asyncio::OSError& e) {
      EXPECT_EQ(std::string(e.what()),
                "[Errno 98] error while attempting to bind on address ('127.0.0.1', " +
                    std::to_string(lport) + "): [errno 98] address already in use");
    }
    t.close();
    server.close();
    server.abort_clients();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, CallbackExceptions) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> handled;
    loop.set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext& ctx) {
      handled.push_back(ctx.message + " / " + what(ctx.exception));
    });
    struct Throwing {
      std::vector<std::string>* log;
      Future<void> lost;
      void data_received(std::string_view) { throw std::runtime_error("boom"); }
      void connection_lost(std::exception_ptr e) {
        log->push_back("lost:" + what(e));
        lost.set_result();
      }
    };
    std::vector<std::string> slog;
    Future<void> slost = loop.create_future<void>();
    auto sf = [&] { return Throwing{&slog, slost}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    std::vector<std::string> clog;
    Future<void> clost = loop.create_future<void>();
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    t.write("x");
    co_await slost;
    // _fatal_error: the handler (not an OSError), then connection_lost(exc).
    EXPECT_EQ(slog, std::vector<std::string>{"lost:boom"});
    CO_ASSERT((handled.size()) == (1u));
    EXPECT_EQ(handled[0], "Fatal error: protocol.data_received() call failed. / boom");
    co_await clost;
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, CancelledCreateConnectionClosesTheTransport) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>();
    auto sf = [&] { return Recorder{&slog, slost, false, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Recorder{&clog, Future<void>(), false, false, {}, nullptr}; };
    auto connect = [&]() -> Coro<void> {
      co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    };
    asyncio::Task<void> task = loop.create_task(connect());
    // Cancel once the protocol exists (connection_made ran), before the waiter completes.
    EXPECT_TRUE(co_await until([&] { return !clog.empty(); }));
    task.cancel();
    try {
      co_await task;
      ADD_FAILURE();
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "lost:None"}));
    co_await slost;
    server.close();
    co_await server.wait_closed();
  }());
}

// --- UNIX sockets --------------------------------------------------------------------------

Coro<void> line_echo(asyncio::StreamReader r, asyncio::StreamWriter w) {
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    w.write(line);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
}

TEST(Unix, StreamsEchoAndSocketFileLifetime) {
  TempDir dir;
  std::string path = dir.file("echo.sock");
  run([](std::string path) -> Coro<void> {
    Server server = co_await asyncio::start_unix_server(line_echo, path);
    EXPECT_TRUE(exists(path));
    EXPECT_EQ(server.sockets().at(0).getsockname(), Address::unix_path(path));
    EXPECT_EQ(server.repr().find("family=1, type=1, proto=0, laddr=" + path + ">"),
              server.repr().find("family=1"));
    auto [r, w] = co_await asyncio::open_unix_connection(path);
    EXPECT_EQ(*w.get_extra_info("peername"), Address::unix_path(path));
    EXPECT_EQ(w.get_extra_info("sockname")->host, "");  // unnamed: Python's ''
    EXPECT_EQ(w.get_extra_info("peername")->repr(), "'" + path + "'");
    w.write("hello\n");
    EXPECT_EQ(co_await r.readline(), "hello\n");
    w.close();
    co_await w.wait_closed();
    server.close();
    EXPECT_FALSE(exists(path));  // 3.13: close() removes the socket file
    co_await server.wait_closed();
  }(path));
}

TEST(Unix, StaleSocketFileIsReplacedOtherFilesAreNot) {
  TempDir dir;
  run([](const TempDir& dir) -> Coro<void> {
    std::string stale = dir.file("stale.sock");
    {
      asyncio::Socket s(AF_UNIX, SOCK_STREAM);
      s.bind(Address::unix_path(stale));  // left behind when closed
    }
    EXPECT_TRUE(exists(stale));
    Server server = co_await asyncio::start_unix_server(line_echo, stale);
    auto [r, w] = co_await asyncio::open_unix_connection(stale);
    w.write("x\n");
    EXPECT_EQ(co_await r.readline(), "x\n");
    w.close();
    server.close();
    co_await server.wait_closed();

    std::string regular = dir.file("regular");
    std::fclose(std::fopen(regular.c_str(), "w"));
    try {
      co_await asyncio::start_unix_server(line_echo, regular);
      ADD_FAILURE();
    } catch (const asyncio::OSError& e) {
      EXPECT_EQ(e.errnum(), EADDRINUSE);
      EXPECT_EQ(std::string(e.what()), "[Errno 98] Address '" + regular + "' is already in use");
    }
    EXPECT_TRUE(exists(regular));

    // cleanup_socket=False keeps the file; a file replaced meanwhile is not removed.
    std::string kept = dir.file("kept.sock");
    Server s2 = co_await asyncio::start_unix_server(line_echo, kept, {.cleanup_socket = false});
    s2.close();
    co_await s2.wait_closed();
    EXPECT_TRUE(exists(kept));
    Server s3 = co_await asyncio::start_unix_server(line_echo, kept);
    ::unlink(kept.c_str());
    std::fclose(std::fopen(kept.c_str(), "w"));  // another file, another inode
    s3.close();
    co_await s3.wait_closed();
    EXPECT_TRUE(exists(kept));

    try {
      co_await asyncio::open_unix_connection(dir.file("missing.sock"));
      ADD_FAILURE();
    } catch (const asyncio::OSError& e) {
      EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory");
    }
  }(dir));
}

TEST(Unix, AbstractNamespace) {
  run([]() -> Coro<void> {
    std::string name = std::string(1, '\0') + "asyncio-test-" + std::to_string(::getpid());
    Server server = co_await asyncio::start_unix_server(line_echo, name);
    Address bound = server.sockets().at(0).getsockname();
    EXPECT_EQ(bound.host, name);
    EXPECT_EQ(bound.repr(), "b'\\x00asyncio-test-" + std::to_string(::getpid()) + "'");
    auto [r, w] = co_await asyncio::open_unix_connection(name);
    w.write("abstract\n");
    EXPECT_EQ(co_await r.readline(), "abstract\n");
    EXPECT_EQ(w.get_extra_info("peername")->host, name);
    w.close();
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Unix, ProtocolsAndPeerCredentials) {
  TempDir dir;
  std::string path = dir.file("proto.sock");
  run([](std::string path) -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    std::optional<asyncio::PeerCred> seen;
    struct Server_ : Recorder {
      std::optional<asyncio::PeerCred>* seen;
      void connection_made(Transport t) {
        Recorder::connection_made(t);
        *seen = t.get_extra_info<asyncio::PeerCred>("peercred");
      }
    };
    auto sf = [&] { return Server_{{&slog, slost, true, false, {}, nullptr}, &seen}; };
    Server server = co_await asyncio::create_unix_server(loop, sf, path);
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    auto t_p = co_await asyncio::create_unix_connection(loop, cf, path);
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    auto cred = t.get_extra_info<asyncio::PeerCred>("peercred");
    CO_ASSERT(cred.has_value());
    EXPECT_EQ(cred->pid, ::getpid());
    EXPECT_EQ(cred->uid, ::getuid());
    EXPECT_EQ(cred->gid, ::getgid());
    auto sock = t.get_extra_info<asyncio::TransportSocket>("socket");
    EXPECT_EQ(sock->family(), AF_UNIX);
    EXPECT_EQ(sock->repr(), "<asyncio.TransportSocket fd=" + std::to_string(sock->fileno()) +
                                ", family=1, type=1, proto=0, raddr=" + path + ">");
    t.write("over unix");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    EXPECT_EQ(clog[1], "data:over unix");
    CO_ASSERT(seen.has_value());
    EXPECT_EQ(seen->pid, ::getpid());
    t.close();
    co_await clost;
    co_await slost;
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "data:over unix", "eof", "lost:None"}));
    server.close();
    co_await server.wait_closed();
  }(path));
}

// Runs `cmd` through the shell on a worker thread; its standard output.
Coro<std::string> shell(std::string cmd) {
  auto job = [cmd]() {
    std::string out;
    FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
    return out;
  };
  co_return co_await asyncio::to_thread(job);
}

TEST(Unix, SocatInterop) {
  ASSERT_EQ(std::system("command -v socat >/dev/null"), 0)
      << "socat is required (scripts/setup.sh installs it)";
  TempDir dir;
  std::string path = dir.file("socat.sock");
  run([](std::string path, std::string dir) -> Coro<void> {
    // socat as the client of our UNIX stream server.
    Server server = co_await asyncio::start_unix_server(line_echo, path);
    std::string out =
        co_await shell("printf 'one\\ntwo\\n' | timeout 10 socat -t 5 - UNIX-CONNECT:" + path);
    EXPECT_EQ(out, "one\ntwo\n");
    server.close();
    co_await server.wait_closed();
    // socat as the server: it echoes what our client sends, then exits.
    std::string spath = dir + "/socat-server.sock";
    std::string ready = dir + "/ready";
    EventLoop& loop = asyncio::get_running_loop();
    auto socat_server = [spath]() {
      return std::system(("timeout 10 socat UNIX-LISTEN:" + spath + " EXEC:cat").c_str());
    };
    auto bg = loop.run_in_executor(nullptr, socat_server);
    // Connect as soon as socat listens (a real wait on another process).
    std::optional<std::pair<asyncio::StreamReader, asyncio::StreamWriter>> conn;
    for (int i = 0; i < 2000 && !conn; ++i) {
      bool failed = false;
      try {
        conn.emplace(co_await asyncio::open_unix_connection(spath));
      } catch (const asyncio::OSError&) {
        failed = true;
      }
      if (failed) co_await asyncio::sleep(0.005);
    }
    CO_ASSERT(conn.has_value());
    auto& [r, w] = *conn;
    w.write("through socat\n");
    EXPECT_EQ(co_await r.readline(), "through socat\n");
    w.write_eof();
    EXPECT_EQ(co_await r.read(), "");
    w.close();
    EXPECT_EQ(co_await bg, 0);
  }(path, dir.path));
}

TEST(Protocols, CreateServerReusePortTwoServersShareAPort) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> alog, blog;
    auto af = [&] { return Recorder{&alog, {}, true, false, {}, nullptr}; };
    auto bf = [&] { return Recorder{&blog, {}, true, false, {}, nullptr}; };
    asyncio::ServerOptions o{.reuse_port = true};
    Server a = co_await asyncio::create_server(loop, af, std::string("127.0.0.1"), 0, o);
    const int port = port_of(a);
    Server b = co_await asyncio::create_server(loop, bf, std::string("127.0.0.1"), port, o);
    EXPECT_EQ(port_of(b), port);
    for (int i = 0; i < 8; ++i) {
      std::vector<std::string> clog;
      Future<void> clost = loop.create_future<void>();
      auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
      auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port);
      Transport t = t_p.first;
      t.write("ping");
      t.write_eof();
      co_await clost;
      EXPECT_EQ(clog, (std::vector<std::string>{"made", "data:ping", "eof", "lost:None"}));
    }
    // Each connection was made on one of the two servers.
    auto made = [](const std::vector<std::string>& log) {
      return std::count(log.begin(), log.end(), std::string("made"));
    };
    EXPECT_EQ(made(alog) + made(blog), 8);
    a.close();
    b.close();
    co_await a.wait_closed();
    co_await b.wait_closed();
  }());
}

// --- happy eyeballs (create_connection / open_connection happy_eyeballs_delay, interleave) ---

asyncio::AddrInfo tcp_info(const std::string& host, int port, int family = AF_INET) {
  return asyncio::AddrInfo{family, SOCK_STREAM, IPPROTO_TCP, "", Address{host, port, family}};
}

// A port where connect() is refused: bound, never listening (kept for the test's life).
struct ClosedPort {
  asyncio::Socket sock;
  int port = 0;
  explicit ClosedPort(int family = AF_INET) : sock(family, SOCK_STREAM, 0) {
    sock.bind(Address{family == AF_INET ? "127.0.0.1" : "::1", 0, family});
    port = sock.getsockname().port;
  }
};

std::string hosts_of(const std::vector<asyncio::AddrInfo>& v) {
  std::string out;
  for (const auto& ai : v) out += ai.sockaddr.host + ";";
  return out;
}

TEST(Protocols, InterleaveAddrinfosAsCPython) {
  // CPython: _interleave_addrinfos([v6 a, v6 b, v4 c, v4 d, v6 e], n)
  std::vector<asyncio::AddrInfo> in = {tcp_info("::a", 1, AF_INET6), tcp_info("::b", 1, AF_INET6),
                                       tcp_info("1.0.0.3", 1), tcp_info("1.0.0.4", 1),
                                       tcp_info("::e", 1, AF_INET6)};
  EXPECT_EQ(hosts_of(asyncio::detail::interleave_addrinfos(in, 1)), "::a;1.0.0.3;::b;1.0.0.4;::e;");
  EXPECT_EQ(hosts_of(asyncio::detail::interleave_addrinfos(in, 2)), "::a;::b;1.0.0.3;::e;1.0.0.4;");
  EXPECT_EQ(hosts_of(asyncio::detail::interleave_addrinfos(in, 9)), "::a;::b;::e;1.0.0.3;1.0.0.4;");
}

TEST(Protocols, HappyEyeballsSkipsARefusedAndAStalledAddress) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog;
    auto sf = [&] { return Recorder{&slog, {}, true, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    ClosedPort closed;
    // A listener whose accept queue is full (backlog 0, one connection pending): the
    // kernel drops further SYNs, so a connect() there stalls.
    int full = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t slen = sizeof sin;
    CO_ASSERT(::bind(full, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    CO_ASSERT(::listen(full, 0) == 0);
    CO_ASSERT(::getsockname(full, reinterpret_cast<sockaddr*>(&sin), &slen) == 0);
    const int full_port = ntohs(sin.sin_port);
    std::vector<int> fillers;
    for (int i = 0; i < 2; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      (void)::connect(c, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
      fillers.push_back(c);
    }
    // Refused at once, then the stalled one: the third starts after the delay (a real
    // 50 ms) and wins.
    std::vector<asyncio::AddrInfo> infos = {tcp_info("127.0.0.1", closed.port),
                                            tcp_info("127.0.0.1", full_port),
                                            tcp_info("127.0.0.1", port_of(server))};
    asyncio::ConnectionOptions opts;
    opts.happy_eyeballs_delay = 0.05;
    const double t0 = loop.time();
    asyncio::Socket sock = co_await asyncio::detail::connect_infos(loop, infos, std::nullopt, opts);
    EXPECT_EQ(sock.getpeername().port, port_of(server));
    EXPECT_LT(loop.time() - t0, 5.0);
    sock.close();
    // Without the delay, in turn: the refused one, then the listening one.
    std::vector<asyncio::AddrInfo> two = {tcp_info("127.0.0.1", closed.port),
                                          tcp_info("127.0.0.1", port_of(server))};
    asyncio::Socket s2 = co_await asyncio::detail::connect_infos(loop, two, std::nullopt,
                                                                 asyncio::ConnectionOptions{});
    EXPECT_EQ(s2.getpeername().port, port_of(server));
    s2.close();
    for (int c : fillers) ::close(c);
    ::close(full);
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Protocols, HappyEyeballsAllFailingGivesCPythonsMultipleExceptions) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    ClosedPort v4(AF_INET), v6(AF_INET6);
    // Resolver order v4, v4, v6; interleave=1 (the default with a delay) tries v4, v6, v4.
    std::vector<asyncio::AddrInfo> infos = {tcp_info("127.0.0.1", v4.port),
                                            tcp_info("127.0.0.1", v4.port),
                                            tcp_info("::1", v6.port, AF_INET6)};
    asyncio::ConnectionOptions opts;
    opts.happy_eyeballs_delay = 0.25;
    std::string msg;
    try {
      co_await asyncio::detail::connect_infos(loop, infos, std::nullopt, opts);
    } catch (const asyncio::OSError& e) {
      msg = e.what();
    }
    const std::string a =
        "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(v4.port) + ")";
    const std::string b =
        "[Errno 111] Connect call failed ('::1', " + std::to_string(v6.port) + ", 0, 0)";
    EXPECT_EQ(msg, "Multiple exceptions: " + a + ", " + b + ", " + a);
  }());
}

TEST(Protocols, HappyEyeballsOnCreateConnectionAndOpenConnection) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> slog, clog;
    auto sf = [&] { return Recorder{&slog, {}, true, false, {}, nullptr}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    Future<void> clost = loop.create_future<void>();
    auto cf = [&] { return Recorder{&clog, clost, false, false, {}, nullptr}; };
    asyncio::ConnectionOptions opts;
    opts.happy_eyeballs_delay = 0.25;
    auto t_p = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server), opts);
    Transport t = t_p.first;
    t.write("ping");
    t.write_eof();
    co_await clost;
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "data:ping", "eof", "lost:None"}));
    asyncio::StreamOptions so;
    so.happy_eyeballs_delay = 0.25;
    so.interleave = 0;
    auto rw = co_await asyncio::open_connection("127.0.0.1", port_of(server), so);
    rw.second.write("pong");
    rw.second.write_eof();
    EXPECT_EQ(co_await rw.first.read(), "pong");
    rw.second.close();
    ClosedPort closed;
    std::string msg;
    try {
      co_await asyncio::open_connection("127.0.0.1", closed.port, so);
    } catch (const asyncio::ConnectionRefusedError& e) {
      msg = e.what();
    }
    EXPECT_EQ(msg,
              "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(closed.port) + ")");
    server.close();
    co_await server.wait_closed();
  }());
}

}  // namespace
