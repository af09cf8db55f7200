// Twin of uncancel.py: cancelling() / uncancel(), 3.13 semantics.
// (Arguments with side effects are evaluated into variables first: C++ leaves the order
// of function arguments unspecified, Python's f-strings go left to right.)
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;
std::vector<int> ran;

Coro<std::string> resilient() {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    say("A: caught; cancelling inside=", asyncio::current_task().cancelling(), " @", T->n);
  }
  co_await asyncio::sleep(0);
  co_return "survived";
}

Coro<std::string> unc() {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    say("B: uncancel() -> ", asyncio::current_task().uncancel());
  }
  co_return "ok";
}

Coro<int> jbody(asyncio::Future<void> g) {
  co_await g;
  co_return 42;
}

Coro<std::string> body() {
  ran.push_back(T->n);
  co_await asyncio::sleep(0);
  co_return "ran";
}

Coro<void> parked() {
  try {
    co_await asyncio::sleep(5);
  } catch (const CancelledError& e) {
    say("E: parked saw CancelledError(", py_repr(e.what()),
        ") cancelling=", asyncio::current_task().cancelling());
    throw;
  }
}

Coro<std::string> twice() {
  try {
    co_await asyncio::sleep(5);
  } catch (const CancelledError& e) {
    say("F: caught ", py_repr(e.what()), " cancelling=", asyncio::current_task().cancelling());
  }
  co_await asyncio::sleep(0);
  auto me = asyncio::current_task();
  auto u1 = me.uncancel();
  auto u2 = me.uncancel();
  auto u3 = me.uncancel();
  say("F: next await went through; uncancel -> ", u1, ", ", u2, ", ", u3);
  co_return "done";
}

Coro<int> selfie() {
  auto me = asyncio::current_task();
  me.cancel();
  auto c = me.cancelling();
  auto u = me.uncancel();
  say("G: after self-cancel cancelling=", c, " uncancel -> ", u);
  co_await asyncio::sleep(0);
  co_return 7;
}

Coro<std::string> h_body() {
  try {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_return "no";
  } catch (const CancelledError& e) {
    co_return "caught " + py_repr(e.what()) +
        " cancelling=" + std::to_string(asyncio::current_task().cancelling());
  }
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);

  // A: catch and continue -> not cancelled; the count stays 1
  auto ta = asyncio::create_task(resilient());
  co_await asyncio::sleep(0);
  ta.cancel();
  auto ra = co_await ta;
  say("A: result=", ra, " cancelled=", ta.cancelled(), " cancelling after finish=", ta.cancelling(),
      " @", T->n);

  // B: uncancel inside the handler
  auto tb = asyncio::create_task(unc());
  co_await asyncio::sleep(0);
  tb.cancel();
  auto rb = co_await tb;
  auto cb = tb.cancelling();
  auto ub = tb.uncancel();
  say("B: result=", rb, " cancelling=", cb, " uncancel at 0 -> ", ub, " @", T->n);

  // C: 3.13: cancel()+uncancel() while the task's wake-up is already scheduled -> 42
  auto g = loop.create_future<void>();
  auto tc = asyncio::create_task(jbody(g));
  co_await asyncio::sleep(0);
  g.set_result();  // the task's wake-up is now queued
  bool cc = tc.cancel();
  auto ncc = tc.cancelling();
  auto uc = tc.uncancel();
  say("C: cancel -> ", cc, " cancelling=", ncc, " uncancel -> ", uc);
  try {
    int rc = co_await tc;
    say("C: result ", rc, " @", T->n);
  } catch (const CancelledError&) {
    say("C: still CancelledError");
  }

  // D: cancel before the first step, then uncancel: the body runs normally (3.13)
  auto td = asyncio::create_task(body());
  td.cancel("early");
  auto cd = td.cancelling();
  auto ud = td.uncancel();
  say("D: cancelling=", cd, " uncancel -> ", ud);
  auto rd = co_await td;
  say("D: result=", rd, " ran at @", ran.at(0), " cancelled=", td.cancelled(), " @", T->n);

  // E: uncancel does not revive a future that was already cancelled by the forward
  auto te = asyncio::create_task(parked());
  co_await asyncio::sleep(0);
  bool ce = te.cancel("fwd");
  auto ue = te.uncancel();
  say("E: cancel -> ", ce, " uncancel -> ", ue);
  try {
    co_await te;
  } catch (const CancelledError& e) {
    say("E: await -> ", py_repr(e.what()), " cancelled=", te.cancelled(), " @", T->n);
  }

  // F: two requests while parked: the second sets must-cancel; one catch absorbs both
  auto tf = asyncio::create_task(twice());
  co_await asyncio::sleep(0);
  bool fa = tf.cancel("a");
  bool fb = tf.cancel("b");
  say("F: cancel('a') -> ", fa, " cancel('b') -> ", fb);
  auto rf = co_await tf;
  say("F: result=", rf, " cancelling=", tf.cancelling(), " @", T->n);

  // G: a task cancels itself and uncancels itself before awaiting: no cancellation (3.13)
  auto tg = asyncio::create_task(selfie());
  auto rg = co_await tg;
  say("G: result=", rg, " cancelled=", tg.cancelled(), " @", T->n);

  // H: two requests, one uncancel: must-cancel stays, the next step raises; the last
  // message wins (nothing to forward to).
  auto th = asyncio::create_task(h_body());
  co_await asyncio::sleep(0);
  bool h1 = th.cancel("h1");
  bool h2 = th.cancel("h2");
  auto uh = th.uncancel();
  say("H: cancel x2 -> ", h1, ", ", h2, "; uncancel -> ", uh);
  auto rh = co_await th;
  say("H: ", rh, " @", T->n);
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
