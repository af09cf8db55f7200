// Twin of timers.py: distinct deadlines, when(), cancelled(), cancellation, heap clean-up.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using twin::py_list;
using twin::say;

asyncio::EventLoop loop({.virtual_time = true});
std::vector<std::string> fired;
std::vector<int> fired_i;
std::map<std::string, asyncio::TimerHandle> hs;

auto make(std::string name) {
  return [name] {
    fired.push_back(name);
    say(name, " fired t=", loop.time());
  };
}

void chain(int n) {
  say("chain ", n, " t=", loop.time());
  if (n < 4) loop.call_later(0.1 * (n + 1), [n] { chain(n + 1); });
}

int main() {
  // 1. scheduled out of order, fire in deadline order
  for (auto [name, d] : std::vector<std::pair<std::string, double>>{
           {"d0.3", 0.3}, {"d0.1", 0.1}, {"d0.7", 0.7}, {"d0.2", 0.2}, {"d0.5", 0.5}})
    hs[name] = loop.call_later(d, make(name));
  std::vector<double> whens;
  for (auto& [k, h] : hs) whens.push_back(h.when());
  say("when: ", py_list(whens));
  // 2. cancel one before it fires; a cancelled handle reports cancelled()
  hs["d0.2"].cancel();
  say("d0.2 cancelled=", hs["d0.2"].cancelled(), " d0.3 cancelled=", hs["d0.3"].cancelled());
  // 3. a timer cancels a later one; cancelling an already-fired handle does nothing
  loop.call_at(0.4, [] {
    say("canceller t=", loop.time(), ": cancel d0.7, cancel d0.1 (fired)");
    hs["d0.7"].cancel();
    hs["d0.1"].cancel();
    say("  d0.7 cancelled=", hs["d0.7"].cancelled(), " d0.1 cancelled=", hs["d0.1"].cancelled());
  });
  // 4. timers scheduled from a timer callback, relative to the current virtual time
  loop.call_at(0.8, [] { chain(0); });
  // 5. a long delay, then an earlier one scheduled later: the clock jumps in order
  loop.call_later(3.0, make("d3.0"));
  loop.call_later(2.5, make("d2.5"));
  loop.call_at(3.5, [] { loop.stop(); });
  loop.run_forever();
  say("phase 1 done t=", loop.time(), " fired=", py_list(fired));

  // 6. 150 timers at distinct deadlines, 110 cancelled: the heap is rebuilt without them,
  // the survivors fire in order and the clock only stops at survivors' deadlines.
  double base = loop.time();
  std::vector<asyncio::TimerHandle> handles;
  for (int i = 0; i < 150; ++i)
    handles.push_back(loop.call_at(base + 1 + i / 100.0, [i] { fired_i.push_back(i); }));
  for (int i = 0; i < 150; ++i)
    if (i % 4 != 0 && i < 147) handles[i].cancel();
  loop.call_at(base + 3, [] { loop.stop(); });
  loop.run_forever();
  std::vector<int> first(fired_i.begin(), fired_i.begin() + 5);
  std::vector<int> last(fired_i.end() - 4, fired_i.end());
  say("phase 2: fired ", fired_i.size(),
      " survivors in order: ", std::is_sorted(fired_i.begin(), fired_i.end()),
      " first=", py_list(first), " last=", py_list(last), " t=", loop.time());

  // 7. every timer cancelled: nothing fires, the clock jumps straight to the stop timer
  handles.clear();
  for (int i = 0; i < 5; ++i)
    handles.push_back(loop.call_later(1 + i, make("never" + std::to_string(i))));
  for (auto& h : handles) h.cancel();
  loop.call_later(10, [] { loop.stop(); });
  double t0 = loop.time();
  loop.run_forever();
  say("phase 3: t advanced by ", loop.time() - t0);
  loop.close();
}
