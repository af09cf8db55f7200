// The HTTP/1.1 server example (examples/support/http_server.hpp, examples/http_server.cpp),
// driven from outside as its users' clients would: curl (Debian's curl, a client nobody
// here wrote) and raw bytes over blocking POSIX sockets — well-formed, pipelined, split
// at every byte boundary, malformed, oversized, and slow. The server runs on its own
// event loop in a thread of this process, with small limits so the timeout cases take
// tenths of a second (real time: real sockets and a real client process).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "support/http_server.hpp"

namespace {

using namespace std::chrono_literals;

/// The server on its own loop in a thread; stop() (or the destructor) ends it.
class ServerThread {
 public:
  /// `port` 0: any free port; `reuse_port`: SO_REUSEPORT (several loops on one port).
  explicit ServerThread(http_example::Limits limits, int port = 0, bool reuse_port = false)
      : limits_(limits), want_port_(port), reuse_port_(reuse_port) {
    std::promise<int> bound;
    auto port_f = bound.get_future();
    thread_ = std::thread([this, &bound] {
      asyncio::EventLoop loop;
      loop_ = &loop;
      try {
        loop.run_until_complete(main(loop, bound));
      } catch (...) {  // before the port was known: the constructor rethrows it
        try {
          bound.set_exception(std::current_exception());
        } catch (const std::future_error&) {
        }
      }
      loop.close();
    });
    port_ = port_f.get();
  }
  ~ServerThread() { stop(); }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  void stop() {
    if (!thread_.joinable()) return;
    loop_->call_soon_threadsafe([this] { stop_.set_result(); });
    thread_.join();
  }

 private:
  asyncio::Coro<void> main(asyncio::EventLoop& loop, std::promise<int>& port) {
    stop_ = loop.create_future<void>();
    asyncio::ServerOptions opts;
    opts.backlog = 1024;  // as examples/http_server.cpp (ManyConnectionsAtOnce opens 200)
    opts.reuse_port = reuse_port_;
    asyncio::Server server = co_await asyncio::create_server(
        loop,
        [this] {
          ++accepted_;
          return http_example::HttpProtocol(&limits_);
        },
        "127.0.0.1", want_port_, opts);
    port.set_value(server.sockets()[0].getsockname().port);
    co_await stop_;
    server.close();
    server.abort_clients();
    co_await server.wait_closed();
  }

  http_example::Limits limits_;
  int want_port_;
  bool reuse_port_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
  asyncio::EventLoop* loop_ = nullptr;
  asyncio::Future<void> stop_;
  int port_ = 0;
};

http_example::Limits test_limits() {
  http_example::Limits l;
  l.max_header_bytes = 1024;
  l.max_headers = 20;
  l.max_body_bytes = 4096;
  l.header_timeout = 0.4;
  l.idle_timeout = 0.3;
  return l;
}

/// A blocking client socket with a 5 s receive timeout (a hung server fails the test,
/// it does not hang it).
int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the server closed: what it answered is still readable
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// Everything until the server closes (or 5 s pass without data).
std::string read_to_close(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

/// Sends `req` and returns all the server sends before closing.
std::string exchange(int port, std::string_view req) {
  int fd = connect_to(port);
  EXPECT_GE(fd, 0);
  send_all(fd, req);
  std::string out = read_to_close(fd);
  ::close(fd);
  return out;
}

/// The status codes of the responses in `raw`, in order (each one's body skipped by its
/// Content-Length).
std::vector<int> statuses(const std::string& raw) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.compare(pos, 9, "HTTP/1.1 ") != 0) {
      out.push_back(-1);
      break;
    }
    out.push_back(std::atoi(raw.c_str() + pos + 9));
    const std::size_t end = raw.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    const std::size_t cl = raw.find("Content-Length: ", pos);
    std::size_t len = 0;
    if (cl != std::string::npos && cl < end) len = std::strtoul(raw.c_str() + cl + 16, nullptr, 10);
    pos = end + 4 + len;
  }
  return out;
}

/// The bodies of the responses in `raw`, in order.
std::vector<std::string> bodies(const std::string& raw) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t end = raw.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    const std::size_t cl = raw.find("Content-Length: ", pos);
    std::size_t len = 0;
    if (cl != std::string::npos && cl < end) len = std::strtoul(raw.c_str() + cl + 16, nullptr, 10);
    out.push_back(raw.substr(end + 4, len));
    pos = end + 4 + len;
  }
  return out;
}

/// Runs a shell command, returns its stdout (curl: stderr merged when asked in `cmd`).
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

bool have_curl() { return std::system("curl --version >/dev/null 2>&1") == 0; }

std::string url(int port, const char* path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

// --- curl ---------------------------------------------------------------------------------

TEST(HttpServerCurl, PlaintextAndJsonRoutes) {
  if (!have_curl()) GTEST_SKIP() << "curl is not installed (scripts/setup.sh installs it)";
  ServerThread s(test_limits());
  EXPECT_EQ(
      run("curl -s --max-time 5 -w ' %{http_code} %{content_type}' " + url(s.port(), "/plaintext")),
      "Hello, World! 200 text/plain");
  EXPECT_EQ(
      run("curl -s --max-time 5 -w ' %{http_code} %{content_type}' " + url(s.port(), "/json")),
      R"({"message":"Hello, World!"} 200 application/json)");
  EXPECT_EQ(run("curl -s --max-time 5 -o /dev/null -w '%{http_code}' " + url(s.port(), "/missing")),
            "404");
  EXPECT_EQ(run("curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE " +
                url(s.port(), "/json")),
            "405");
}

TEST(HttpServerCurl, KeepAliveReusesTheConnection) {
  if (!have_curl()) GTEST_SKIP() << "curl is not installed";
  ServerThread s(test_limits());
  // Two URLs on one command line: curl reuses the connection and says so on stderr.
  std::string out = run("curl -sv --max-time 5 " + url(s.port(), "/plaintext") + " " +
                        url(s.port(), "/json") + " 2>&1");
  EXPECT_NE(out.find("Hello, World!"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"message":"Hello, World!"})"), std::string::npos) << out;
  EXPECT_NE(out.find("Re-using existing connection"), std::string::npos) << out;
}

TEST(HttpServerCurl, PostBodiesWithContentLengthAndChunked) {
  if (!have_curl()) GTEST_SKIP() << "curl is not installed";
  ServerThread s(test_limits());
  EXPECT_EQ(
      run("curl -s --max-time 5 --data-binary 'a body of some length' " + url(s.port(), "/echo")),
      "a body of some length");
  EXPECT_EQ(
      run("printf 'line one\\nline two\\n' | curl -s --max-time 5 -H 'Transfer-Encoding: chunked' "
          "--data-binary @- " +
          url(s.port(), "/echo")),
      "line one\nline two\n");
  // Over the body limit (4096 here): 413.
  EXPECT_EQ(run("head -c 5000 /dev/zero | curl -s --max-time 5 -o /dev/null -w '%{http_code}' "
                "--data-binary @- " +
                url(s.port(), "/echo")),
            "413");
}

// --- raw bytes ----------------------------------------------------------------------------

TEST(HttpServerRaw, PipelinedRequestsAreAnsweredInOrder) {
  ServerThread s(test_limits());
  std::string raw = exchange(s.port(),
                             "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /json HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                             "GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statuses(raw), (std::vector<int>{200, 200, 200, 404}));
  EXPECT_EQ(bodies(raw),
            (std::vector<std::string>{"Hello, World!", R"({"message":"Hello, World!"})", "abc",
                                      "Not Found\n"}));
  EXPECT_NE(raw.rfind("Connection: close\r\n"), std::string::npos);
}

TEST(HttpServerRaw, PipelinedRequestsSplitAtEveryByteBoundary) {
  ServerThread s(test_limits());
  const std::string req =
      "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nwxyz";
  const std::string expected = exchange(s.port(), req);
  ASSERT_EQ(statuses(expected), (std::vector<int>{200, 200, 200}));
  ASSERT_EQ(bodies(expected), (std::vector<std::string>{"Hello, World!", "abcde", "wxyz"}));
  for (std::size_t k = 1; k < req.size(); ++k) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    send_all(fd, std::string_view(req).substr(0, k));
    std::this_thread::sleep_for(1ms);  // lets the server read the first part on its own
    send_all(fd, std::string_view(req).substr(k));
    std::string got = read_to_close(fd);
    ::close(fd);
    ASSERT_EQ(bodies(got), bodies(expected)) << "split at byte " << k;
    ASSERT_EQ(statuses(got), statuses(expected)) << "split at byte " << k;
  }
}

TEST(HttpServerRaw, OneByteAtATime) {
  ServerThread s(test_limits());
  const std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n";
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  for (char c : req) {
    send_all(fd, std::string_view(&c, 1));
    std::this_thread::sleep_for(200us);
  }
  std::string got = read_to_close(fd);
  ::close(fd);
  EXPECT_EQ(statuses(got), (std::vector<int>{200}));
  EXPECT_EQ(bodies(got), (std::vector<std::string>{"hello"}));
}

TEST(HttpServerRaw, HeadHasNoBody) {
  ServerThread s(test_limits());
  std::string raw =
      exchange(s.port(), "HEAD /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.find("HTTP/1.1 200 OK\r\n"), 0u) << raw;
  EXPECT_NE(raw.find("Content-Length: 27\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n") << raw;  // headers only
}

TEST(HttpServerRaw, Http10ClosesUnlessKeepAlive) {
  ServerThread s(test_limits());
  std::string raw = exchange(s.port(), "GET /plaintext HTTP/1.0\r\n\r\n");  // no Host needed
  EXPECT_EQ(statuses(raw), (std::vector<int>{200}));
  EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
  // With keep-alive the connection stays for a second request.
  raw = exchange(s.port(),
                 "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                 "GET /json HTTP/1.0\r\n\r\n");
  EXPECT_EQ(statuses(raw), (std::vector<int>{200, 200}));
}

struct BadCase {
  const char* what;
  std::string request;
  int status;
};

TEST(HttpServerRaw, MalformedRequestsGetTheirStatusAndAClose) {
  ServerThread s(test_limits());
  const std::vector<BadCase> cases = {
      {"no version", "GET /\r\n\r\n", 400},
      {"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"method not a token", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"bad version", "GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"header without colon", "GET / HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"no Host in 1.1", "GET /plaintext HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"Content-Length and chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"gzip transfer coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
       501},
      {"bad Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3a\r\n\r\nabc",
       400},
      {"conflicting Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"bad chunk size",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"chunk without CRLF",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400},
      {"body over the limit", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
       413},
      {"chunks over the limit",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n", 413},
      {"header section over the limit",
       "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", 431},
      {"header section over the limit, unterminated",
       "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a'), 431},
  };
  for (const BadCase& c : cases) {
    std::string raw = exchange(s.port(), c.request);
    EXPECT_EQ(statuses(raw), (std::vector<int>{c.status})) << c.what << ": " << raw;
    EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << c.what;
  }
  // Too many header fields (20 here).
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 25; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(statuses(exchange(s.port(), many + "\r\n")), (std::vector<int>{431}));
  // A bad request after a good one: the good one is answered, then the 400, then close.
  std::string raw =
      exchange(s.port(), "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nNONSENSE\r\n\r\n");
  EXPECT_EQ(statuses(raw), (std::vector<int>{200, 400}));
}

TEST(HttpServerRaw, SlowlorisGets408AtTheHeaderDeadline) {
  ServerThread s(test_limits());  // header_timeout 0.4 s
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  const auto t0 = std::chrono::steady_clock::now();
  // One header byte every 50 ms: each keeps the connection busy, none completes the head.
  const std::string trickle = "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa";
  std::string got;
  for (char c : trickle) {
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - t0 > 1500ms) break;
  }
  got = read_to_close(fd);
  ::close(fd);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(statuses(got), (std::vector<int>{408})) << got;
  EXPECT_LT(elapsed, 2s);
}

TEST(HttpServerRaw, IdleKeepAliveConnectionIsClosed) {
  ServerThread s(test_limits());  // idle_timeout 0.3 s
  int fd = connect_to(s.port());
  ASSERT_GE(fd, 0);
  send_all(fd, "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  std::string got = read_to_close(fd);  // the answer, then the close after 0.3 s idle
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_EQ(statuses(got), (std::vector<int>{200}));
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(HttpServerRaw, ManyConnectionsAtOnce) {
  ServerThread s(test_limits());
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  for (int fd : fds) send_all(fd, "GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  for (int fd : fds) {
    EXPECT_EQ(bodies(read_to_close(fd)),
              (std::vector<std::string>{R"({"message":"Hello, World!"})"}));
    ::close(fd);
  }
}

// --- one loop per core -------------------------------------------------------------------

TEST(HttpServerLoops, TwoLoopsShareOnePortWithReusePort) {
  // As `http_server PORT 2`: two threads, each its own loop and listening socket on the
  // same port (SO_REUSEPORT); the kernel spreads the connections, the loops share nothing.
  ServerThread a(test_limits(), 0, true);
  ServerThread b(test_limits(), a.port(), true);
  ASSERT_EQ(b.port(), a.port());
  for (int i = 0; i < 64; ++i) {
    std::string raw =
        exchange(a.port(), "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(bodies(raw), (std::vector<std::string>{"Hello, World!"})) << i;
  }
  EXPECT_EQ(a.accepted() + b.accepted(), 64);
  // 64 connections from distinct source ports: both loops served some (the chance that
  // the kernel's hash sends all of them to one socket is 2^-63).
  EXPECT_GT(a.accepted(), 0);
  EXPECT_GT(b.accepted(), 0);
  // One loop stops; the other keeps serving the port.
  a.stop();
  std::string raw =
      exchange(b.port(), "GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(bodies(raw), (std::vector<std::string>{R"({"message":"Hello, World!"})"}));
}

}  // namespace
