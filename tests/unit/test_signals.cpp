// Signals (event_loop.hpp add_signal_handler / remove_signal_handler) and the runner's
// SIGINT handling (asyncio::run, runners.hpp Runner). Signals are sent to this process
// with kill(getpid(), ...) while the loop waits in epoll. Every test name contains
// "Thread" so that CI's ThreadSanitizer step runs them (a signal handler is a concurrent
// context). CPython: Lib/test/test_asyncio/test_unix_events.py, test_runners.py.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "support.hpp"

using asyncio::Coro;

namespace {

// Sends `sig` to this process from a timer callback: the loop is then blocked in epoll
// until the signal's byte arrives.
void kill_later(asyncio::EventLoop& loop, double delay, int sig) {
  loop.call_later(delay, [sig] { ::kill(::getpid(), sig); });
}

TEST(SignalsThread, HandlerRunsOnTheLoop) {
  asyncio::EventLoop loop;
  std::vector<std::string> log;
  std::thread::id loop_thread = std::this_thread::get_id();
  loop.add_signal_handler(SIGUSR1, [&] {
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    log.push_back("usr1");
    loop.stop();
  });
  kill_later(loop, 0.01, SIGUSR1);
  loop.run_forever();
  EXPECT_EQ(log, std::vector<std::string>{"usr1"});
  EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
  EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
  loop.close();
}

TEST(SignalsThread, HandlerReplacedThenRemoved) {
  asyncio::EventLoop loop;
  std::vector<std::string> log;
  loop.add_signal_handler(SIGUSR2, [&] { log.push_back("first"); });
  loop.add_signal_handler(SIGUSR2, [&] {
    log.push_back("second");
    loop.stop();
  });
  kill_later(loop, 0.01, SIGUSR2);
  loop.run_forever();
  EXPECT_EQ(log, std::vector<std::string>{"second"});
  EXPECT_TRUE(loop.remove_signal_handler(SIGUSR2));
  struct sigaction cur;
  sigaction(SIGUSR2, nullptr, &cur);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
  loop.close();
}

TEST(SignalsThread, SeveralSignalsAndCloseRemovesHandlers) {
  asyncio::EventLoop loop;
  int usr1 = 0, usr2 = 0;
  loop.add_signal_handler(SIGUSR1, [&] { ++usr1; });
  loop.add_signal_handler(SIGUSR2, [&] {
    ++usr2;
    loop.stop();
  });
  loop.call_soon([] {
    ::kill(::getpid(), SIGUSR1);
    ::kill(::getpid(), SIGUSR2);
  });
  loop.run_forever();
  EXPECT_EQ(usr1, 1);
  EXPECT_EQ(usr2, 1);
  loop.close();  // CPython: close() removes every handler
  struct sigaction cur;
  sigaction(SIGUSR1, nullptr, &cur);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
}

TEST(SignalsThread, BadSignals) {
  asyncio::EventLoop loop;
  auto noop = [] {};
  try {
    loop.add_signal_handler(0, noop);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "invalid signal number 0");
  }
  try {
    loop.add_signal_handler(65, noop);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "invalid signal number 65");
  }
  EXPECT_THROW(loop.add_signal_handler(32, noop), std::invalid_argument);
  try {
    loop.add_signal_handler(SIGKILL, noop);
    ADD_FAILURE();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "sig 9 cannot be caught");
  }
  try {
    loop.add_signal_handler(SIGSTOP, noop);
    ADD_FAILURE();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "sig 19 cannot be caught");
  }
  EXPECT_FALSE(loop.remove_signal_handler(SIGKILL));
  try {
    loop.remove_signal_handler(-1);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "invalid signal number -1");
  }
  std::string off_main;
  std::thread t([&] {
    try {
      loop.add_signal_handler(SIGUSR1, [] {});
    } catch (const asyncio::RuntimeError& e) {
      off_main = e.what();
    }
  });
  t.join();
  EXPECT_EQ(off_main, "set_wakeup_fd only works in main thread of the main interpreter");
  loop.close();
  EXPECT_THROW(loop.add_signal_handler(SIGUSR1, noop), asyncio::RuntimeError);
}

TEST(SignalsThread, HandlerExceptionGoesToTheExceptionHandler) {
  asyncio::EventLoop loop;
  asyncio_test::HandlerLog log(loop);
  loop.add_signal_handler(SIGUSR1, [&] {
    loop.stop();
    throw std::runtime_error("boom");
  });
  kill_later(loop, 0.01, SIGUSR1);
  loop.run_forever();
  ASSERT_EQ(log.contexts.size(), 1u);
  loop.close();
}

// The main task catches the CancelledError of the first SIGINT and cleans up.
TEST(RunnerSigintThread, FirstSigintCancelsTheMainTask) {
  std::vector<std::string> log;
  int rc = asyncio::run([](std::vector<std::string>* log) -> Coro<int> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    try {
      co_await asyncio::sleep(30);
    } catch (const asyncio::CancelledError&) {
      log->push_back("cancelled");
    }
    log->push_back("finally");
    co_return 7;
  }(&log));
  EXPECT_EQ(rc, 7);  // it caught the cancellation: run returns normally
  EXPECT_EQ(log, (std::vector<std::string>{"cancelled", "finally"}));
  struct sigaction cur;
  sigaction(SIGINT, nullptr, &cur);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
}

TEST(RunnerSigintThread, CancelledMainTaskIsKeyboardInterrupt) {
  bool cleaned = false;
  asyncio::Runner runner;
  EXPECT_THROW(runner.run([](bool* cleaned) -> Coro<void> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    struct Cleanup {
      bool* c;
      ~Cleanup() { *c = true; }
    } cleanup{cleaned};
    co_await asyncio::sleep(30);
  }(&cleaned)),
               asyncio::KeyboardInterrupt);
  EXPECT_TRUE(cleaned);
  // The runner is still usable after the interrupt.
  EXPECT_EQ(runner.run([]() -> Coro<int> { co_return 3; }()), 3);
  runner.close();
}

TEST(RunnerSigintThread, SecondSigintInterrupts) {
  asyncio::Runner runner;
  std::vector<std::string> log;
  EXPECT_THROW(runner.run([](std::vector<std::string>* log) -> Coro<void> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    try {
      co_await asyncio::sleep(30);
    } catch (const asyncio::CancelledError&) {
      log->push_back("cancelled");
    }
    // Ignores the first: waits on, and the second interrupts the loop.
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    co_await asyncio::sleep(30);
    log->push_back("not reached");
  }(&log)),
               asyncio::KeyboardInterrupt);
  EXPECT_EQ(log, std::vector<std::string>{"cancelled"});
  runner.close();  // cancels the leftover main task
  struct sigaction cur;
  sigaction(SIGINT, nullptr, &cur);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
}

// asyncio.run at the top of a script: KeyboardInterrupt; run_main's exit status is 130.
TEST(RunnerSigintThread, RunMainReturns130AfterInterrupt) {
  int rc = asyncio::run_main([]() -> Coro<int> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    co_await asyncio::sleep(30);
    co_return 0;
  }());
  EXPECT_EQ(rc, 130);
}

TEST(RunnerSigintThread, UserSigintHandlerWins) {
  int got = 0;
  asyncio::run([](int* got) -> Coro<void> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    loop.add_signal_handler(SIGINT, [got] { ++*got; });
    loop.call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    co_await asyncio::sleep(0.1);
    loop.remove_signal_handler(SIGINT);
  }(&got));
  EXPECT_EQ(got, 1);
}

TEST(RunnerThread, RunnerBasics) {
  asyncio::Runner runner(asyncio::Runner::Options{.debug = true});
  asyncio::EventLoop& loop = runner.get_loop();
  EXPECT_TRUE(loop.get_debug());
  EXPECT_EQ(runner.run([]() -> Coro<int> { co_return 1; }()), 1);
  EXPECT_EQ(runner.run([]() -> Coro<int> { co_return 2; }()), 2);
  EXPECT_EQ(&runner.get_loop(), &loop);
  runner.close();
  try {
    runner.get_loop();
    ADD_FAILURE();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Runner is closed");
  }
  asyncio::Runner r2;
  r2.close();  // never used: still usable (CPython)
  EXPECT_EQ(r2.run([]() -> Coro<int> { co_return 5; }()), 5);
}

TEST(RunnerThread, RunFromRunningLoopIsRefused) {
  asyncio::run([]() -> Coro<void> {
    asyncio::Runner inner;
    try {
      inner.run([]() -> Coro<void> { co_return; }());
      ADD_FAILURE();
    } catch (const asyncio::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "Runner.run() cannot be called from a running event loop");
    }
    co_return;
  }());
}

}  // namespace
