// A process supervisor: runs N children at once (gather), streams each one's output line
// by line with its name as prefix, and kills the stragglers that are not done within the
// timeout (wait_for). Port of examples/python/supervisor.py.
//
// Usage: supervisor [N=4] [TIMEOUT=1.5]
//   child i prints i + 1 lines, 0.1 s apart, and exits with status i; the last child
//   hangs (it would sleep 30 s) and is killed when the timeout expires. (`exec sleep`: a
//   grandchild would keep the pipe open, and wait() waits for the pipes to close.)

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sp = asyncio::subprocess;

namespace {
// Python's str(float) for the short values used here: 1.5 -> "1.5", 1.0 -> "1.0".
std::string py_float(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

asyncio::Coro<void> pump(std::string name, asyncio::StreamReader stream) {
  for (;;) {
    std::string line = co_await stream.readline();
    if (line.empty()) break;
    if (line.back() == '\n') line.pop_back();
    std::printf("[%s] %s\n", name.c_str(), line.c_str());
    std::fflush(stdout);
  }
}

asyncio::Coro<int> supervise(int i, int n, double timeout) {
  std::string name = "child-" + std::to_string(i);
  std::string script = i == n - 1 ? "echo starting; exec sleep 30"
                                  : "for k in $(seq 1 " + std::to_string(i + 1) +
                                        "); do echo \"line $k\"; sleep 0.1; done; exit " +
                                        std::to_string(i);
  asyncio::SubprocessOptions opts{.stdout_ = sp::PIPE, .stderr_ = sp::STDOUT};
  asyncio::Process proc = co_await asyncio::create_subprocess_shell(script, opts);
  bool timed_out = false;
  try {
    co_await asyncio::wait_for(asyncio::gather(pump(name, proc.stdout_), proc.wait()), timeout);
  } catch (const asyncio::TimeoutError&) {
    timed_out = true;
  }
  if (timed_out) {  // (no co_await inside a catch block in C++)
    std::printf("[%s] still running after %s s: killing it\n", name.c_str(),
                py_float(timeout).c_str());
    std::fflush(stdout);
    proc.kill();
    co_await proc.wait();
  }
  std::printf("[%s] exit status %d\n", name.c_str(), *proc.returncode());
  std::fflush(stdout);
  co_return *proc.returncode();
}

asyncio::Coro<void> amain(int n, double timeout) {
  std::vector<asyncio::Coro<int>> children;
  for (int i = 0; i < n; ++i) children.push_back(supervise(i, n, timeout));
  std::vector<int> codes = co_await asyncio::gather(std::move(children));
  std::string out = "exit statuses: [";
  for (std::size_t i = 0; i < codes.size(); ++i) out += (i ? ", " : "") + std::to_string(codes[i]);
  std::printf("%s]\n", out.c_str());
}
}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 4;
  double timeout = argc > 2 ? std::atof(argv[2]) : 1.5;
  return asyncio::run_main(amain(n, timeout));
}
