// Twin of subprocess_io.py: real processes through asyncio::create_subprocess_exec /
// _shell (subprocess.hpp) with pipes — a conversation with a line-echoing child,
// communicate, STDOUT and DEVNULL, signals, gather, wait_for — in an order the parent fixes.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Process;
using asyncio::SubprocessOptions;
using twin::py_repr;
using twin::say;
namespace sp = asyncio::subprocess;

namespace {

std::string rstrip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Python's repr of a str, for what these children print (newlines escaped).
std::string repr_nl(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out + "'";
}

std::string opt_repr(const std::optional<std::string>& s) { return s ? repr_nl(*s) : "None"; }

Coro<std::pair<std::string, int>> run_code(int code) {
  SubprocessOptions o{.stdout_ = sp::PIPE};
  Process q = co_await asyncio::create_subprocess_shell(
      "echo " + std::to_string(code) + "; exit " + std::to_string(code), o);
  auto [out, err] = co_await q.communicate();
  co_return std::pair<std::string, int>(rstrip(*out), *q.returncode());
}

Coro<void> amain() {
  {
    SubprocessOptions o{.stdin_ = sp::PIPE, .stdout_ = sp::PIPE, .stderr_ = sp::PIPE};
    Process p = co_await asyncio::create_subprocess_exec(
        "/bin/sh", "-c", "while read l; do echo \"got $l\"; echo \"err $l\" >&2; done; exit 3", o);
    for (std::string word : {"alpha", "beta", "gamma"}) {
      p.stdin_.write(word + "\n");
      co_await p.stdin_.drain();
      std::string line = co_await p.stdout_.readline();
      say("child said: ", rstrip(line));
    }
    p.stdin_.close();
    say("stdout rest: ", repr_nl(co_await p.stdout_.read()));
    std::string err = co_await p.stderr_.read();
    std::size_t b = 0;
    while (b < err.size()) {
      std::size_t e = err.find('\n', b);
      say("child stderr: ", err.substr(b, e - b));
      b = e + 1;
    }
    int rc = co_await p.wait();
    say("wait: ", rc, " returncode: ", *p.returncode());
  }
  {
    SubprocessOptions o{.stdin_ = sp::PIPE, .stdout_ = sp::PIPE, .stderr_ = sp::PIPE};
    Process p =
        co_await asyncio::create_subprocess_exec("/bin/sh", "-c", "tr a-z A-Z; echo done >&2", o);
    auto [out, err] = co_await p.communicate("hello\nworld\n");
    say("communicate: ", opt_repr(out), " ", opt_repr(err), " ", *p.returncode());
  }
  {
    SubprocessOptions o{.stdout_ = sp::PIPE, .stderr_ = sp::STDOUT};
    Process p = co_await asyncio::create_subprocess_shell("echo one; echo two >&2; echo three", o);
    auto [out, err] = co_await p.communicate();
    say("merged: ", opt_repr(out), " ", opt_repr(err));
    SubprocessOptions d{.stdout_ = sp::DEVNULL};
    Process q = co_await asyncio::create_subprocess_shell("echo gone", d);
    auto [o2, e2] = co_await q.communicate();
    say("devnull: (", opt_repr(o2), ", ", opt_repr(e2), ") ", *q.returncode());
  }
  {
    Process p = co_await asyncio::create_subprocess_exec("sleep", "30");
    p.kill();
    say("killed: ", co_await p.wait());
    try {
      p.kill();
    } catch (const asyncio::ProcessLookupError& e) {
      say("kill again: ProcessLookupError ", py_repr(std::string(e.what())));
    }
    Process q = co_await asyncio::create_subprocess_shell("kill -TERM $$");
    say("self-terminated: ", co_await q.wait());
  }
  {
    auto [a, b, c, d] =
        co_await asyncio::gather(run_code(0), run_code(1), run_code(2), run_code(42));
    std::string out = "gather: [";
    bool first = true;
    for (const auto& r : {a, b, c, d}) {
      if (!first) out += ", ";
      first = false;
      out += "(" + py_repr(r.first) + ", " + std::to_string(r.second) + ")";
    }
    say(out, "]");
  }
  {
    Process p = co_await asyncio::create_subprocess_exec("sleep", "30");
    try {
      co_await asyncio::wait_for(p.wait(), 0.05);
    } catch (const asyncio::TimeoutError&) {
      say("timed out, returncode: ", p.returncode() ? std::to_string(*p.returncode()) : "None");
    }
    p.terminate();
    say("terminated: ", co_await p.wait());
  }
  try {
    co_await asyncio::create_subprocess_exec("/nonexistent/program");
  } catch (const asyncio::FileNotFoundError& e) {
    say("missing: FileNotFoundError ", e.what());
  }
}
}  // namespace

int main() { asyncio::run(amain()); }
