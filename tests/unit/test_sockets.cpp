// Unit tests for asyncio/sockets.hpp: Socket, Address, and the loop's socket operations
// sock_recv / sock_recv_into / sock_sendall / sock_accept / sock_connect and getaddrinfo,
// on real loopback sockets (127.0.0.1, ::1). Expected messages are CPython 3.13's.
// (The OSError family is tested with exceptions.hpp, add_reader / add_writer with the loop.)

#include "asyncio/sockets.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"

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

TEST(Sockets, AcceptConnectSendallRecvOverIPv4) { exchange(AF_INET); }
TEST(Sockets, AcceptConnectSendallRecvOverIPv6) { exchange(AF_INET6); }

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

TEST(Sockets, AddressReprIsPythonsTuple) {
  EXPECT_EQ((Address{"127.0.0.1", 80}).repr(), "('127.0.0.1', 80)");
  EXPECT_EQ((Address{"::1", 80, AF_INET6}).repr(), "('::1', 80, 0, 0)");
}

TEST(Sockets, ConnectToAClosedPortRaisesConnectionRefusedError) {
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

TEST(Sockets, BlockingOrClosedSocketIsRefused) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Socket s;
    EXPECT_THROW(co_await loop.sock_recv(s, 1), std::invalid_argument);
    Socket closed;
    closed.close();
    EXPECT_THROW(co_await loop.sock_recv(closed, 1), asyncio::OSError);
  }());
}

TEST(Sockets, CancelledRecvLeavesTheSocketUsable) {
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

TEST(Sockets, CancelledAcceptLeavesTheListenerUsable) {
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

TEST(Sockets, TwoWaitersOnOneDescriptorRaiseRuntimeError) {
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

TEST(Sockets, GetaddrinfoResolvesOnTheExecutorOrRaisesGaierror) {
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
