// Pipe transports (protocols.hpp connect_read_pipe / connect_write_pipe): CPython
// unix_events._UnixReadPipeTransport / _UnixWritePipeTransport. CPython:
// Lib/test/test_asyncio/test_unix_events.py (UnixReadPipeTransportTests, ...).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "support.hpp"

using asyncio::Coro;
using asyncio::Transport;

namespace {

struct Recorder {
  std::vector<std::string>* log;
  asyncio::Future<void> lost;
  void connection_made(const Transport&) { log->push_back("made"); }
  void data_received(std::string_view d) { log->push_back("data " + std::string(d)); }
  bool eof_received() {
    log->push_back("eof");
    return true;  // ignored by a read pipe: it closes anyway
  }
  void connection_lost(std::exception_ptr e) {
    log->push_back(e ? "lost " + asyncio::detail::describe_exception(e) : "lost None");
    lost.set_result();
  }
};

TEST(Pipes, ReadPipeGetsDataThenEofThenLost) {
  std::vector<std::string> log;
  asyncio::run([](std::vector<std::string>* log) -> Coro<void> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::Future<void> lost = loop.create_future();
    // Named first: GCC 12 destroys a lambda temporary in a co_await expression twice.
    auto factory = [log, lost] { return Recorder{log, lost}; };
    auto [tr, proto] = co_await asyncio::connect_read_pipe(loop, factory, p[0]);
    EXPECT_EQ(::write(p[1], "abc", 3), 3);
    co_await asyncio::sleep(0.01);
    ::close(p[1]);
    co_await lost;
    EXPECT_TRUE(tr.is_closing());
  }(&log));
  EXPECT_EQ(log, (std::vector<std::string>{"made", "data abc", "eof", "lost None"}));
}

TEST(Pipes, WritePipeWritesAndWriteEofCloses) {
  std::vector<std::string> log;
  std::string got = asyncio::run([](std::vector<std::string>* log) -> Coro<std::string> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::Future<void> lost = loop.create_future();
    // Named first: GCC 12 destroys a lambda temporary in a co_await expression twice.
    auto factory = [log, lost] { return Recorder{log, lost}; };
    auto [tr, proto] = co_await asyncio::connect_write_pipe(loop, factory, p[1]);
    tr.write("hello ");
    tr.write(std::string(200000, 'x'));  // more than the pipe holds: buffered
    EXPECT_GT(tr.get_write_buffer_size(), 0u);
    tr.write_eof();
    ::fcntl(p[0], F_SETFL, O_NONBLOCK);  // read it here without blocking the loop
    std::string all;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(p[0], buf, sizeof buf);
      if (n > 0) {
        all.append(buf, n);
        continue;
      }
      if (n == 0) break;
      co_await asyncio::sleep(0.001);  // EAGAIN: let the loop flush more
    }
    co_await lost;
    ::close(p[0]);
    co_return all;
  }(&log));
  EXPECT_EQ(got.size(), 6u + 200000u);
  EXPECT_EQ(got.substr(0, 6), "hello ");
  EXPECT_EQ(log, (std::vector<std::string>{"made", "lost None"}));
}

TEST(Pipes, WritePipeReaderGoneIsBrokenPipe) {
  std::vector<std::string> log;
  asyncio::run([](std::vector<std::string>* log) -> Coro<void> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::Future<void> lost = loop.create_future();
    // Named first: GCC 12 destroys a lambda temporary in a co_await expression twice.
    auto factory = [log, lost] { return Recorder{log, lost}; };
    auto [tr, proto] = co_await asyncio::connect_write_pipe(loop, factory, p[1]);
    tr.write(std::string(200000, 'x'));  // some stays buffered
    ::close(p[0]);                       // the reader goes away
    co_await lost;
  }(&log));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].rfind("lost BrokenPipeError(32", 0), 0u) << log[1];
}

TEST(Pipes, WritePipeIdleReaderGoneIsLostNone) {
  std::vector<std::string> log;
  asyncio::run([](std::vector<std::string>* log) -> Coro<void> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::Future<void> lost = loop.create_future();
    // Named first: GCC 12 destroys a lambda temporary in a co_await expression twice.
    auto factory = [log, lost] { return Recorder{log, lost}; };
    auto [tr, proto] = co_await asyncio::connect_write_pipe(loop, factory, p[1]);
    ::close(p[0]);
    co_await lost;
  }(&log));
  EXPECT_EQ(log, (std::vector<std::string>{"made", "lost None"}));
}

TEST(Pipes, RegularFileIsRefused) {
  asyncio::run([]() -> Coro<void> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    std::vector<std::string> log;
    try {
      auto factory = [&log] { return Recorder{&log, asyncio::Future<void>()}; };
      co_await asyncio::connect_read_pipe(loop, factory, fd);
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "Pipe transport is for pipes/sockets only.");
    }
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // taken over: closed
  }());
}

// --- stream wrappers (open_read_pipe / open_write_pipe) ----------------------------------

TEST(PipeStreams, ReaderOnAPipeReadsLinesThenEof) {
  std::vector<std::string> lines = asyncio::run([]() -> Coro<std::vector<std::string>> {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::StreamReader r = co_await asyncio::open_read_pipe(p[0]);
    EXPECT_EQ(::write(p[1], "one\ntwo\nthree", 13), 13);
    ::close(p[1]);
    std::vector<std::string> out;
    for (;;) {
      std::string line = co_await r.readline();
      if (line.empty()) break;
      out.push_back(line);
    }
    EXPECT_TRUE(r.at_eof());
    co_return out;
  }());
  EXPECT_EQ(lines, (std::vector<std::string>{"one\n", "two\n", "three"}));
}

TEST(PipeStreams, WriterAndReaderOnAFifo) {
  // A named pipe between two streams of one loop: what the writer sends, the reader gets.
  char dir[] = "/tmp/asyncio-fifo-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::string got = asyncio::run([](std::string path) -> Coro<std::string> {
    int rfd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int wfd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(rfd, 0);
    EXPECT_GE(wfd, 0);
    asyncio::StreamReader r = co_await asyncio::open_read_pipe(rfd);
    asyncio::StreamWriter w = co_await asyncio::open_write_pipe(wfd);
    const std::string big(300000, 'y');  // more than a pipe holds: drain waits for the reader
    w.write("start ");
    w.write(big);
    auto writer = asyncio::create_task([](asyncio::StreamWriter w) -> Coro<void> {
      co_await w.drain();
      w.close();
      co_await w.wait_closed();
    }(w));
    std::string all = co_await r.read();  // to EOF: the writer's close
    co_await writer;
    co_return all;
  }(path));
  ::unlink(path.c_str());
  ::rmdir(dir);
  EXPECT_EQ(got.size(), 6u + 300000u);
  EXPECT_EQ(got.substr(0, 6), "start ");
}

TEST(PipeStreams, ARegularFileIsRefused) {
  char tmpl[] = "/tmp/asyncio-notapipe-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::unlink(tmpl);
  asyncio::run([](int fd) -> Coro<void> {
    try {
      (void)co_await asyncio::open_read_pipe(fd);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "Pipe transport is for pipes/sockets only.");
    }
  }(fd));
  ::close(fd);
}

TEST(PipeStreams, WriterSeesTheReaderGo) {
  asyncio::run([]() -> Coro<void> {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    asyncio::StreamWriter w = co_await asyncio::open_write_pipe(p[1]);
    ::close(p[0]);  // no reader any more
    w.write(std::string(300000, 'z'));
    bool raised = false;
    try {
      co_await w.drain();
      co_await asyncio::sleep(0.05);
      co_await w.drain();
    } catch (const asyncio::ConnectionError&) {
      raised = true;
    }
    EXPECT_TRUE(raised);
    EXPECT_TRUE(w.is_closing());
  }());
}

}  // namespace
