#pragma once
// The machinery of staggered.hpp: CPython `staggered_race`'s chain of tasks. Task k waits
// (up to `delay`) for task k-1 to fail, creates task k+1, then runs `coro_fns[k]()`; the
// winner cancels the others. The state they share lives in one counted block.

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/locks.hpp"
#include "asyncio/staggered.hpp"
#include "asyncio/task.hpp"
#include "asyncio/wait.hpp"
#include "asyncio/wait_for.hpp"

namespace asyncio::detail {

template <class T, class F>
struct StaggeredState {
  std::vector<F> fns;
  std::optional<Delay> delay;
  StaggeredResult<T> result;
  std::vector<Task<void>> tasks;  ///< CPython `running_tasks`
  void cancel_others(std::size_t keep) {
    for (std::size_t i = 0; i < tasks.size(); ++i)
      if (i != keep) tasks[i].cancel();
  }
};

// CPython `run_one_coro(previous_failed)`, for index `i`.
template <class T, class F>
Coro<void> staggered_run_one(std::shared_ptr<StaggeredState<T, F>> s, std::size_t i,
                             std::shared_ptr<Event> previous_failed) {
  if (previous_failed) {
    try {
      auto waiting = previous_failed->wait();
      co_await wait_for(std::move(waiting), s->delay);
    } catch (const TimeoutError&) {
    }
  }
  if (i >= s->fns.size()) co_return;
  auto this_failed = std::make_shared<Event>();
  s->tasks.push_back(create_task(staggered_run_one<T, F>(s, i + 1, this_failed)));
  s->result.exceptions.push_back(nullptr);
  std::exception_ptr failed;
  try {
    Coro<T> attempt = s->fns[i]();
    T value = co_await std::move(attempt);
    s->result.winner_index = i;
    s->result.winner_result.emplace(std::move(value));
    s->cancel_others(i);  // tasks[i] is the one running this
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    s->result.exceptions[i] = failed;
    this_failed->set();  // start the next one now
  }
}

}  // namespace asyncio::detail

namespace asyncio {

template <class F>
auto staggered_race(std::vector<F> coro_fns, std::optional<Delay> delay)
    -> Coro<StaggeredResult<typename std::invoke_result_t<F&>::value_type>> {
  using T = typename std::invoke_result_t<F&>::value_type;
  static_assert(!std::is_void_v<T>, "staggered_race: the coroutines must return a value");
  auto s = std::make_shared<detail::StaggeredState<T, F>>();
  s->fns = std::move(coro_fns);
  s->delay = delay;
  s->tasks.push_back(create_task(detail::staggered_run_one<T, F>(s, 0, nullptr)));
  std::exception_ptr failed;
  try {
    // Until every task (the list grows as they run) has finished.
    for (std::size_t k = 0; k < s->tasks.size(); ++k) {
      std::vector<Task<void>> one{s->tasks[k]};
      auto waiting = wait(std::move(one));
      co_await std::move(waiting);
    }
  } catch (...) {
    failed = std::current_exception();
  }
  // CPython's `finally`. The handles leave the state: a task's frame holds the state, so
  // keeping them there would be a reference cycle.
  std::vector<Task<void>> tasks = std::move(s->tasks);
  s->tasks.clear();
  for (Task<void>& t : tasks) t.cancel();
  if (failed) std::rethrow_exception(failed);
  co_return std::move(s->result);
}

}  // namespace asyncio
