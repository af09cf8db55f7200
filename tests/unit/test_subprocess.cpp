// Subprocesses (subprocess.hpp): real children — /bin/sh, cat, head — through PIPE,
// DEVNULL, STDOUT and inherited descriptors; wait, communicate, signals, cancellation;
// no zombies, no leaked descriptors. CPython: Lib/test/test_asyncio/test_subprocess.py.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/subprocess.hpp"
#include "support.hpp"

using asyncio::Coro;
using asyncio::Process;
using asyncio::SubprocessOptions;
namespace sp = asyncio::subprocess;

namespace {

template <class F>
auto run(F f) {
  return asyncio::run(f());
}

// The process's children that exist (zombies included), from /proc.
int count_children() {
  int n = 0;
  std::string me = std::to_string(getpid());
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string path = std::string("/proc/") + e->d_name + "/stat";
    FILE* f = fopen(path.c_str(), "r");
    if (!f) continue;
    char buf[512] = {};
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    std::string s(buf, k);
    auto rp = s.rfind(')');
    if (rp == std::string::npos) continue;
    // ") S PPID ..."
    std::string rest = s.substr(rp + 2);
    auto sp1 = rest.find(' ');
    auto sp2 = rest.find(' ', sp1 + 1);
    if (rest.substr(sp1 + 1, sp2 - sp1 - 1) == me) ++n;
  }
  closedir(d);
  return n;
}

TEST(Subprocess, EchoThroughStdoutPipe) {
  auto [out, rc] = run([]() -> Coro<std::pair<std::string, int>> {
    Process p = co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "echo hello; exit 3",
                                                         SubprocessOptions{.stdout_ = sp::PIPE});
    EXPECT_GT(p.pid(), 0);
    std::string line = co_await p.stdout_.readline();
    int rc = co_await p.wait();
    EXPECT_EQ(p.returncode(), 3);
    co_return std::pair<std::string, int>(line, rc);
  });
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(rc, 3);
}

TEST(Subprocess, ShellAndReturncodeBeforeExit) {
  int rc = run([]() -> Coro<int> {
    Process p = co_await asyncio::create_subprocess_shell("exit 7");
    EXPECT_EQ(p.returncode(), std::nullopt);
    co_return co_await p.wait();
  });
  EXPECT_EQ(rc, 7);
}

TEST(Subprocess, CommunicateOneMiBBothWays) {
  std::string big(1 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>('a' + i / 4096 % 26);
  auto [out, err] =
      run([&]() -> Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> {
        Process p = co_await asyncio::create_subprocess_exec(
            "/bin/sh", "-c", "cat; head -c 1048576 /dev/zero >&2",
            SubprocessOptions{.stdin_ = sp::PIPE, .stdout_ = sp::PIPE, .stderr_ = sp::PIPE});
        auto r = co_await p.communicate(big);
        EXPECT_EQ(p.returncode(), 0);
        co_return r;
      });
  ASSERT_TRUE(out && err);
  EXPECT_EQ(*out, big);
  EXPECT_EQ(err->size(), 1u << 20);
}

TEST(Subprocess, CommunicateWithoutPipesGivesNullopt) {
  auto r = run([]() -> Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> {
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "echo out; echo err >&2",
        SubprocessOptions{.stdout_ = sp::DEVNULL, .stderr_ = sp::PIPE});
    co_return co_await p.communicate();
  });
  EXPECT_EQ(r.first, std::nullopt);
  EXPECT_EQ(r.second, "err\n");
}

TEST(Subprocess, StderrToStdout) {
  auto r = run([]() -> Coro<std::optional<std::string>> {
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "echo a; echo b >&2; echo c",
        SubprocessOptions{.stdout_ = sp::PIPE, .stderr_ = sp::STDOUT});
    auto [o, e] = co_await p.communicate();
    EXPECT_EQ(e, std::nullopt);
    co_return o;
  });
  EXPECT_EQ(r, "a\nb\nc\n");
}

TEST(Subprocess, InheritedDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  int rc = run([&]() -> Coro<int> {
    Process p = co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "echo via-fd",
                                                         SubprocessOptions{.stdout_ = fds[1]});
    co_return co_await p.wait();
  });
  EXPECT_EQ(rc, 0);
  close(fds[1]);
  char buf[64] = {};
  ssize_t n = read(fds[0], buf, sizeof buf);
  close(fds[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "via-fd\n");
}

TEST(Subprocess, KilledBySignalIsMinusSignum) {
  auto [rc1, rc2] = run([]() -> Coro<std::pair<int, int>> {
    Process p = co_await asyncio::create_subprocess_exec("sleep", "30");
    p.kill();
    int a = co_await p.wait();
    Process q = co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "kill -USR1 $$");
    int b = co_await q.wait();
    co_return std::pair<int, int>(a, b);
  });
  EXPECT_EQ(rc1, -SIGKILL);
  EXPECT_EQ(rc2, -SIGUSR1);
}

TEST(Subprocess, KillAfterWaitIsProcessLookupError) {
  run([]() -> Coro<void> {
    Process p = co_await asyncio::create_subprocess_exec("true");
    co_await p.wait();
    EXPECT_THROW(p.kill(), asyncio::ProcessLookupError);
    EXPECT_THROW(p.send_signal(SIGTERM), asyncio::ProcessLookupError);
  });
}

TEST(Subprocess, ChildIgnoringSigtermNeedsSigkill) {
  auto rc = run([]() -> Coro<int> {
    // The shell prints once its trap is set, so SIGTERM cannot come before it.
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done",
        SubprocessOptions{.stdout_ = sp::PIPE});
    EXPECT_EQ(co_await p.stdout_.readline(), "ready\n");
    p.terminate();
    bool timed_out = false;
    try {
      co_await asyncio::wait_for(p.wait(), 0.3);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(p.returncode(), std::nullopt);
    p.kill();
    co_return co_await p.wait();
  });
  EXPECT_EQ(rc, -SIGKILL);
}

TEST(Subprocess, ChildClosingStdoutEarly) {
  auto r = run([]() -> Coro<std::pair<std::string, int>> {
    Process p = co_await asyncio::create_subprocess_exec("/bin/sh", "-c",
                                                         "echo early; exec >&-; sleep 0.1; exit 4",
                                                         SubprocessOptions{.stdout_ = sp::PIPE});
    std::string all = co_await p.stdout_.read();
    EXPECT_TRUE(p.stdout_.at_eof());
    int rc = co_await p.wait();
    co_return std::pair<std::string, int>(all, rc);
  });
  EXPECT_EQ(r.first, "early\n");
  EXPECT_EQ(r.second, 4);
}

TEST(Subprocess, ChildClosingStdinEarlyIsNotAnError) {
  auto r = run([]() -> Coro<int> {
    Process p = co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "exec <&-; exit 0",
                                                         SubprocessOptions{.stdin_ = sp::PIPE});
    auto res = co_await p.communicate(std::string(1 << 20, 'z'));
    EXPECT_EQ(res.first, std::nullopt);
    co_return *p.returncode();
  });
  EXPECT_EQ(r, 0);
}

TEST(Subprocess, CancelledWaitLeavesChildRunning) {
  run([]() -> Coro<void> {
    Process p = co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "read x; exit 5",
                                                         SubprocessOptions{.stdin_ = sp::PIPE});
    bool timed_out = false;
    try {
      co_await asyncio::wait_for(p.wait(), 0.05);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(::kill(p.pid(), 0), 0);  // still alive
    EXPECT_EQ(p.returncode(), std::nullopt);
    p.stdin_.write("go\n");
    EXPECT_EQ(co_await p.wait(), 5);
  });
}

TEST(Subprocess, CancelledCommunicateLeavesChildRunning) {
  run([]() -> Coro<void> {
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "echo a; read x; echo b",
        SubprocessOptions{.stdin_ = sp::PIPE, .stdout_ = sp::PIPE});
    asyncio::Task<std::pair<std::optional<std::string>, std::optional<std::string>>> t =
        asyncio::create_task(p.communicate());  // closes stdin: the child's read gets EOF
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    t.cancel();
    try {
      co_await t;
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_EQ(p.returncode(), std::nullopt);
    EXPECT_EQ(co_await p.wait(), 0);
  });
}

TEST(Subprocess, TwoHundredConcurrentChildren) {
  int total = run([]() -> Coro<int> {
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 200; ++i) {
      tasks.push_back(asyncio::create_task([](int i) -> Coro<int> {
        Process p = co_await asyncio::create_subprocess_exec(
            "/bin/sh", "-c", "echo $0", std::to_string(i), SubprocessOptions{.stdout_ = sp::PIPE});
        auto [out, err] = co_await p.communicate();
        EXPECT_EQ(*out, std::to_string(i) + "\n");
        co_return std::stoi(*out) + co_await p.wait();
      }(i)));
    }
    int sum = 0;
    for (auto& t : tasks) sum += co_await t;
    co_return sum;
  });
  EXPECT_EQ(total, 199 * 200 / 2);
  EXPECT_EQ(count_children(), 0);
}

TEST(Subprocess, NoZombieAfterLoopClose) {
  pid_t pid = run([]() -> Coro<pid_t> {
    Process p = co_await asyncio::create_subprocess_exec("sleep", "30");
    co_return p.pid();  // the loop closes with the child running
  });
  EXPECT_EQ(::kill(pid, 0), -1);  // killed and reaped: no such process
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(count_children(), 0);
}

TEST(Subprocess, DroppedHandleChildIsStillReaped) {
  run([]() -> Coro<void> {
    pid_t pid;
    {
      Process p = co_await asyncio::create_subprocess_exec("true");
      pid = p.pid();
    }
    for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) co_await asyncio::sleep(0.01);
    EXPECT_EQ(::kill(pid, 0), -1);
  });
  EXPECT_EQ(count_children(), 0);
}

TEST(Subprocess, OnlyRequestedDescriptorsReachTheChild) {
  int stray = ::open("/dev/null", O_RDONLY);  // not CLOEXEC: closed in the child anyway
  auto out = run([]() -> Coro<std::string> {
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "ls /proc/$$/fd",
        SubprocessOptions{.stdin_ = sp::PIPE, .stdout_ = sp::PIPE});
    auto [o, e] = co_await p.communicate();
    co_return *o;
  });
  ::close(stray);
  // ls's own descriptor for the directory is listed by ls's pid, not the shell's.
  std::set<std::string> fds;
  std::size_t b = 0;
  while (b < out.size()) {
    std::size_t e = out.find('\n', b);
    fds.insert(out.substr(b, e - b));
    b = e + 1;
  }
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"})) << out;
}

TEST(Subprocess, CwdAndEnv) {
  auto out = run([]() -> Coro<std::string> {
    // Named first: a braced list of strings inside co_await does not compile with g++ 12.
    SubprocessOptions opts{.stdout_ = sp::PIPE, .cwd = "/tmp"};
    opts.env = std::map<std::string, std::string>{{"FOO", "bar"}};
    Process p =
        co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "pwd; echo \"$FOO|$HOME\"", opts);
    auto [o, e] = co_await p.communicate();
    co_return *o;
  });
  EXPECT_EQ(out, "/tmp\nbar|\n");
}

TEST(Subprocess, BadInput) {
  run([]() -> Coro<void> {
    try {
      co_await asyncio::create_subprocess_exec("/nonexistent/prog");
      ADD_FAILURE();
    } catch (const asyncio::FileNotFoundError& e) {
      EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: '/nonexistent/prog'");
    }
    try {
      co_await asyncio::create_subprocess_exec("no-such-program-here");
      ADD_FAILURE();
    } catch (const asyncio::FileNotFoundError& e) {
      EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: 'no-such-program-here'");
    }
    try {
      // Named first: g++ 12 destroys twice a temporary in a co_await that throws (README).
      SubprocessOptions bad_cwd{.cwd = "/nonexistent-dir"};
      co_await asyncio::create_subprocess_exec("true", bad_cwd);
      ADD_FAILURE();
    } catch (const asyncio::FileNotFoundError& e) {
      EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: '/nonexistent-dir'");
    }
    try {
      std::string nul("a\0b", 3);
      co_await asyncio::create_subprocess_exec("true", nul);
      ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "embedded null byte");
    }
    EXPECT_EQ(count_children(), 0);
  });
}

TEST(Subprocess, Repr) {
  run([]() -> Coro<void> {
    Process p = co_await asyncio::create_subprocess_exec("true");
    EXPECT_EQ(p.repr(), "<Process " + std::to_string(p.pid()) + ">");
    co_await p.wait();
  });
}

}  // namespace
