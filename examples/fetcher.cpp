// The seed question (gather or wait?) on real sockets: 1,000 concurrent fetches from a
// local server whose replies take 0 to 3 s; the slow ones are cut off by wait_for.
//
// Part 1, gather: every result, in request order, when all are in.
// Part 2, wait(FIRST_COMPLETED) loop: results as they arrive, `pending` passed back each
// time (O(completions) per call here; O(n) per call in CPython).
// Port of examples/python/fetcher.py (times vary, counts do not).

#include <sys/resource.h>

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using asyncio::Coro;

constexpr int N = 1000;
constexpr double TIMEOUT = 1.0;

double delay_of(int i) { return i % 50 == 0 ? 3.0 : (i % 10) * 0.03; }  // 20 slow ones

Coro<void> serve(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  std::string line = co_await reader.readline();
  if (!line.empty()) {
    int i = std::stoi(line);
    co_await asyncio::sleep(delay_of(i));
    writer.write(std::to_string(i * i) + "\n");
  }
  writer.close();
}

/// Connects, asks for i*i, and waits at most TIMEOUT for the answer.
Coro<std::optional<int>> fetch_or_none(int port, int i) {
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  // finally: writer.close() — on every way out, a cancellation included.
  struct Close {
    asyncio::StreamWriter& w;
    ~Close() { w.close(); }
  } close{writer};
  writer.write(std::to_string(i) + "\n");
  try {
    co_return std::stoi(co_await asyncio::wait_for(reader.readline(), TIMEOUT));
  } catch (const asyncio::TimeoutError&) {
    co_return std::nullopt;
  }
}

Coro<void> amain() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4 * N + 100 && rl.rlim_max >= 4 * N + 100) {
    rl.rlim_cur = 4 * N + 100;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Server server =
      co_await asyncio::start_server(serve, std::string("127.0.0.1"), 0, {.backlog = N});
  int port = server.sockets()[0].getsockname().port;
  co_await server.run([&]() -> Coro<void> {
    double t0 = loop.time();
    std::vector<Coro<std::optional<int>>> fetches;
    for (int i = 0; i < N; ++i) fetches.push_back(fetch_or_none(port, i));
    std::vector<std::optional<int>> results = co_await asyncio::gather(std::move(fetches));
    int ok = 0;
    bool in_order = true;
    for (int i = 0; i < N; ++i) {
      if (!results[i]) continue;
      ++ok;
      in_order = in_order && *results[i] == i * i;
    }
    std::printf("gather: %d answered, %d timed out, in request order: %s (%.2f s)\n", ok, N - ok,
                in_order ? "True" : "False", loop.time() - t0);

    t0 = loop.time();
    std::vector<asyncio::Task<std::optional<int>>> tasks;
    for (int i = 0; i < N; ++i) tasks.push_back(asyncio::create_task(fetch_or_none(port, i)));
    auto [done, pending] =
        co_await asyncio::wait(std::move(tasks), {.return_when = asyncio::FIRST_COMPLETED});
    int answered = 0, timed_out = 0, rounds = 1;
    for (;;) {
      for (auto& t : done) (t.result() ? answered : timed_out) += 1;
      if (pending.empty()) break;
      auto next =
          co_await asyncio::wait(std::move(pending), {.return_when = asyncio::FIRST_COMPLETED});
      done = std::move(next.done);
      pending = std::move(next.pending);
      ++rounds;
    }
    std::printf("wait(FIRST_COMPLETED): %d answered, %d timed out, in %d rounds (%.2f s)\n",
                answered, timed_out, rounds, loop.time() - t0);
    server.close();
  });
}

int main() { return asyncio::run_main(amain()); }
