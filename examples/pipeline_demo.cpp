// A producer/consumer pipeline through a bounded Queue (twin: python/pipeline_demo.py).
//
// The producer puts jobs into a Queue(maxsize=3) — it waits whenever three are pending;
// three workers take jobs, "process" them (sleep), and mark them done; `join()` returns
// once every job put has been marked done; then the workers are cancelled. With
// --virtual-time the run is instant and prints exactly what CPython prints.
//
//   Python                                   C++
//   q = asyncio.Queue(maxsize=3)             asyncio::Queue<Job> q(3);
//   await q.put(job)                         co_await q.put(job);
//   job = await q.get()                      Job job = co_await q.get();
//   q.task_done()                            q.task_done();
//   await q.join()                           co_await q.join();

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using asyncio::Coro;

struct Job {
  int id;
  double cost;  // seconds of "work"
};

// Distinct costs, so that no two timers share a deadline (CPython orders such ties
// arbitrarily; this library orders them FIFO).
const double kCosts[] = {0.13, 0.21, 0.34, 0.05, 0.29, 0.17, 0.41, 0.08, 0.23, 0.31};

double t0 = 0;
double now() { return asyncio::get_running_loop().time() - t0; }

Coro<void> producer(asyncio::Queue<Job>& q, int n) {
  for (int i = 0; i < n; ++i) {
    Job job{i, kCosts[i % 10]};
    co_await q.put(job);  // waits while 3 jobs are pending
    std::printf("[%.2f] produced job %d (cost %.2f), %zu queued\n", now(), job.id, job.cost,
                q.qsize());
  }
}

Coro<void> worker(std::string name, asyncio::Queue<Job>& q, std::vector<int>& done) {
  for (;;) {
    Job job = co_await q.get();
    co_await asyncio::sleep(job.cost);
    done.push_back(job.id);
    std::printf("[%.2f] %s finished job %d\n", now(), name.c_str(), job.id);
    q.task_done();
  }
}

Coro<void> amain() {
  t0 = asyncio::get_running_loop().time();
  asyncio::Queue<Job> q(3);
  std::vector<int> done;
  std::vector<asyncio::Task<void>> workers;
  for (const char* name : {"worker-1", "worker-2", "worker-3"})
    workers.push_back(asyncio::create_task(worker(name, q, done)));
  co_await producer(q, 10);
  co_await q.join();  // every job processed
  std::printf("[%.2f] all %zu jobs done\n", now(), done.size());
  for (auto& w : workers) w.cancel();
  co_await asyncio::gather(asyncio::return_exceptions, workers);
  std::printf("[%.2f] workers stopped\n", now());
}

int main(int argc, char** argv) {
  bool vt = argc > 1 && !std::strcmp(argv[1], "--virtual-time");
  return asyncio::run_main(amain(), {.virtual_time = vt});
}
