// Unit tests for asyncio/sendfile.hpp: loop.sendfile on a TCP transport (native sendfile(2)
// and the read/write fallback), loop.sock_sendfile on a socket pair, and CPython's errors.
// Expected results and messages are CPython 3.13's (the same calls were run under CPython
// 3.13: a pipe with count=None sends 0 bytes; with count=10 and fallback=False,
// "os.sendfile call failed"; with the fallback, 10 bytes are sent then file.seek() fails
// with "[Errno 29] Illegal seek"). No real sleeps: every wait is on I/O.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "asyncio/asyncio.hpp"

namespace {

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Server;
using asyncio::Transport;

void run(Coro<void> main) { asyncio::run(std::move(main)); }
int port_of(const Server& s) { return s.sockets().at(0).getsockname().port; }

template <class E, class A>
Coro<std::string> error_of(A awaitable) {
  try {
    co_await std::move(awaitable);
  } catch (const E& e) {
    co_return e.what();
  }
  co_return "no exception";
}

// Server side: collects everything until EOF.
struct Sink {
  std::string* got;
  Future<void> eof;
  void data_received(std::string_view d) { got->append(d); }
  bool eof_received() {
    if (!eof.done()) eof.set_result();
    return false;
  }
};

// Client side: records pause/resume and the loss.
struct Client {
  std::string* log;
  void pause_writing() { *log += "pause;"; }
  void resume_writing() { *log += "resume;"; }
  void connection_lost(std::exception_ptr) { *log += "lost;"; }
};

// A regular temporary file holding `data`, open for reading.
struct TempFile {
  int fd = -1;
  explicit TempFile(const std::string& data) {
    char tmpl[] = "/tmp/asyncio-sendfile-XXXXXX";
    fd = ::mkstemp(tmpl);
    ::unlink(tmpl);
    EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::lseek(fd, 0, SEEK_SET);
  }
  ~TempFile() { ::close(fd); }
  long tell() const { return static_cast<long>(::lseek(fd, 0, SEEK_CUR)); }
};

// A pipe whose write end was closed after `data`: not a regular file.
struct Pipe {
  int r = -1;
  explicit Pipe(const std::string& data) {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    EXPECT_EQ(::write(p[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::close(p[1]);
    r = p[0];
  }
  ~Pipe() { ::close(r); }
};

std::string digits(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('0' + i % 10);
  return s;
}

struct Pair {
  Server server;
  Transport transport;
};

Coro<Pair> connect_pair(EventLoop& loop, std::string* got, Future<void> eof, std::string* log) {
  auto sf = [got, eof] { return Sink{got, eof}; };
  Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
  auto cf = [log] { return Client{log}; };
  auto tp = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
  Transport t = tp.first;
  co_return Pair{std::move(server), std::move(t)};
}

TEST(Sendfile, NativeOnTransportSendsRangesAndMovesTheFilePosition) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::string got, log;
    Future<void> eof = loop.create_future<void>();
    Pair p = co_await connect_pair(loop, &got, eof, &log);
    const std::string data = digits(100);
    TempFile f(data);
    p.transport.write("head:");
    EXPECT_EQ(co_await asyncio::sendfile(loop, p.transport, f.fd, 5, 20), 20u);
    EXPECT_EQ(f.tell(), 25);
    EXPECT_EQ(co_await asyncio::sendfile(loop, p.transport, f.fd, 90), 10u);
    EXPECT_EQ(f.tell(), 100);
    EXPECT_TRUE(p.transport.is_reading());  // resumed
    p.transport.write(":tail");
    p.transport.write_eof();
    co_await eof;
    EXPECT_EQ(got, "head:" + data.substr(5, 20) + data.substr(90) + ":tail");
    p.transport.close();
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Sendfile, LargeFileAndWriteRefusedMeanwhile) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::string got, log;
    Future<void> eof = loop.create_future<void>();
    Pair p = co_await connect_pair(loop, &got, eof, &log);
    const std::string data = digits(8 * 1024 * 1024);
    TempFile f(data);
    Transport t = p.transport;
    auto task = loop.create_task(asyncio::sendfile(loop, t, f.fd));
    co_await asyncio::sleep(0);
    if (!task.done()) {
      EXPECT_EQ(co_await error_of<asyncio::RuntimeError>([&]() -> Coro<void> {
                  t.write("x");
                  co_return;
                }()),
                "unable to write; sendfile is in progress");
    }
    EXPECT_EQ(co_await task, data.size());
    EXPECT_EQ(f.tell(), static_cast<long>(data.size()));
    t.write_eof();
    co_await eof;
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
    t.close();
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Sendfile, BadInputWithCPythonMessages) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::string got, log;
    Future<void> eof = loop.create_future<void>();
    Pair p = co_await connect_pair(loop, &got, eof, &log);
    TempFile f("abc");
    EXPECT_EQ(
        co_await error_of<std::invalid_argument>(asyncio::sendfile(loop, p.transport, f.fd, -1)),
        "offset must be a non-negative integer (got -1)");
    EXPECT_EQ(
        co_await error_of<std::invalid_argument>(asyncio::sendfile(loop, p.transport, f.fd, 0, 0)),
        "count must be a positive integer (got 0)");
    EXPECT_EQ(
        co_await error_of<std::invalid_argument>(asyncio::sendfile(loop, p.transport, f.fd, 0, -3)),
        "count must be a positive integer (got -3)");
    EXPECT_TRUE(p.transport.is_reading());  // resumed after the error
    // A descriptor that is not open: fstat fails.
    EXPECT_EQ(co_await error_of<asyncio::SendfileNotAvailableError>(
                  asyncio::sendfile(loop, p.transport, 1000000, 0, std::nullopt, false)),
              "not a regular file");
    p.transport.close();
    EXPECT_EQ(co_await error_of<asyncio::RuntimeError>(asyncio::sendfile(loop, p.transport, f.fd)),
              "Transport is closing");
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Sendfile, PipeFallsBackAsCPython) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::string got, log;
    Future<void> eof = loop.create_future<void>();
    Pair p = co_await connect_pair(loop, &got, eof, &log);
    Pipe pipe(std::string(100, 'x'));
    // fstat of a pipe gives size 0: nothing to send.
    EXPECT_EQ(co_await asyncio::sendfile(loop, p.transport, pipe.r), 0u);
    EXPECT_EQ(co_await error_of<asyncio::SendfileNotAvailableError>(
                  asyncio::sendfile(loop, p.transport, pipe.r, 0, 10, false)),
              "os.sendfile call failed");
    // The fallback sends 10 bytes, then cannot set the position of a pipe.
    EXPECT_EQ(
        co_await error_of<asyncio::OSError>(asyncio::sendfile(loop, p.transport, pipe.r, 0, 10)),
        "[Errno 29] Illegal seek");
    EXPECT_TRUE(p.transport.is_reading());  // the protocol is back, reading resumed
    p.transport.write("!");
    p.transport.write_eof();
    co_await eof;
    EXPECT_EQ(got, std::string(10, 'x') + "!");
    p.transport.close();
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Sendfile, FallbackHonorsFlowControl) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::string got, log;
    Future<void> eof = loop.create_future<void>();
    Pair p = co_await connect_pair(loop, &got, eof, &log);
    const std::string data = digits(60000);  // fits in a pipe's buffer
    Pipe pipe(data);
    p.transport.get_extra_info<asyncio::TransportSocket>("socket")->setsockopt(SOL_SOCKET,
                                                                               SO_SNDBUF, 4096);
    p.transport.set_write_buffer_limits(100);
    EXPECT_EQ(
        co_await error_of<asyncio::OSError>(asyncio::sendfile(loop, p.transport, pipe.r, 0, 60000)),
        "[Errno 29] Illegal seek");
    // The fallback's own protocol took the pause / resume calls, not the client's.
    EXPECT_EQ(log, "");
    p.transport.write_eof();
    co_await eof;
    EXPECT_TRUE(got == data);
    p.transport.close();
    p.server.close();
    co_await p.server.wait_closed();
  }());
}

TEST(Sendfile, SockSendfileNativeFallbackAndErrors) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto pair = asyncio::socketpair();
    asyncio::Socket& a = pair.first;
    asyncio::Socket& b = pair.second;
    a.setblocking(false);
    b.setblocking(false);
    TempFile f(digits(50));
    EXPECT_EQ(co_await asyncio::sock_sendfile(loop, a, f.fd, 10, 5), 5u);
    EXPECT_EQ(f.tell(), 15);
    EXPECT_EQ(co_await loop.sock_recv(b, 100), "01234");
    Pipe pipe("hello");
    EXPECT_EQ(co_await error_of<asyncio::SendfileNotAvailableError>(
                  asyncio::sock_sendfile(loop, a, pipe.r, 0, 5, false)),
              "os.sendfile call failed");
    EXPECT_EQ(co_await error_of<asyncio::OSError>(asyncio::sock_sendfile(loop, a, pipe.r, 0, 5)),
              "[Errno 29] Illegal seek");
    EXPECT_EQ(co_await loop.sock_recv(b, 100), "hello");
    EXPECT_EQ(co_await error_of<std::invalid_argument>(asyncio::sock_sendfile(loop, a, f.fd, -1)),
              "offset must be a non-negative integer (got -1)");
    asyncio::Socket udp(AF_INET, SOCK_DGRAM, 0);
    udp.setblocking(false);
    EXPECT_EQ(co_await error_of<std::invalid_argument>(asyncio::sock_sendfile(loop, udp, f.fd)),
              "only SOCK_STREAM type sockets are supported");
  }());
}

// Server side that never reads: the client's socket buffer fills up.
struct Stalled {
  void connection_made(Transport t) { t.pause_reading(); }
};

TEST(Sendfile, AbortDuringNativeSendfileRaisesConnectionError) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sf = [] { return Stalled{}; };
    Server server = co_await asyncio::create_server(loop, sf, std::string("127.0.0.1"), 0);
    std::string log;
    auto cf = [&log] { return Client{&log}; };
    auto tp = co_await asyncio::create_connection(loop, cf, "127.0.0.1", port_of(server));
    Transport t = tp.first;
    TempFile f(digits(32 * 1024 * 1024));
    auto task = loop.create_task(asyncio::sendfile(loop, t, f.fd));
    // Until the socket buffers are full and the sendfile waits (bounded).
    for (int i = 0; i < 1000 && !task.done(); ++i) co_await asyncio::sleep(0);
    EXPECT_FALSE(task.done());
    t.abort();
    std::string msg = co_await error_of<asyncio::ConnectionError>(std::move(task));
    EXPECT_EQ(msg, "Connection is closed by peer");
    EXPECT_GT(f.tell(), 0);  // the position is after what was sent
    EXPECT_EQ(log, "lost;");
    server.close();
    server.abort_clients();
    co_await server.wait_closed();
  }());
}

}  // namespace
