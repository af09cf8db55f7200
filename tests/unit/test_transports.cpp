// Unit tests for asyncio/transports.hpp: Transport (partial writes, flow control with the
// high and low water marks, pause_reading / resume_reading, write_eof, close vs abort,
// connection_lost with and without an exception, get_extra_info) and DatagramTransport
// (ordering, empty datagrams, error_received on ICMP port unreachable, sendto's checks,
// reuse_port, allow_broadcast, UNIX datagrams), plus the loop's sock_recvfrom /
// sock_recvfrom_into / sock_sendto (sockets.hpp), on real loopback sockets. Behaviours
// and messages are CPython 3.13's. No real sleeps: every wait is on I/O.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/protocols.hpp"

namespace {

using asyncio::Address;
using asyncio::Coro;
using asyncio::DatagramTransport;
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

template <class P>
Coro<bool> until(P pred, int max_iterations = 200000) {
  for (int i = 0; i < max_iterations; ++i) {
    if (pred()) co_return true;
    co_await asyncio::sleep(0);
  }
  co_return pred();
}

// The far end of a connection: counts what it receives; can be told not to read.
struct Sink {
  Transport* out;
  std::size_t* received;
  bool paused_from_start = false;
  std::vector<std::string>* log = nullptr;
  void connection_made(Transport t) {
    *out = t;
    if (paused_from_start) t.pause_reading();
  }
  void data_received(std::string_view d) { *received += d.size(); }
  bool eof_received() {
    if (log) log->push_back("eof");
    return false;
  }
  void connection_lost(std::exception_ptr e) {
    if (log) log->push_back("lost:" + what(e));
  }
};

// The near end: records flow control and loss.
struct Writer {
  std::vector<std::string>* log;
  Future<void> resumed;
  Future<void> lost;
  Transport* out = nullptr;
  void connection_made(Transport t) {
    if (out) *out = t;
  }
  void pause_writing() { log->push_back("pause"); }
  void resume_writing() {
    log->push_back("resume");
    if (resumed.valid() && !resumed.done()) resumed.set_result();
  }
  void connection_lost(std::exception_ptr e) {
    log->push_back("lost:" + what(e));
    if (lost.valid() && !lost.done()) lost.set_result();
  }
};

struct Pair {
  Server server;
  Transport near, far;
};

// A connection whose far end does not read until told (`far.resume_reading()`).
Coro<Pair> connect_pair(std::vector<std::string>* log, Future<void> resumed, Future<void> lost,
                        std::size_t* received, bool far_paused) {
  EventLoop& loop = asyncio::get_running_loop();
  Pair p;
  Transport* far = &p.far;
  auto sf = [far, received, far_paused] { return Sink{far, received, far_paused, nullptr}; };
  p.server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
  auto cf = [log, resumed, lost] { return Writer{log, resumed, lost, nullptr}; };
  auto t_proto = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(p.server));
  [[maybe_unused]] auto& t = t_proto.first;
  [[maybe_unused]] auto& proto = t_proto.second;
  p.near = t;
  EXPECT_TRUE(co_await until([far] { return far->valid(); }));
  co_return p;
}

TEST(Transport, FlowControlPausesAtHighResumesAtLow) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    Future<void> resumed = loop.create_future<void>();
    std::size_t received = 0;
    Pair p = co_await connect_pair(&log, resumed, Future<void>(), &received, true);
    EXPECT_EQ(p.near.get_write_buffer_limits(),
              (std::pair<std::size_t, std::size_t>{16384, 65536}));
    // A partial write: the kernel takes what fits, the rest is buffered; once the buffer
    // is over 64 KiB, pause_writing() is called from within write().
    const std::size_t total = 16 * 1024 * 1024;
    std::string chunk(64 * 1024, 'x');
    std::size_t written = 0;
    while (log.empty() && written < total) {
      p.near.write(chunk);
      written += chunk.size();
    }
    CO_ASSERT((log) == (std::vector<std::string>{"pause"}));
    EXPECT_GT(p.near.get_write_buffer_size(), 65536u);
    EXPECT_LT(p.near.get_write_buffer_size(), written);  // part of it went to the kernel
    p.near.write(chunk);                                 // no second pause while paused
    written += chunk.size();
    EXPECT_EQ(log.size(), 1u);
    // The peer drains: resume_writing() once the buffer is back to 16 KiB or less.
    p.far.resume_reading();
    co_await resumed;
    EXPECT_EQ(log, (std::vector<std::string>{"pause", "resume"}));
    EXPECT_LE(p.near.get_write_buffer_size(), 16384u);
    EXPECT_TRUE(co_await until([&] { return received == written; }));
    EXPECT_EQ(p.near.get_write_buffer_size(), 0u);
    p.near.close();
    p.server.close();
    p.server.abort_clients();
    co_await p.server.wait_closed();
  }());
}

TEST(Transport, SetWriteBufferLimits) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    Future<void> resumed = loop.create_future<void>();
    std::size_t received = 0;
    Pair p = co_await connect_pair(&log, resumed, Future<void>(), &received, true);
    p.near.set_write_buffer_limits(std::nullopt, 1000);  // only low: high = 4 * low
    EXPECT_EQ(p.near.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{1000, 4000}));
    p.near.set_write_buffer_limits(2000);  // only high: low = high / 4
    EXPECT_EQ(p.near.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{500, 2000}));
    try {
      p.near.set_write_buffer_limits(1, 2);
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "high (1) must be >= low (2) must be >= 0");
    }
    // Fill the kernel buffers with the default limits, then lower the high mark below
    // what is buffered: set_write_buffer_limits() itself calls pause_writing().
    p.near.set_write_buffer_limits();
    std::string chunk(64 * 1024, 'y');
    std::size_t written = 0;
    while (p.near.get_write_buffer_size() == 0) {
      p.near.write(chunk);
      written += chunk.size();
    }
    EXPECT_TRUE(log.empty() || log == std::vector<std::string>{"pause"});
    if (log.empty()) {
      p.near.set_write_buffer_limits(1, 0);
      EXPECT_EQ(log, std::vector<std::string>{"pause"});
    }
    p.near.set_write_buffer_limits();  // raising the marks does not resume (CPython)
    EXPECT_EQ(log, std::vector<std::string>{"pause"});
    p.far.resume_reading();
    co_await resumed;
    EXPECT_TRUE(co_await until([&] { return received == written; }));
    p.near.close();
    p.server.close();
    p.server.abort_clients();
    co_await p.server.wait_closed();
  }());
}

TEST(Transport, PauseReadingResumeReading) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    std::size_t received = 0;
    Pair p = co_await connect_pair(&log, Future<void>(), Future<void>(), &received, false);
    EXPECT_TRUE(p.far.is_reading());
    p.far.pause_reading();
    p.far.pause_reading();  // idempotent
    EXPECT_FALSE(p.far.is_reading());
    p.near.write("abc");
    EXPECT_EQ(p.near.get_write_buffer_size(), 0u);  // in the peer's kernel buffer now
    for (int i = 0; i < 20; ++i) co_await asyncio::sleep(0);
    EXPECT_EQ(received, 0u);  // not read while paused
    p.far.resume_reading();
    EXPECT_TRUE(p.far.is_reading());
    EXPECT_TRUE(co_await until([&] { return received == 3; }));
    p.far.close();
    EXPECT_FALSE(p.far.is_reading());  // closing
    p.far.resume_reading();            // no-op when closing
    p.near.close();
    p.server.close();
    co_await p.server.wait_closed();
    (void)loop;
  }());
}

TEST(Transport, CloseFlushesAbortDrops) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    const std::size_t big = 8 * 1024 * 1024;
    for (bool abort : {false, true}) {
      std::vector<std::string> log, flog;
      Future<void> lost = loop.create_future<void>();
      std::size_t received = 0;
      Transport far;
      auto sf = [&] { return Sink{&far, &received, true, &flog}; };
      Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
      auto cf = [&] { return Writer{&log, Future<void>(), lost, nullptr}; };
      auto t_proto = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
      [[maybe_unused]] auto& t = t_proto.first;
      [[maybe_unused]] auto& proto = t_proto.second;
      EXPECT_TRUE(co_await until([&] { return far.valid(); }));
      t.write(std::string(big, 'z'));
      CO_ASSERT((t.get_write_buffer_size()) > (0u));
      if (abort) {
        t.abort();
        EXPECT_EQ(t.get_write_buffer_size(), 0u);  // dropped
      } else {
        t.close();
        EXPECT_GT(t.get_write_buffer_size(), 0u);  // still to be flushed
      }
      EXPECT_TRUE(t.is_closing());
      far.resume_reading();
      co_await lost;
      EXPECT_EQ(log.back(), "lost:None");
      t.write("dropped");  // after the loss: dropped silently
      EXPECT_EQ(t.get_write_buffer_size(), 0u);
      // The peer reads to the end: everything after close(), less after abort().
      EXPECT_TRUE(co_await until([&] { return !flog.empty(); }));
      if (abort)
        EXPECT_LT(received, big);
      else
        EXPECT_EQ(received, big);
      server.close();
      co_await server.wait_closed();
    }
  }());
}

TEST(Transport, ConnectionLostWithAnException) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    Future<void> lost = loop.create_future<void>();
    std::size_t received = 0;
    Pair p = co_await connect_pair(&log, Future<void>(), lost, &received, true);
    // The peer resets the connection (SO_LINGER 0) while our data is unread.
    auto sock = p.far.get_extra_info<asyncio::TransportSocket>("socket");
    CO_ASSERT(sock.has_value());
    struct linger lg {
      1, 0
    };
    CO_ASSERT(::setsockopt(sock->fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    p.near.write("unread");
    p.far.abort();
    co_await lost;
    EXPECT_EQ(log.back(), "lost:[Errno 104] Connection reset by peer");
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Transport, GetExtraInfoAndRepr) {
  run([]() -> Coro<void> {
    std::vector<std::string> log;
    std::size_t received = 0;
    Pair p = co_await connect_pair(&log, Future<void>(), Future<void>(), &received, false);
    auto peer = p.near.get_extra_info<Address>("peername");
    auto name = p.near.get_extra_info<Address>("sockname");
    CO_ASSERT(peer && name);
    EXPECT_EQ(peer->host, "127.0.0.1");
    EXPECT_EQ(peer->port, port_of(p.server));
    EXPECT_EQ(*p.far.get_extra_info<Address>("peername"), *name);
    auto sock = p.near.get_extra_info<asyncio::TransportSocket>("socket");
    CO_ASSERT(sock.has_value());
    EXPECT_EQ(sock->family(), AF_INET);
    EXPECT_EQ(sock->type(), SOCK_STREAM);
    EXPECT_EQ(sock->proto(), IPPROTO_TCP);
    EXPECT_EQ(sock->getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);  // CPython _set_nodelay
    EXPECT_EQ(sock->repr(), "<asyncio.TransportSocket fd=" + std::to_string(sock->fileno()) +
                                ", family=2, type=1, proto=6, laddr=" + name->repr() +
                                ", raddr=" + peer->repr() + ">");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(p.near.get_extra_info("nonexistent")));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(p.near.get_extra_info("peercred")));
    EXPECT_EQ(p.near.repr(), "<_SelectorSocketTransport fd=" + std::to_string(sock->fileno()) +
                                 " read=polling write=<idle, bufsize=0>>");
    Future<void> done = asyncio::get_running_loop().create_future<void>();
    p.near.close();
    EXPECT_EQ(p.near.repr(),
              "<_SelectorSocketTransport closing fd=" + std::to_string(sock->fileno()) +
                  " read=idle write=<idle, bufsize=0>>");
    EXPECT_TRUE(co_await until([&] { return !log.empty(); }));
    EXPECT_EQ(p.near.repr(), "<_SelectorSocketTransport closed fd=-1>");
    EXPECT_EQ(p.near.get_extra_info<asyncio::TransportSocket>("socket")->fileno(), -1);
    EXPECT_EQ(*p.near.get_extra_info<Address>("peername"), *peer);  // kept, as CPython
    EXPECT_THROW(Transport().write("x"), asyncio::InvalidStateError);
    p.server.close();
    co_await p.server.wait_closed();
    (void)done;
  }());
}

TEST(Transport, WritelinesAndWriteEof) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log, flog;
    std::size_t received = 0;
    Transport far;
    auto sf = [&] { return Sink{&far, &received, false, &flog}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    auto cf = [&] { return Writer{&log, Future<void>(), Future<void>(), nullptr}; };
    auto t_proto = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    [[maybe_unused]] auto& t = t_proto.first;
    [[maybe_unused]] auto& proto = t_proto.second;
    std::vector<std::string> lines(40, "0123456789");  // more than the inline views
    t.writelines(lines);
    std::vector<std::string_view> few{"ab", "cd"};
    t.writelines(few);
    t.writelines(std::vector<std::string>{});
    EXPECT_TRUE(co_await until([&] { return received == 404; }));
    t.write_eof();
    t.write_eof();  // idempotent
    EXPECT_FALSE(t.is_closing());
    try {
      t.writelines(few);
      ADD_FAILURE();
    } catch (const asyncio::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "Cannot call writelines() after write_eof()");
    }
    EXPECT_TRUE(co_await until([&] { return flog.size() == 2; }));
    EXPECT_EQ(flog, (std::vector<std::string>{"eof", "lost:None"}));
    t.close();
    // connection_lost runs on a later iteration; `log` must outlive it.
    EXPECT_TRUE(co_await until([&] { return !log.empty(); }));
    EXPECT_EQ(log, std::vector<std::string>{"lost:None"});
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(Transport, StreamWriterTransport) {
  run([]() -> Coro<void> {
    auto cb = [](asyncio::StreamReader r, asyncio::StreamWriter w) -> Coro<void> {
      w.write(co_await r.readline());
      co_await w.drain();
      w.close();
    };
    Server server = co_await asyncio::start_server(cb, std::string("127.0.0.1"), 0);
    auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port_of(server));
    Transport t = w.transport();
    EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
    EXPECT_EQ(*t.get_extra_info<Address>("peername"), *w.get_extra_info("peername"));
    t.write("via transport\n");
    EXPECT_EQ(co_await r.readline(), "via transport\n");
    w.close();
    co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
  }());
}

// --- datagrams -------------------------------------------------------------------------------

struct Dgram {
  std::vector<std::pair<std::string, Address>>* got;
  std::vector<std::string>* log;
  DatagramTransport* out = nullptr;
  bool echo = false;
  DatagramTransport transport;
  void connection_made(DatagramTransport t) {
    transport = t;
    if (out) *out = t;
    log->push_back("made");
  }
  void datagram_received(std::string_view data, const Address& addr) {
    got->emplace_back(std::string(data), addr);
    if (echo) transport.sendto(data, addr);
  }
  void error_received(std::exception_ptr e) { log->push_back("error:" + what(e)); }
  void connection_lost(std::exception_ptr e) { log->push_back("lost:" + what(e)); }
};

int free_udp_port() {
  asyncio::Socket s(AF_INET, SOCK_DGRAM);
  s.bind(Address{"127.0.0.1", 0});
  return s.getsockname().port;
}

TEST(Datagram, OrderingEmptyDatagramsAndEcho) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::pair<std::string, Address>> sgot, cgot;
    std::vector<std::string> slog, clog;
    auto sf = [&] { return Dgram{&sgot, &slog, nullptr, true, {}}; };
    // Arguments named first: GCC 12 mishandles class temporaries in a co_await expression
    // (docs/deviations.md, "Compilers").
    std::optional<Address> any_port = Address{"127.0.0.1", 0};
    auto st_sp = co_await asyncio::create_datagram_endpoint(loop, sf, any_port);
    [[maybe_unused]] auto& st = st_sp.first;
    [[maybe_unused]] auto& sp = st_sp.second;
    EXPECT_EQ(slog, std::vector<std::string>{"made"});  // returned after connection_made
    Address saddr = *st.get_extra_info<Address>("sockname");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(st.get_extra_info("peername")));
    auto cf = [&] { return Dgram{&cgot, &clog, nullptr, false, {}}; };
    std::optional<Address> none, to_server = saddr;
    auto ct_cp = co_await asyncio::create_datagram_endpoint(loop, cf, none, to_server);
    [[maybe_unused]] auto& ct = ct_cp.first;
    [[maybe_unused]] auto& cp = ct_cp.second;
    EXPECT_EQ(*ct.get_extra_info<Address>("peername"), saddr);  // connected
    Address caddr = *ct.get_extra_info<Address>("sockname");
    const int n = 200;
    for (int i = 0; i < n; ++i) ct.sendto(std::to_string(i));
    ct.sendto("");             // 3.13: an empty datagram is sent
    ct.sendto("last", saddr);  // the remote address itself is accepted
    EXPECT_TRUE(co_await until([&] { return cgot.size() == n + 2; }));
    CO_ASSERT((sgot.size()) == (static_cast<std::size_t>(n + 2)));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(sgot[i].first, std::to_string(i));  // in order on loopback
      EXPECT_EQ(cgot[i].first, std::to_string(i));
    }
    EXPECT_EQ(sgot[n].first, "");
    EXPECT_EQ(cgot[n].first, "");
    EXPECT_EQ(sgot[n + 1].first, "last");
    EXPECT_EQ(sgot[0].second, caddr);
    EXPECT_EQ(cgot[0].second, saddr);
    try {
      ct.sendto("x", Address{"127.0.0.1", 1});
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "Invalid address: must be None or " + saddr.repr());
    }
    EXPECT_EQ(ct.get_write_buffer_size(), 0u);
    EXPECT_EQ(ct.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
    auto sock = ct.get_extra_info<asyncio::TransportSocket>("socket");
    EXPECT_EQ(sock->type(), SOCK_DGRAM);
    EXPECT_EQ(sock->proto(), IPPROTO_UDP);
    EXPECT_EQ(ct.repr(), "<_SelectorDatagramTransport fd=" + std::to_string(sock->fileno()) +
                             " read=polling write=<idle, bufsize=0>>");
    ct.close();
    st.close();
    EXPECT_TRUE(ct.is_closing());
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && slog.size() == 2; }));
    EXPECT_EQ(clog, (std::vector<std::string>{"made", "lost:None"}));
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "lost:None"}));
    ct.sendto("after close");  // dropped (connected, lost)
  }());
}

TEST(Datagram, ErrorReceivedOnPortUnreachable) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::pair<std::string, Address>> got;
    std::vector<std::string> log;
    auto f = [&] { return Dgram{&got, &log, nullptr, false, {}}; };
    int closed = free_udp_port();
    std::optional<Address> none, to_closed = Address{"127.0.0.1", closed};
    auto t_p = co_await asyncio::create_datagram_endpoint(loop, f, none, to_closed);
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    t.sendto("anyone?");
    // The ICMP port unreachable comes back as ECONNREFUSED on the connected socket.
    EXPECT_TRUE(co_await until([&] { return log.size() == 2; }));
    EXPECT_EQ(log[1], "error:[Errno 111] Connection refused");
    EXPECT_FALSE(t.is_closing());  // not fatal
    t.close();
    EXPECT_TRUE(co_await until([&] { return log.size() == 3; }));
    EXPECT_EQ(log[2], "lost:None");
  }());
}

TEST(Datagram, SendtoWithoutAddressIsFatalOnUnconnectedEndpoint) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> handled;
    loop.set_exception_handler(
        [&](EventLoop&, const asyncio::ExceptionContext& ctx) { handled.push_back(ctx.message); });
    std::vector<std::pair<std::string, Address>> got;
    std::vector<std::string> log;
    auto f = [&] { return Dgram{&got, &log, nullptr, false, {}}; };
    std::optional<Address> any_port = Address{"127.0.0.1", 0};
    auto t_p = co_await asyncio::create_datagram_endpoint(loop, f, any_port);
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    t.sendto("x");  // CPython: TypeError from sock.sendto(data, None), a fatal error
    EXPECT_TRUE(t.is_closing());
    EXPECT_TRUE(co_await until([&] { return log.size() == 2; }));
    EXPECT_EQ(log[1], "lost:sendto(): AF_INET address must be tuple, not NoneType");
    EXPECT_EQ(handled, std::vector<std::string>{"Fatal write error on datagram transport"});
  }());
}

TEST(Datagram, EndpointOptionsAndErrors) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::pair<std::string, Address>> got;
    std::vector<std::string> log;
    auto f = [&] { return Dgram{&got, &log, nullptr, false, {}}; };
    std::optional<Address> none;
    try {
      co_await asyncio::create_datagram_endpoint(loop, f, none);
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "unexpected address family");
    }
    // (Arguments named first: GCC 12 destroys a temporary of a throwing co_await twice.)
    for (int port : {70000, -1}) {
      std::optional<Address> bad = Address{"127.0.0.1", port};
      try {
        co_await asyncio::create_datagram_endpoint(loop, f, bad);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "bind(): port must be 0-65535.");
      }
      try {
        co_await asyncio::create_datagram_endpoint(loop, f, none, bad);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "connect(): port must be 0-65535.");
      }
    }
    // Only a family: an unbound socket of that family.
    asyncio::DatagramOptions inet;
    inet.family = AF_INET;
    auto u_up = co_await asyncio::create_datagram_endpoint(loop, f, none, none, inet);
    [[maybe_unused]] auto& u = u_up.first;
    [[maybe_unused]] auto& up = u_up.second;
    EXPECT_EQ(u.get_extra_info<asyncio::TransportSocket>("socket")->family(), AF_INET);
    u.close();
    // reuse_port: two endpoints on one port.
    asyncio::DatagramOptions rp;
    rp.reuse_port = true;
    std::optional<Address> any_port = Address{"127.0.0.1", 0};
    auto a_ap = co_await asyncio::create_datagram_endpoint(loop, f, any_port, none, rp);
    [[maybe_unused]] auto& a = a_ap.first;
    [[maybe_unused]] auto& ap = a_ap.second;
    std::optional<Address> bound = *a.get_extra_info<Address>("sockname");
    auto b2_bp = co_await asyncio::create_datagram_endpoint(loop, f, bound, none, rp);
    [[maybe_unused]] auto& b2 = b2_bp.first;
    [[maybe_unused]] auto& bp = b2_bp.second;
    EXPECT_EQ(
        b2.get_extra_info<asyncio::TransportSocket>("socket")->getsockopt(SOL_SOCKET, SO_REUSEPORT),
        1);
    std::optional<Address> taken = bound;
    try {
      co_await asyncio::create_datagram_endpoint(loop, f, taken);
      ADD_FAILURE();
    } catch (const asyncio::OSError& e) {
      EXPECT_EQ(e.errnum(), EADDRINUSE);
    }
    a.close();
    b2.close();
    // allow_broadcast: SO_BROADCAST, and remote_addr is only the default destination.
    asyncio::DatagramOptions bc;
    bc.allow_broadcast = true;
    std::vector<std::pair<std::string, Address>> rgot;
    std::vector<std::string> rlog;
    auto rf = [&] { return Dgram{&rgot, &rlog, nullptr, false, {}}; };
    auto r_rp2 = co_await asyncio::create_datagram_endpoint(loop, rf, any_port);
    [[maybe_unused]] auto& r = r_rp2.first;
    [[maybe_unused]] auto& rp2 = r_rp2.second;
    std::optional<Address> raddr = *r.get_extra_info<Address>("sockname");
    auto c_cp = co_await asyncio::create_datagram_endpoint(loop, f, none, raddr, bc);
    [[maybe_unused]] auto& c = c_cp.first;
    [[maybe_unused]] auto& cp = c_cp.second;
    EXPECT_EQ(
        c.get_extra_info<asyncio::TransportSocket>("socket")->getsockopt(SOL_SOCKET, SO_BROADCAST),
        1);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(c.get_extra_info("peername")));
    c.sendto("default destination");
    EXPECT_TRUE(co_await until([&] { return rgot.size() == 1; }));
    EXPECT_EQ(rgot[0].first, "default destination");
    c.close();
    r.close();
    EXPECT_TRUE(co_await until([&] { return rlog.size() == 2; }));
  }());
}

TEST(Datagram, UnixDatagrams) {
  char tmpl[] = "/tmp/asyncio-dgram-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  run([](std::string dir) -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::pair<std::string, Address>> sgot, cgot;
    std::vector<std::string> slog, clog;
    asyncio::DatagramOptions ux;
    ux.family = AF_UNIX;
    std::string spath = dir + "/server.sock", cpath = dir + "/client.sock";
    auto sf = [&] { return Dgram{&sgot, &slog, nullptr, true, {}}; };
    std::optional<Address> none, saddr = Address::unix_path(spath),
                                 caddr = Address::unix_path(cpath);
    auto st_sp = co_await asyncio::create_datagram_endpoint(loop, sf, saddr, none, ux);
    [[maybe_unused]] auto& st = st_sp.first;
    [[maybe_unused]] auto& sp = st_sp.second;
    auto cf = [&] { return Dgram{&cgot, &clog, nullptr, false, {}}; };
    auto ct_cp = co_await asyncio::create_datagram_endpoint(loop, cf, caddr, saddr, ux);
    [[maybe_unused]] auto& ct = ct_cp.first;
    [[maybe_unused]] auto& cp = ct_cp.second;
    ct.sendto("unix dgram");
    EXPECT_TRUE(co_await until([&] { return cgot.size() == 1; }));
    EXPECT_EQ(sgot.at(0).second, Address::unix_path(cpath));
    EXPECT_EQ(cgot.at(0).first, "unix dgram");
    EXPECT_EQ(cgot.at(0).second, Address::unix_path(spath));
    ct.close();
    st.close();
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && slog.size() == 2; }));
    // A stale socket file at local_addr is replaced.
    auto s2_s2p = co_await asyncio::create_datagram_endpoint(loop, sf, saddr, none, ux);
    [[maybe_unused]] auto& s2 = s2_s2p.first;
    [[maybe_unused]] auto& s2p = s2_s2p.second;
    s2.close();
    EXPECT_TRUE(co_await until([&] { return slog.size() == 4; }));
  }(dir));
  std::system(("rm -rf '" + dir + "'").c_str());
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

TEST(Datagram, SocatInterop) {
  ASSERT_EQ(std::system("command -v socat >/dev/null"), 0)
      << "socat is required (scripts/setup.sh installs it)";
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::pair<std::string, Address>> got;
    std::vector<std::string> log;
    auto f = [&] { return Dgram{&got, &log, nullptr, true, {}}; };  // an echo server
    std::optional<Address> any_port = Address{"127.0.0.1", 0};
    auto t_p = co_await asyncio::create_datagram_endpoint(loop, f, any_port);
    [[maybe_unused]] auto& t = t_p.first;
    [[maybe_unused]] auto& p = t_p.second;
    int port = t.get_extra_info<Address>("sockname")->port;
    // socat sends one datagram and prints the reply (-t: how long it waits for it).
    std::string cmd =
        "printf 'ping' | timeout 10 socat -t 1 - UDP:127.0.0.1:" + std::to_string(port);
    std::string out = co_await shell(cmd);
    EXPECT_EQ(out, "ping");
    CO_ASSERT((got.size()) == (1u));
    EXPECT_EQ(got[0].first, "ping");
    t.close();
    EXPECT_TRUE(co_await until([&] { return log.size() == 2; }));
  }());
}

// --- the loop's datagram socket operations ----------------------------------------------------

TEST(SockDatagram, RecvfromSendto) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asyncio::Socket a(AF_INET, SOCK_DGRAM), b(AF_INET, SOCK_DGRAM);
    a.bind(Address{"127.0.0.1", 0});
    b.bind(Address{"127.0.0.1", 0});
    a.setblocking(false);
    b.setblocking(false);
    Address aa = a.getsockname(), ba = b.getsockname();
    // The receive waits for the datagram (registered before it is sent).
    auto recv = [&]() -> Coro<std::pair<std::string, Address>> {
      co_return co_await asyncio::sock_recvfrom(loop, b, 100);
    };
    asyncio::Task<std::pair<std::string, Address>> rt = loop.create_task(recv());
    co_await asyncio::sleep(0);
    EXPECT_EQ(co_await asyncio::sock_sendto(loop, a, "hello", ba), 5u);
    auto data_from = co_await rt;
    [[maybe_unused]] auto& data = data_from.first;
    [[maybe_unused]] auto& from = data_from.second;
    EXPECT_EQ(data, "hello");
    EXPECT_EQ(from, aa);
    EXPECT_EQ(co_await asyncio::sock_sendto(loop, b, "", aa), 0u);  // empty datagram
    char buf[16];
    auto n_from2 = co_await asyncio::sock_recvfrom_into(loop, a, std::span<char>(buf), 0);
    [[maybe_unused]] auto& n = n_from2.first;
    [[maybe_unused]] auto& from2 = n_from2.second;
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(from2, ba);
    co_await asyncio::sock_sendto(loop, a, "truncated datagram", ba);
    auto n2_from3 = co_await asyncio::sock_recvfrom_into(loop, b, std::span<char>(buf), 4);
    [[maybe_unused]] auto& n2 = n2_from3.first;
    [[maybe_unused]] auto& from3 = n2_from3.second;
    EXPECT_EQ(std::string(buf, n2), "trun");  // the rest of the datagram is lost
    try {
      std::span<char> whole(buf);
      co_await asyncio::sock_recvfrom_into(loop, b, whole, 17);
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "nbytes is greater than the length of the buffer");
    }
    for (int port : {70000, -1}) {
      Address bad{"127.0.0.1", port};
      std::string x = "x";
      try {
        co_await asyncio::sock_sendto(loop, a, x, bad);
        ADD_FAILURE();
      } catch (const std::overflow_error& e) {
        EXPECT_STREQ(e.what(), "sendto(): port must be 0-65535.");
      }
    }
    // A cancelled receive leaves the socket usable.
    asyncio::Task<std::pair<std::string, Address>> ct = loop.create_task(recv());
    co_await asyncio::sleep(0);
    ct.cancel();
    EXPECT_THROW(co_await ct, asyncio::CancelledError);
    co_await asyncio::sock_sendto(loop, a, "again", ba);
    auto d3_f3 = co_await asyncio::sock_recvfrom(loop, b, 100);
    [[maybe_unused]] auto& d3 = d3_f3.first;
    [[maybe_unused]] auto& f3 = d3_f3.second;
    EXPECT_EQ(d3, "again");
  }());
}

}  // namespace
