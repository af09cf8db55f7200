// Twin of gw_wait_drain.py: the seed's drain loop over tasks finishing in a scrambled order.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Task;
using asyncio::WaitSet;
using twin::say;

asyncio::EventLoop* loop = nullptr;
constexpr int N = 48;

Coro<int> job(int i, double d, bool fail) {
  if (d > 0) co_await asyncio::sleep(d);
  if (fail) throw std::invalid_argument(std::to_string(i));
  co_return i;
}

std::string fmt(const Task<int>& t) {
  if (t.cancelled()) return "C";
  if (auto e = t.exception()) return "E" + twin::msg(e);
  return std::to_string(t.result());
}

std::vector<Task<int>> make(int n, int immediate_every) {
  std::vector<Task<int>> tasks;
  for (int i = 0; i < n; ++i) {
    double d = i % immediate_every == 0 ? 0 : ((i * 29) % 53 + 1) / 256.0;
    tasks.push_back(asyncio::create_task(job(i, d, i % 7 == 3)));
  }
  return tasks;
}

std::string batch(const std::vector<Task<int>>& done) {
  std::string out;
  // Appends, not `(out.empty() ? "" : " ") + fmt(t)`: at -O3 GCC 12 reports a false
  // -Wrestrict inside operator+(const char*, std::string&&) (GCC PR 105329 / 105651).
  for (const auto& t : done) {
    if (!out.empty()) out += ' ';
    out += fmt(t);
  }
  return out;
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  say("A: FIRST_COMPLETED");
  auto tasks = make(N, 11);
  WaitSet<Task<int>> first_pending;
  std::vector<Task<int>> seen;
  int rounds = 0;
  // while pending: done, pending = await wait(pending, FIRST_COMPLETED)
  auto [done, pending] = co_await asyncio::wait(tasks, {.return_when = asyncio::FIRST_COMPLETED});
  first_pending = pending;
  for (;;) {
    ++rounds;
    seen.insert(seen.end(), done.begin(), done.end());
    say("  t=", loop->time(), " done=[", batch(done), "] pending=", pending.size());
    if (pending.empty()) break;
    auto r = co_await asyncio::wait(std::move(pending), {.return_when = asyncio::FIRST_COMPLETED});
    done = std::move(r.done);
    pending = std::move(r.pending);
  }
  std::set<asyncio::detail::FutureBase*> unique;
  for (const auto& t : seen) unique.insert(t.state_ptr());
  say("  rounds=", rounds, " reported=", seen.size(), " unique=", unique.size());
  std::string members;
  for (const auto& t : first_pending) {
    auto idx = std::find(tasks.begin(), tasks.end(), t) - tasks.begin();
    members += (members.empty() ? "" : " ") + std::to_string(idx);
  }
  say("  first pending set still: ", first_pending.size(), " [", members, "]");

  struct Phase {
    const char* label;
    double timeout;
    asyncio::ReturnWhen mode;
    const char* mode_name;
    int every;
  };
  for (const Phase& ph : {Phase{"B", 0.05, asyncio::FIRST_EXCEPTION, "FIRST_EXCEPTION", 13},
                          Phase{"C", 0.03, asyncio::ALL_COMPLETED, "ALL_COMPLETED", 17}}) {
    say(ph.label, ": ", ph.mode_name, ", timeout=", ph.timeout);
    auto ts = make(N, ph.every);
    WaitSet<Task<int>> pending;
    bool first = true;
    while (first || !pending.empty()) {
      double t0 = loop->time();
      asyncio::WaitResult<Task<int>> r;
      if (first) {
        r = co_await asyncio::wait(ts, {.timeout = ph.timeout, .return_when = ph.mode});
      } else {
        r = co_await asyncio::wait(std::move(pending),
                                   {.timeout = ph.timeout, .return_when = ph.mode});
      }
      first = false;
      pending = std::move(r.pending);
      say("  t=", loop->time(), " after ", loop->time() - t0, " done=[", batch(r.done),
          "] pending=", pending.size());
    }
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
