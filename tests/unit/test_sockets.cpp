// Unit tests for asyncio/sockets.hpp and the loop's I/O: the OSError family, add_reader /
// remove_reader / add_writer / remove_writer, sock_recv / sock_recv_into / sock_sendall /
// sock_accept / sock_connect and getaddrinfo, on real loopback sockets (127.0.0.1, ::1).
// Expected messages are CPython 3.13's.

#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "asyncio/asyncio.hpp"

namespace {

using asyncio::Address;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Socket;

void run(Coro<void> main) { asyncio::run(std::move(main)); }

Socket listener(int family = AF_INET) {
  Socket s(family);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  s.bind(Address{family == AF_INET6 ? "::1" : "127.0.0.1", 0, family});
  s.listen(16);
  s.setblocking(false);
  return s;
}

TEST(OSError, SubclassFromErrnoAsPython) {
  try {
    asyncio::throw_os_error(ECONNREFUSED);
  } catch (const asyncio::ConnectionRefusedError& e) {
    EXPECT_STREQ(e.what(), "[Errno 111] Connection refused");
    EXPECT_EQ(e.errnum(), 111);
    EXPECT_EQ(e.strerror(), "Connection refused");
    EXPECT_EQ(e.code(), std::error_code(ECONNREFUSED, std::generic_category()));
  }
  auto is = [](int err, auto tag) {
    try {
      asyncio::throw_os_error(err);
    } catch (const decltype(tag)&) {
      return true;
    } catch (...) {
    }
    return false;
  };
  EXPECT_TRUE(is(ECONNRESET, asyncio::ConnectionResetError("")));
  EXPECT_TRUE(is(EPIPE, asyncio::BrokenPipeError("")));
  EXPECT_TRUE(is(ECONNABORTED, asyncio::ConnectionAbortedError("")));
  EXPECT_TRUE(is(EAGAIN, asyncio::BlockingIOError("")));
  EXPECT_TRUE(is(ETIMEDOUT, asyncio::TimeoutError()));
  EXPECT_TRUE(is(ECONNRESET, asyncio::ConnectionError("")));
  EXPECT_TRUE(is(EBADF, asyncio::OSError("")));
  EXPECT_TRUE(is(EPIPE, std::system_error(std::error_code())));
}

TEST(OSError, TimeoutErrorIsAnOSErrorWithEmptyMessage) {
  asyncio::TimeoutError t;
  EXPECT_STREQ(t.what(), "");
  EXPECT_EQ(t.errnum(), 0);
  const asyncio::OSError& base = t;
  EXPECT_STREQ(base.what(), "");
  asyncio::OSError m("Multiple exceptions: a, b");
  EXPECT_STREQ(m.what(), "Multiple exceptions: a, b");
}

TEST(Loop, AddReaderRemoveReader) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sp = asyncio::socketpair();
    Socket& a = sp.first;
    Socket& b = sp.second;
    a.setblocking(false);
    b.setblocking(false);
    int calls = 0;
    std::string got;
    auto done = loop.create_future<void>();
    int fd = a.fileno();
    loop.add_reader(fd, [&, fd] {
      char buf[16];
      ssize_t n = ::read(fd, buf, sizeof buf);
      got.append(buf, n > 0 ? n : 0);
      if (++calls == 1) {
        EXPECT_TRUE(loop.remove_reader(fd));  // removing itself while running
        done.set_result();
      }
    });
    EXPECT_EQ(::write(b.fileno(), "hi", 2), 2);
    co_await done;
    EXPECT_EQ(got, "hi");
    EXPECT_FALSE(loop.remove_reader(fd));
    EXPECT_EQ(::write(b.fileno(), "x", 1), 1);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(calls, 1);
    EXPECT_THROW(loop.add_reader(-1, [] {}), std::invalid_argument);
    try {
      loop.add_reader(-1, [] {});
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "Invalid file descriptor: -1");
    }
  }());
}

TEST(Loop, AddWriterAndReplaceAndCloseWithRegistrations) {
  EventLoop loop;
  auto sp = asyncio::socketpair();
  Socket& a = sp.first;
  Socket& b = sp.second;
  int first = 0, second = 0;
  loop.add_writer(a.fileno(), [&] { ++first; });
  loop.add_writer(a.fileno(), [&] {  // replaces
    ++second;
    loop.remove_writer(a.fileno());
    loop.stop();
  });
  loop.run_forever();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  EXPECT_FALSE(loop.remove_writer(a.fileno()));
  loop.add_reader(b.fileno(), [] {});  // left registered: close() releases it
  loop.close();
}

TEST(Loop, ExceptionInReaderGoesToHandler) {
  EventLoop loop;
  auto sp = asyncio::socketpair();
  Socket& a = sp.first;
  Socket& b = sp.second;
  std::string msg;
  loop.set_exception_handler([&](EventLoop& l, const asyncio::ExceptionContext& ctx) {
    msg = ctx.message;
    l.remove_reader(a.fileno());
    l.stop();
  });
  loop.add_reader(a.fileno(), [] { throw std::runtime_error("boom"); });
  EXPECT_EQ(::write(b.fileno(), "x", 1), 1);
  loop.run_forever();
  EXPECT_EQ(msg, "Exception in callback");
}

void exchange(int family) {
  run([](int family) -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Socket srv = listener(family);
    Address addr = srv.getsockname();
    auto server = [&]() -> Coro<void> {
      auto [conn, peer] = co_await loop.sock_accept(srv);
      EXPECT_FALSE(conn.getblocking());
      EXPECT_EQ(peer.host, family == AF_INET6 ? "::1" : "127.0.0.1");
      std::string all;
      for (;;) {
        std::string d = co_await loop.sock_recv(conn, 3);  // partial reads
        if (d.empty()) break;
        EXPECT_LE(d.size(), 3u);
        all += d;
      }
      co_await loop.sock_sendall(conn, "got:" + all);
    };
    auto st = asyncio::create_task(server());
    Socket cli(family);
    cli.setblocking(false);
    co_await loop.sock_connect(cli, addr);
    EXPECT_EQ(cli.getpeername(), addr);
    co_await loop.sock_sendall(cli, "hello world");
    cli.shutdown(SHUT_WR);
    char buf[64];
    std::string reply;
    for (;;) {
      std::size_t n = co_await loop.sock_recv_into(cli, std::span<char>(buf, sizeof buf));
      if (n == 0) break;
      reply.append(buf, n);
    }
    EXPECT_EQ(reply, "got:hello world");
    co_await st;
  }(family));
}

TEST(Sockets, ExchangeIPv4) { exchange(AF_INET); }
TEST(Sockets, ExchangeIPv6) { exchange(AF_INET6); }

TEST(Sockets, SendallWaitsForASlowReader) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sp = asyncio::socketpair();
    Socket& a = sp.first;
    Socket& b = sp.second;
    a.setblocking(false);
    b.setblocking(false);
    const std::size_t total = 4 * 1024 * 1024;  // far more than the socket buffers
    auto sender = asyncio::create_task(loop.sock_sendall(a, std::string(total, 'q')));
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    EXPECT_FALSE(sender.done());  // waiting for the reader
    std::size_t got = 0;
    while (got < total) got += (co_await loop.sock_recv(b, 1 << 16)).size();
    co_await sender;
    EXPECT_EQ(got, total);
  }());
}

TEST(Sockets, AddressRepr) {
  EXPECT_EQ((Address{"127.0.0.1", 80}).repr(), "('127.0.0.1', 80)");
  EXPECT_EQ((Address{"::1", 80, AF_INET6}).repr(), "('::1', 80, 0, 0)");
}

TEST(Sockets, ConnectRefused) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    int port;
    {
      Socket s;
      s.bind(Address{"127.0.0.1", 0});
      port = s.getsockname().port;
    }  // closed: nobody listens there
    Socket cli;
    cli.setblocking(false);
    // (A named address: GCC 12 destroys a temporary of a throwing co_await twice.)
    Address addr{"127.0.0.1", port};
    try {
      co_await loop.sock_connect(cli, addr);
      ADD_FAILURE() << "connected";
    } catch (const asyncio::ConnectionRefusedError& e) {
      EXPECT_EQ(std::string(e.what()),
                "[Errno 111] Connect call failed ('127.0.0.1', " + std::to_string(port) + ")");
      EXPECT_EQ(e.errnum(), ECONNREFUSED);
    }
  }());
}

TEST(Sockets, BlockingSocketRefused) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Socket s;
    EXPECT_THROW(co_await loop.sock_recv(s, 1), std::invalid_argument);
    Socket closed;
    closed.close();
    EXPECT_THROW(co_await loop.sock_recv(closed, 1), asyncio::OSError);
  }());
}

TEST(Sockets, CancelPendingRecvLeavesSocketUsable) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sp = asyncio::socketpair();
    Socket& a = sp.first;
    Socket& b = sp.second;
    a.setblocking(false);
    b.setblocking(false);
    auto t = asyncio::create_task(loop.sock_recv(a, 10));
    co_await asyncio::sleep(0);
    EXPECT_NE(loop.fd_watcher(a.fileno(), false), nullptr);
    t.cancel();
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_EQ(loop.fd_watcher(a.fileno(), false), nullptr);  // no dangling registration
    co_await loop.sock_sendall(b, "after");
    EXPECT_EQ(co_await loop.sock_recv(a, 10), "after");
  }());
}

TEST(Sockets, CancelPendingAcceptThenAccept) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Socket srv = listener();
    auto t = asyncio::create_task(loop.sock_accept(srv));
    co_await asyncio::sleep(0);
    t.cancel();
    EXPECT_THROW(co_await t, CancelledError);
    Socket cli;
    cli.setblocking(false);
    co_await loop.sock_connect(cli, srv.getsockname());
    auto [conn, peer] = co_await loop.sock_accept(srv);
    EXPECT_EQ(peer, cli.getsockname());
  }());
}

TEST(Sockets, TwoWaitersOnOneDescriptorIsAnError) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sp = asyncio::socketpair();
    Socket& a = sp.first;
    (void)sp.second;
    a.setblocking(false);
    auto t = asyncio::create_task(loop.sock_recv(a, 1));
    co_await asyncio::sleep(0);
    EXPECT_THROW(co_await loop.sock_recv(a, 1), asyncio::RuntimeError);
    t.cancel();
    EXPECT_THROW(co_await t, CancelledError);
  }());
}

TEST(Sockets, PeerResetGivesConnectionResetError) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Socket srv = listener();
    Socket cli;
    cli.setblocking(false);
    co_await loop.sock_connect(cli, srv.getsockname());
    auto [conn, peer] = co_await loop.sock_accept(srv);
    linger lg{1, 0};
    ::setsockopt(conn.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    conn.close();  // RST
    EXPECT_THROW(co_await loop.sock_recv(cli, 10), asyncio::ConnectionResetError);
  }());
}

TEST(Sockets, GetaddrinfoOnTheExecutor) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto infos = co_await loop.getaddrinfo("127.0.0.1", 80, 0, SOCK_STREAM);
    EXPECT_FALSE(infos.empty());
    if (infos.empty()) co_return;
    EXPECT_EQ(infos[0].family, AF_INET);
    EXPECT_EQ(infos[0].sockaddr, (Address{"127.0.0.1", 80}));
    auto v6 = co_await loop.getaddrinfo("::1", 81, AF_INET6, SOCK_STREAM);
    EXPECT_FALSE(v6.empty());
    if (v6.empty()) co_return;
    EXPECT_EQ(v6[0].sockaddr.repr(), "('::1', 81, 0, 0)");
    try {
      co_await loop.getaddrinfo("not an address", 0, 0, 0, 0, AI_NUMERICHOST);
      ADD_FAILURE();
    } catch (const asyncio::gaierror& e) {
      EXPECT_EQ(e.errnum(), EAI_NONAME);
      EXPECT_STREQ(e.what(), "[Errno -2] Name or service not known");
    }
  }());
}

TEST(Sockets, LoopClosedWithPendingRecvUnregisters) {
  auto sp = asyncio::socketpair();
  Socket& a = sp.first;
  (void)sp.second;
  a.setblocking(false);
  {
    EventLoop loop;
    auto t = loop.create_task(loop.sock_recv(a, 1));
    loop.run_until_complete(asyncio::sleep(0));
    loop.close();  // the task's frame goes; its watcher with it
  }
  SUCCEED();
}

}  // namespace
