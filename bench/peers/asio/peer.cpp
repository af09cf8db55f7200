// Boost.Asio peer of the workload programs (bench/w*.cpp, bench/python/w*.py): C++20
// coroutines on a single-threaded io_context (co_spawn, awaitable, steady_timer,
// experimental::parallel_group, experimental::channel). Boost 1.81 (Debian
// libboost1.81-dev), header-only.
//
//   usage: peer WORKLOAD N [--seed S] [--variant event|queue]
//
// WORKLOAD is W1 W2 W3 W3s W4 W5 W6 (W6q / W6e also accepted). Prints one JSON line of the
// same shape as bench/python/common.py; the helpers (PRNG, clocks, JSON) are the project's
// bench/common.hpp.
//
//   g++ -O2 -std=c++20 -pthread -I bench bench/peers/asio/peer.cpp -o peer
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/version.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"

namespace asio = boost::asio;
using asio::awaitable;
using asio::deferred;
using asio::use_awaitable;
using asio::experimental::make_parallel_group;
using asio::experimental::wait_for_all;
using asio::experimental::wait_for_one;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace {

struct Run {
  std::size_t n;
  std::uint32_t seed;
  bench::JsonLine& out;
};

awaitable<void> sleep_us(std::uint32_t us) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::microseconds(us));
  co_await t.async_wait(use_awaitable);
}

// Yields to the io_context once (asyncio.sleep(0)).
awaitable<void> yield() { co_await asio::post(co_await asio::this_coro::executor, use_awaitable); }

// ---------------------------------------------------------------------------------- W1
awaitable<std::size_t> trivial(std::size_t i) { co_return i; }

awaitable<void> w1(Run r) {
  auto ex = co_await asio::this_coro::executor;
  std::int64_t t0 = bench::now_ns();
  std::vector<decltype(asio::co_spawn(ex, trivial(0), deferred))> ops;
  ops.reserve(r.n);
  for (std::size_t i = 0; i < r.n; ++i) ops.push_back(asio::co_spawn(ex, trivial(i), deferred));
  auto [order, errors, values] =
      co_await make_parallel_group(std::move(ops)).async_wait(wait_for_all(), use_awaitable);
  std::int64_t t1 = bench::now_ns();
  std::size_t sum = 0;
  for (std::size_t v : values) sum += v;
  if (values.size() != r.n || sum != r.n * (r.n - 1) / 2) bench::fail("W1 sum");
  r.out.add("value", double(t1 - t0) / double(r.n)).add("total_ms", (t1 - t0) / 1e6);
}

// ---------------------------------------------------------------------------------- W2
awaitable<std::uint32_t> sleeper(std::uint32_t us) {
  co_await sleep_us(us);
  co_return us;
}

// The inner gather: the sleeps' results in order.
awaitable<std::vector<std::uint32_t>> gather_sleeps(const std::uint32_t* d, std::size_t k) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<decltype(asio::co_spawn(ex, sleeper(0), deferred))> ops;
  ops.reserve(k);
  for (std::size_t i = 0; i < k; ++i) ops.push_back(asio::co_spawn(ex, sleeper(d[i]), deferred));
  auto [order, errors, values] =
      co_await make_parallel_group(std::move(ops)).async_wait(wait_for_all(), use_awaitable);
  co_return std::move(values);
}

awaitable<void> w2(Run r) {
  auto ex = co_await asio::this_coro::executor;
  auto d = bench::durations_us(r.n, 10'000, r.seed);
  std::size_t a = r.n / 3, b = 2 * r.n / 3;
  std::int64_t t0 = bench::now_ns();
  auto [order, e1, v1, e2, v2, e3, v3] =
      co_await make_parallel_group(
          asio::co_spawn(ex, gather_sleeps(d.data(), a), deferred),
          asio::co_spawn(ex, gather_sleeps(d.data() + a, b - a), deferred),
          asio::co_spawn(ex, gather_sleeps(d.data() + b, r.n - b), deferred))
          .async_wait(wait_for_all(), use_awaitable);
  std::int64_t t1 = bench::now_ns();
  std::vector<std::uint32_t> all(v1);
  all.insert(all.end(), v2.begin(), v2.end());
  all.insert(all.end(), v3.begin(), v3.end());
  if (all != d) bench::fail("W2 results");
  double wall_ms = (t1 - t0) / 1e6;
  r.out.add("value", wall_ms - 10.0)
      .add("wall_ms", wall_ms)
      .add("max_sleep_ms", *std::max_element(d.begin(), d.end()) / 1e3);
}

// ---------------------------------------------------------------------------------- W3, W3s
// wait(pending, FIRST_COMPLETED) in Asio: each task announces its end through its own
// "done" timer that never expires (finishing cancels its waits, the usual Asio idiom for
// a one-shot event); one wait call is a ranged parallel group of waits on the pending
// tasks' timers with wait_for_one() (which cancels the other waits), then a sweep of
// pending for the finished ones. Like asyncio.wait, it returns at once when some pending
// task has already finished. (A capacity-1 channel per task would be the other idiom,
// but Asio 1.81's channel receive crashes when a parallel group cancels a receive whose
// channel has just been sent to.)
struct Tracked {
  explicit Tracked(const asio::any_io_executor& ex)
      : finished(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer finished;
  bool done = false;
  std::size_t value = 0;

  void finish(std::size_t v) {
    value = v;
    done = true;
    finished.cancel();
  }
};

std::vector<Tracked*> sweep(std::vector<Tracked*>& pending) {
  std::vector<Tracked*> done, still;
  still.reserve(pending.size());
  for (Tracked* t : pending) (t->done ? done : still).push_back(t);
  if (!done.empty()) pending.swap(still);
  return done;
}

awaitable<std::vector<Tracked*>> wait_first(std::vector<Tracked*>& pending) {
  auto done = sweep(pending);
  if (!done.empty()) co_return done;
  std::vector<decltype(pending[0]->finished.async_wait(deferred))> ops;
  ops.reserve(pending.size());
  for (Tracked* t : pending) ops.push_back(t->finished.async_wait(deferred));
  co_await make_parallel_group(std::move(ops)).async_wait(wait_for_one(), use_awaitable);
  co_return sweep(pending);
}

awaitable<void> sleeper_tracked(std::uint32_t us, Tracked* t) {
  co_await sleep_us(us);
  t->finish(us);
}

awaitable<void> w3(Run r) {
  auto ex = co_await asio::this_coro::executor;
  auto d = bench::durations_us(r.n, 50'000, r.seed);
  std::int64_t t0 = bench::now_ns();
  std::vector<std::unique_ptr<Tracked>> tasks;
  std::vector<Tracked*> pending;
  for (std::size_t i = 0; i < r.n; ++i) {
    tasks.push_back(std::make_unique<Tracked>(ex));
    pending.push_back(tasks.back().get());
    asio::co_spawn(ex, sleeper_tracked(d[i], tasks.back().get()), asio::detached);
  }
  std::size_t iters = 0, scanned = 0, ndone = 0;
  while (!pending.empty()) {
    scanned += pending.size();
    ndone += (co_await wait_first(pending)).size();
    ++iters;
  }
  std::int64_t t1 = bench::now_ns();
  if (ndone != r.n) bench::fail("W3 completions");
  r.out.add("value", (t1 - t0) / 1e6).add("iters", iters).add("scanned", scanned);
}

// Task i parks on its gate (a capacity-1 channel carrying i) and returns what it receives.
using gate_channel = asio::experimental::channel<void(error_code, std::size_t)>;

awaitable<void> gated(gate_channel* gate, Tracked* t) {
  std::size_t v = co_await gate->async_receive(use_awaitable);
  t->finish(v);
}

awaitable<void> w3s(Run r) {
  auto ex = co_await asio::this_coro::executor;
  auto order = bench::permutation(r.n, r.seed);
  std::vector<std::unique_ptr<gate_channel>> gates;
  for (std::size_t i = 0; i < r.n; ++i) gates.push_back(std::make_unique<gate_channel>(ex, 1));
  std::int64_t t0 = bench::now_ns(), c0 = bench::cpu_ns();
  std::vector<std::unique_ptr<Tracked>> tasks;
  std::vector<Tracked*> pending;
  for (std::size_t i = 0; i < r.n; ++i) {
    tasks.push_back(std::make_unique<Tracked>(ex));
    pending.push_back(tasks.back().get());
    asio::co_spawn(ex, gated(gates[i].get(), tasks.back().get()), asio::detached);
  }
  co_await yield();  // every task has started and parks on its gate
  std::size_t scanned = 0;
  for (std::uint32_t g : order) {
    gates[g]->try_send(error_code{}, std::size_t{g});
    scanned += pending.size();
    auto done = co_await wait_first(pending);
    if (done.size() != 1 || done[0]->value != g) bench::fail("W3s one completion per wait");
  }
  std::int64_t t1 = bench::now_ns(), c1 = bench::cpu_ns();
  if (!pending.empty()) bench::fail("W3s drained");
  r.out.add("value", (t1 - t0) / 1e6)
      .add("cpu_ms", (c1 - c0) / 1e6)
      .add("iters", r.n)
      .add("scanned", scanned);
}

// ---------------------------------------------------------------------------------- W4, W5
awaitable<void> counted_sleep(std::chrono::steady_clock::duration d, std::size_t* started) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  ++*started;
  co_await t.async_wait(use_awaitable);  // throws operation_aborted when cancelled
}

// "Cancel the gather": the group of all tasks gets a terminal cancellation through its
// cancellation slot; it forwards it to every task, whose timer wait then fails.
awaitable<void> w4(Run r) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t started = 0, cancelled = 0;
  std::int64_t t1 = 0;
  std::vector<decltype(asio::co_spawn(ex, counted_sleep(1h, &started), deferred))> ops;
  ops.reserve(r.n);
  for (std::size_t i = 0; i < r.n; ++i)
    ops.push_back(asio::co_spawn(ex, counted_sleep(1h, &started), deferred));
  asio::cancellation_signal cancel;
  asio::steady_timer resolved(ex, asio::steady_timer::time_point::max());
  make_parallel_group(std::move(ops))
      .async_wait(wait_for_all(), asio::bind_cancellation_slot(
                                      cancel.slot(), [&](std::vector<std::size_t>,
                                                         std::vector<std::exception_ptr> errs) {
                                        t1 = bench::now_ns();
                                        for (auto& e : errs) cancelled += e != nullptr;
                                        resolved.cancel();
                                      }));
  while (started < r.n) co_await yield();  // every task holds its 1 h timer
  std::int64_t t0 = bench::now_ns();
  cancel.emit(asio::cancellation_type::terminal);
  if (t1 == 0) co_await resolved.async_wait(asio::as_tuple(use_awaitable));
  if (cancelled != r.n) bench::fail("W4 every task cancelled");
  r.out.add("value", double(t1 - t0) / double(r.n)).add("cancel_ms", (t1 - t0) / 1e6);
}

awaitable<void> w5(Run r) {
  auto ex = co_await asio::this_coro::executor;
  std::int64_t rss0 = bench::current_rss_bytes();
  std::int64_t t0 = bench::now_ns();
  std::size_t started = 0;
  bool all_done = false;
  std::vector<decltype(asio::co_spawn(ex, counted_sleep(1s, &started), deferred))> ops;
  ops.reserve(r.n);
  for (std::size_t i = 0; i < r.n; ++i)
    ops.push_back(asio::co_spawn(ex, counted_sleep(1s, &started), deferred));
  asio::steady_timer resolved(ex, asio::steady_timer::time_point::max());
  make_parallel_group(std::move(ops))
      .async_wait(wait_for_all(), [&](std::vector<std::size_t>, std::vector<std::exception_ptr>) {
        all_done = true;
        resolved.cancel();
      });
  while (started < r.n) co_await yield();  // every task is suspended in its 1 s wait
  std::int64_t t_spawned = bench::now_ns();
  std::int64_t rss1 = bench::current_rss_bytes();
  if (!all_done) co_await resolved.async_wait(asio::as_tuple(use_awaitable));
  std::int64_t t1 = bench::now_ns();
  r.out.add("value", double(rss1 - rss0) / double(r.n))
      .add("rss_during_mib", rss1 / 1048576.0)
      .add("rss_base_mib", rss0 / 1048576.0)
      .add("spawn_ms", (t_spawned - t0) / 1e6)
      .add("total_ms", (t1 - t0) / 1e6);
}

// ---------------------------------------------------------------------------------- W6
// Queue(maxsize=1) = a channel of capacity 1.
using token_channel = asio::experimental::channel<void(error_code, std::size_t)>;

awaitable<std::size_t> ping_q(token_channel& ab, token_channel& ba, std::size_t rounds) {
  std::size_t v = 0;
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await ab.async_send(error_code{}, i, use_awaitable);
    v = co_await ba.async_receive(use_awaitable);
  }
  co_return v;
}

awaitable<std::size_t> pong_q(token_channel& ab, token_channel& ba, std::size_t rounds) {
  for (std::size_t i = 0; i < rounds; ++i) {
    std::size_t v = co_await ab.async_receive(use_awaitable);
    co_await ba.async_send(error_code{}, v, use_awaitable);
  }
  co_return 0;
}

awaitable<void> w6q(Run r) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t rounds = r.n / 2;
  token_channel ab(ex, 1), ba(ex, 1);
  std::int64_t t0 = bench::now_ns();
  auto [order, e1, v, e2, unused] =
      co_await make_parallel_group(asio::co_spawn(ex, ping_q(ab, ba, rounds), deferred),
                                   asio::co_spawn(ex, pong_q(ab, ba, rounds), deferred))
          .async_wait(wait_for_all(), use_awaitable);
  std::int64_t t1 = bench::now_ns();
  if (v != rounds - 1) bench::fail("W6q last token");
  r.out.add("value", double(t1 - t0) / double(2 * rounds));
}

// asyncio.Event in Asio's idiom: a flag plus a timer that never expires; set() cancels
// the timer's waits, which wakes every waiter (the timer keeps its expiry, so the next
// wait blocks again).
class Event {
 public:
  explicit Event(const asio::any_io_executor& ex)
      : timer_(ex, asio::steady_timer::time_point::max()) {}
  void set() {
    if (flag_) return;
    flag_ = true;
    timer_.cancel();
  }
  void clear() { flag_ = false; }
  awaitable<void> wait() {
    while (!flag_) co_await timer_.async_wait(asio::as_tuple(use_awaitable));
  }

 private:
  asio::steady_timer timer_;
  bool flag_ = false;
};

awaitable<std::size_t> ping_e(Event& ea, Event& eb, std::size_t rounds) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < rounds; ++i) {
    eb.set();
    co_await ea.wait();
    ea.clear();
    ++count;
  }
  co_return count;
}

awaitable<std::size_t> pong_e(Event& ea, Event& eb, std::size_t rounds) {
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await eb.wait();
    eb.clear();
    ea.set();
  }
  co_return 0;
}

awaitable<void> w6e(Run r) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t rounds = r.n / 2;
  Event ea(ex), eb(ex);
  std::int64_t t0 = bench::now_ns();
  auto [order, e1, count, e2, unused] =
      co_await make_parallel_group(asio::co_spawn(ex, ping_e(ea, eb, rounds), deferred),
                                   asio::co_spawn(ex, pong_e(ea, eb, rounds), deferred))
          .async_wait(wait_for_all(), use_awaitable);
  std::int64_t t1 = bench::now_ns();
  if (count != rounds) bench::fail("W6e rounds");
  r.out.add("value", double(t1 - t0) / double(2 * rounds));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s WORKLOAD N [--seed S] [--variant event|queue]\n", argv[0]);
    return 2;
  }
  std::string wl = argv[1];
  bench::Args args = bench::parse_args(argc - 1, argv + 1, 0);
  if (wl == "W6q" || wl == "W6e") args.variant = wl == "W6q" ? "queue" : "event", wl = "W6";
  if (wl == "W6") wl = args.variant == "queue" ? "W6q" : "W6e";
  struct Entry {
    const char* key;
    const char* metric;
    awaitable<void> (*body)(Run);
  };
  static const Entry table[] = {{"W1", "ns_per_task", w1},      {"W2", "ms_beyond_10ms", w2},
                                {"W3", "total_ms", w3},         {"W3s", "total_ms", w3s},
                                {"W4", "ns_per_task", w4},      {"W5", "bytes_per_task", w5},
                                {"W6q", "ns_per_handoff", w6q}, {"W6e", "ns_per_handoff", w6e}};
  const Entry* e = nullptr;
  for (const Entry& x : table)
    if (wl == x.key) e = &x;
  if (!e || args.n < 2) {
    std::fprintf(stderr, "unknown workload %s or bad N\n", wl.c_str());
    return 2;
  }
  std::string impl = "Boost.Asio " + std::to_string(BOOST_VERSION / 100000) + "." +
                     std::to_string(BOOST_VERSION / 100 % 1000) + " (C++20 coroutines)";
  bench::JsonLine out;
  out.add("workload", e->key).add("n", args.n).add("impl", impl).add("metric", e->metric);
  asio::io_context io(1);
  asio::co_spawn(io, e->body(Run{args.n, args.seed, out}), [](std::exception_ptr ep) {
    if (ep) std::rethrow_exception(ep);
  });
  io.run();
  if (wl == "W6q" || wl == "W6e") out.add("variant", wl == "W6q" ? "queue" : "event");
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
