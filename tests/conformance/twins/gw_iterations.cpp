// Twin of gw_iterations.py: loop iterations spent by gather and wait.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<int> val(int x) { co_return x; }

Coro<int> fail(std::string x) {
  throw std::invalid_argument(x);
  co_return 0;
}

Coro<int> yield_then(int x) {
  co_await asyncio::sleep(0);
  co_return x;
}

template <class R>
std::string show(const R& r) {
  return gw::repr(r);
}
template <class H>
std::string show(const asyncio::WaitResult<H>& r) {
  return "done=" + std::to_string(r.done.size()) + " pending=" + std::to_string(r.pending.size());
}

template <class A>
Coro<void> measure(std::string name, A aw) {
  int s = T->n;
  std::string out;
  try {
    auto r = co_await std::move(aw);
    out = show(r);
  } catch (const CancelledError& e) {
    out = "CancelledError(" + py_repr(e.what()) + ")";
  } catch (const std::invalid_argument& e) {
    out = "ValueError(" + py_repr(e.what()) + ")";
  }
  say(name, ": ", out, " iterations=", T->n - s);
}

template <class T>
std::vector<T> vec2(T a, T b) {
  std::vector<T> v;
  v.push_back(std::move(a));
  v.push_back(std::move(b));
  return v;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  auto f1 = loop.create_future<int>();
  f1.set_result(1);
  auto f2 = loop.create_future<int>();
  f2.set_result(2);
  co_await measure("gather(done futures)", asyncio::gather(f1, f2));
  co_await measure("gather(3 immediate coros)", asyncio::gather(val(1), val(2), val(3)));
  auto ts = vec2(asyncio::create_task(val(0)), asyncio::create_task(val(1)));
  co_await asyncio::sleep(0);
  co_await measure("gather(done tasks)", asyncio::gather(ts));
  co_await measure("gather()", asyncio::gather());
  co_await measure("gather(gather(c), gather(c))",
                   asyncio::gather(asyncio::gather(val(1)), asyncio::gather(val(2))));
  co_await measure("gather(c, yielding c)", asyncio::gather(val(1), yield_then(2)));
  co_await measure("gather(failing c, c) return_exceptions",
                   asyncio::gather(asyncio::return_exceptions, fail("x"), val(1)));
  co_await measure("gather(failing c, c)", asyncio::gather(fail("y"), val(1)));
  auto f = loop.create_future<int>();
  loop.call_soon([f] { f.set_result(3); });
  co_await measure("gather(future set by call_soon)", asyncio::gather(f));
  co_await measure("gather(sleep(0))", asyncio::gather(asyncio::sleep(0)));
  auto t = asyncio::create_task(val(1));
  t.cancel("pre");
  co_await measure("gather(task cancelled before start)", asyncio::gather(t));
  auto pending = loop.create_future<int>();
  auto g = asyncio::gather(pending, val(5));
  g.cancel("g");
  co_await measure("gather cancelled at once", g);
  auto f3 = loop.create_future<int>();
  f3.cancel("f3");
  co_await measure("gather(cancelled future)", asyncio::gather(f3, val(1)));
  co_await measure("gather(cancelled future) return_exceptions",
                   asyncio::gather(asyncio::return_exceptions, f3, val(1)));

  ts = vec2(asyncio::create_task(val(0)), asyncio::create_task(val(1)));
  co_await measure("wait(fresh immediate tasks)", asyncio::wait(ts));
  co_await measure("wait(done futures)", asyncio::wait(vec2(f1, f2)));
  auto p = loop.create_future<int>();
  co_await measure("wait([pending, done], FIRST_COMPLETED)",
                   asyncio::wait(vec2(p, f1), {.return_when = asyncio::FIRST_COMPLETED}));
  co_await measure("wait([pending], timeout=0)",
                   asyncio::wait(std::vector<asyncio::Future<int>>(1, p), {.timeout = 0}));
  co_await measure(
      "wait([pending, done], timeout=0, FIRST_EXCEPTION)",
      asyncio::wait(vec2(p, f1), {.timeout = 0, .return_when = asyncio::FIRST_EXCEPTION}));
  ts = vec2(asyncio::create_task(yield_then(0)), asyncio::create_task(yield_then(1)));
  co_await measure("wait(2 yielding tasks, FIRST_COMPLETED)",
                   asyncio::wait(ts, {.return_when = asyncio::FIRST_COMPLETED}));
  std::vector<asyncio::Future<std::tuple<int, int>>> gs(1, asyncio::gather(val(1), val(2)));
  co_await measure("wait([gather(c, c)])", asyncio::wait(gs));
  ts = vec2(asyncio::create_task(fail("z")), asyncio::create_task(yield_then(1)));
  co_await measure("wait([failing task, yielding task], FIRST_EXCEPTION)",
                   asyncio::wait(ts, {.return_when = asyncio::FIRST_EXCEPTION}));
  (void)ts[0].exception();
  std::vector<Task<int>> three;
  for (int i = 0; i < 3; ++i) three.push_back(asyncio::create_task(yield_then(i)));
  int s = T->n;
  int rounds = 0;
  auto r = co_await asyncio::wait(three, {.return_when = asyncio::FIRST_COMPLETED});
  ++rounds;
  while (!r.pending.empty()) {
    r = co_await asyncio::wait(std::move(r.pending), {.return_when = asyncio::FIRST_COMPLETED});
    ++rounds;
  }
  say("drain 3 yielding tasks: rounds=", rounds, " iterations=", T->n - s);
  p.set_result(0);
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
