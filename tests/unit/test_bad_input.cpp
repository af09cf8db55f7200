// Unit tests for issue 13 ("bad input and faults"): out-of-range ports and NaN delays are
// refused where they enter the library, with CPython's exception types and messages; an
// accept retry pending when the loop closes gives back what it holds; close() does not
// wait for a default-executor job that never finishes. Checked against CPython 3.13.
//
// The suites with "Thread" in their name use real threads (CI runs them under TSan).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncio/asyncio.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ASYNCIO_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNCIO_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef ASYNCIO_TEST_UNDER_ASAN
#define ASYNCIO_TEST_UNDER_ASAN 0
#endif

namespace {

using asyncio::Address;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::OverflowError;
using asyncio::Server;
using asyncio::StreamReader;
using asyncio::StreamWriter;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kNaNMessage = "Invalid delay: NaN (not a number)";

void run(Coro<void> main) { asyncio::run(std::move(main), {.virtual_time = true}); }

template <class F>
std::string overflow_message(F&& f) {
  try {
    f();
  } catch (const OverflowError& e) {
    return e.what();
  }
  return "no OverflowError";
}

Coro<void> noop_client(StreamReader, StreamWriter) { co_return; }

// --- 1. ports ---------------------------------------------------------------------------

TEST(BadInputPort, OverflowErrorIsAnOverflowError) {
  OverflowError e("x");
  const std::overflow_error& base = e;
  EXPECT_STREQ(base.what(), "x");
}

TEST(BadInputPort, BindRefusesOutOfRange) {
  // CPython: socket.bind(('127.0.0.1', 70000)) -> OverflowError: bind(): port must be 0-65535.
  for (int port : {70000, 65536, -1}) {
    asyncio::Socket s(AF_INET, SOCK_STREAM);
    EXPECT_EQ(overflow_message([&] {
                s.bind(Address{"127.0.0.1", port});
              }),
              "bind(): port must be 0-65535.")
        << port;
  }
  asyncio::Socket s6(AF_INET6, SOCK_STREAM);
  EXPECT_EQ(overflow_message([&] {
              s6.bind(Address{"::1", 70000, AF_INET6});
            }),
            "bind(): port must be 0-65535.");
  asyncio::Socket ok(AF_INET, SOCK_STREAM);
  ok.bind(Address{"127.0.0.1", 0});  // 0 and 65535 are in range
}

TEST(BadInputPort, SockConnectRefusesOutOfRange) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    for (int port : {70000, -1}) {
      asyncio::Socket s(AF_INET, SOCK_STREAM);
      s.setblocking(false);
      Address a{"127.0.0.1", port};
      std::string what = "no OverflowError";
      try {
        co_await loop.sock_connect(s, a);
      } catch (const OverflowError& e) {
        what = e.what();
      }
      EXPECT_EQ(what, "connect(): port must be 0-65535.") << port;
    }
  }());
}

TEST(BadInputPort, GetaddrinfoRefusesOutOfRange) {
  // CPython hands the port to the C resolver (70000 wraps to 4464): refused here.
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    for (std::string host : {"127.0.0.1", "localhost"}) {
      std::string what = "no OverflowError";
      try {
        co_await loop.getaddrinfo(host, 70000);
      } catch (const OverflowError& e) {
        what = e.what();
      }
      EXPECT_EQ(what, "getaddrinfo(): port must be 0-65535.") << host;
    }
  }());
}

TEST(BadInputPort, StartServerAndOpenConnectionRefuseOutOfRange) {
  // CPython 3.13: start_server(cb, '127.0.0.1', 70000) -> OverflowError('bind(): port must
  // be 0-65535.'); open_connection('127.0.0.1', 70000) -> OverflowError('connect(): ...').
  run([]() -> Coro<void> {
    for (int port : {70000, -1}) {
      for (std::string host : {"127.0.0.1", "localhost"}) {
        std::string what = "no OverflowError";
        try {
          Server s = co_await asyncio::start_server(noop_client, host, port);
        } catch (const OverflowError& e) {
          what = e.what();
        }
        EXPECT_EQ(what, "bind(): port must be 0-65535.") << host << " " << port;
        what = "no OverflowError";
        try {
          auto rw = co_await asyncio::open_connection(host, port);
        } catch (const OverflowError& e) {
          what = e.what();
        }
        EXPECT_EQ(what, "connect(): port must be 0-65535.") << host << " " << port;
      }
    }
  }());
}

TEST(BadInputPort, BindErrorNamesTheInnerErrno) {
  // CPython 3.13: "[Errno 98] error while attempting to bind on address ('127.0.0.1', P):
  // [errno 98] address already in use".
  asyncio::run([]() -> Coro<void> {
    Server a = co_await asyncio::start_server(noop_client, std::string("127.0.0.1"), 0);
    int port = a.sockets()[0].getsockname().port;
    std::string what;
    int err = 0;
    try {
      Server b = co_await asyncio::start_server(noop_client, std::string("127.0.0.1"), port);
    } catch (const asyncio::OSError& e) {
      what = e.what();
      err = e.errnum();
    }
    EXPECT_EQ(err, EADDRINUSE);
    EXPECT_EQ(what, "[Errno 98] error while attempting to bind on address ('127.0.0.1', " +
                        std::to_string(port) + "): [errno 98] address already in use");
    a.close();
    co_await a.wait_closed();
  }());
}

struct FailingCallback {
  void operator()(const asyncio::Future<int>&) const { throw std::runtime_error("boom"); }
};

TEST(BadInputCallback, FailingDoneCallbackIsNamed) {
  // CPython 3.13: "Exception in callback f() at file.py:11"; here the callable's type.
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> messages;
  loop.set_exception_handler(
      [&](EventLoop&, const asyncio::ExceptionContext& c) { messages.push_back(c.message); });
  asyncio::Future<int> fut = loop.create_future<int>();
  fut.add_done_callback(FailingCallback{});
  fut.set_result(1);
  loop.run_until_complete(asyncio::sleep(0));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "Exception in callback (anonymous namespace)::FailingCallback()");
  loop.close();
}

// --- 2. NaN delays and deadlines ----------------------------------------------------------

template <class F>
std::string nan_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(BadInputNaN, EveryDelayAndDeadlineRefusesNaN) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    EXPECT_EQ(nan_message([] { (void)asyncio::timeout(kNaN); }), kNaNMessage);
    EXPECT_EQ(nan_message([] { (void)asyncio::timeout_at(kNaN); }), kNaNMessage);
    EXPECT_EQ(nan_message([] { asyncio::Timeout t(kNaN); }), kNaNMessage);
    EXPECT_EQ(nan_message([&] { loop.call_later(kNaN, [] {}); }), kNaNMessage);
    EXPECT_EQ(nan_message([&] { loop.call_at(kNaN, [] {}); }), kNaNMessage);
    EXPECT_EQ(nan_message([&] { loop.call_later(std::chrono::duration<double>(kNaN), [] {}); }),
              kNaNMessage);
    std::string what = "accepted";
    try {
      co_await asyncio::sleep(kNaN);
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    EXPECT_EQ(what, kNaNMessage);
    what = "accepted";
    try {
      co_await asyncio::wait_for(asyncio::sleep(1), kNaN);
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    EXPECT_EQ(what, kNaNMessage);
    what = "accepted";
    try {
      std::vector<asyncio::Task<void>> ts;
      ts.push_back(asyncio::create_task(asyncio::sleep(1)));
      auto res = co_await asyncio::wait(ts, {.timeout = kNaN});
      (void)res;
      ts[0].cancel();
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    EXPECT_EQ(what, kNaNMessage);
    what = "accepted";
    try {
      co_await asyncio::timeout(std::nullopt).run([](asyncio::Timeout& cm) -> Coro<void> {
        cm.reschedule(kNaN);
        co_return;
      });
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    EXPECT_EQ(what, kNaNMessage);
    {
      std::vector<asyncio::Future<int>> none;
      EXPECT_EQ(nan_message([&] { (void)asyncio::as_completed(none, kNaN); }), kNaNMessage);
    }
    EXPECT_DOUBLE_EQ(loop.time(), 0.0);  // nothing entered the timer queue
  }());
}

// --- 3. the accept retry after EMFILE -------------------------------------------------------

struct Counted {
  static inline int alive = 0;
  Counted() { ++alive; }
  Counted(const Counted&) { ++alive; }
  Counted(Counted&&) noexcept { ++alive; }
  Counted& operator=(const Counted&) = default;
  ~Counted() { --alive; }
  Coro<void> operator()(StreamReader, StreamWriter) const { co_return; }
};

TEST(BadInputServer, AcceptRetryGivesBackItsReferenceWhenTheLoopCloses) {
#if ASYNCIO_TEST_UNDER_ASAN
  // With no descriptor left, the sanitizers cannot work: UBSan's vptr check needs a pipe
  // to inspect memory and reports valid objects (std::error_category) as invalid. The
  // release is checked by the lifetime counter in the other builds.
  GTEST_SKIP() << "descriptor exhaustion blinds the sanitizers' own checks";
#endif
  Counted::alive = 0;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int client = -1;
  bool exhausted = false;
  {
    EventLoop loop;
    std::optional<Server> server;
    loop.run_until_complete([](std::optional<Server>& out) -> Coro<void> {
      out = co_await asyncio::start_server(Counted{}, std::string("127.0.0.1"), 0);
    }(server));
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(Counted::alive, 1);  // the server's copy
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(server->sockets()[0].getsockname().port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    loop.set_exception_handler([&](EventLoop& l, const asyncio::ExceptionContext& c) {
      if (c.message == "socket.accept() out of system resource") exhausted = true;
      l.stop();
    });
    // No descriptor can be made any more: the lowest free one is the new limit.
    const int lowest_free = ::dup(0);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(lowest_free);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    loop.run_forever();  // accept fails with EMFILE: the server retries in a second
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    EXPECT_TRUE(exhausted);
    loop.close();  // before the retry: the timer and its reference are discarded
    server.reset();
    EXPECT_EQ(Counted::alive, 0);  // the state, and the callback with it, are freed
  }
  ::close(client);
  EXPECT_EQ(Counted::alive, 0);
}

// --- 4. close() and a default-executor job that never finishes -----------------------------

struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool closed = false;
  std::latch job_started{1};
  std::latch job_gone{1};  // the job's call and its completion are over
};

TEST(BadInputThread, CloseDoesNotWaitForARunningExecutorJob) {
  auto g = std::make_shared<Gate>();
  // Bounds the test if close() waits: releases the job after 30 s, and the test fails.
  std::thread watchdog([g] {
    std::unique_lock<std::mutex> lk(g->m);
    if (!g->cv.wait_for(lk, std::chrono::seconds(30), [&] { return g->closed; })) {
      g->release = true;
      g->cv.notify_all();
    }
  });
  bool close_returned_first = false;
  {
    EventLoop loop;
    asyncio::Future<int> fut;
    loop.run_until_complete(
        [](EventLoop& l, asyncio::Future<int>& f, std::shared_ptr<Gate> gate) -> Coro<void> {
          // Only the executor's copy of the job holds the token: its end is the job's end.
          std::shared_ptr<void> token(nullptr, [gate](void*) { gate->job_gone.count_down(); });
          auto job = [gate, token = std::move(token)] {
            gate->job_started.count_down();
            std::unique_lock<std::mutex> lk(gate->m);
            gate->cv.wait(lk, [&] { return gate->release; });
            return 1;
          };
          f = l.run_in_executor(nullptr, std::move(job));
          co_return;
        }(loop, fut, g));
    g->job_started.wait();
    loop.close();  // returns at once: the job still blocks
    {
      std::lock_guard<std::mutex> lk(g->m);
      close_returned_first = !g->release;
      g->closed = true;
    }
    g->cv.notify_all();
    EXPECT_FALSE(fut.done());
  }  // the loop is destroyed while the job runs
  EXPECT_TRUE(close_returned_first);
  {
    std::lock_guard<std::mutex> lk(g->m);
    g->release = true;
  }
  g->cv.notify_all();
  g->job_gone.wait();  // the result reached a closed loop's link and was dropped
  watchdog.join();
}

}  // namespace
