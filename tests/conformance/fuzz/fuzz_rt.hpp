#pragma once
// Runtime of the generated C++ scenarios (see gen.py); fuzz_rt.py is its CPython twin.
// Every line a scenario prints starts with the virtual time.

#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

namespace fuzz {

using asyncio::CancelledError;
using asyncio::Coro;

/// Python's str() of one print() argument.
inline std::string str(const std::string& s) { return s; }
inline std::string str(const char* s) { return s; }
inline std::string str(double x) { return twin::py_float(x); }
inline std::string str(bool b) { return twin::py_bool(b); }
inline std::string str(int i) { return std::to_string(i); }

/// Python's f"{type(e).__name__}({msg(e)!r})".
inline std::string erepr(const std::exception_ptr& e) { return gw::exc_repr(e); }

/// The scenario's registry of cancellable things (gathers, tasks) and its clock.
struct Rt {
  asyncio::EventLoop* loop = nullptr;
  std::map<std::string, asyncio::AnyFuture> h;

  void reset(asyncio::EventLoop& l) {
    loop = &l;
    h.clear();
  }
  void clear() {
    h.clear();
    loop = nullptr;
  }
  double t() const { return loop->time(); }

  /// print(t, *parts): space-separated, one line.
  template <class... A>
  void say(const A&... parts) {
    std::string line = str(t());
    ((line += " " + str(parts)), ...);
    std::cout << line << '\n';
  }

  template <class T>
  asyncio::Task<T> task(const std::string& name, Coro<T> coro) {
    asyncio::Task<T> t = asyncio::create_task(std::move(coro));
    h[name] = t;
    return t;
  }

  template <class F>
  F gather(const std::string& name, F g) {
    h[name] = g;
    g.add_done_callback([this, name](const F& f) { report(name, f); });
    return g;
  }

  void started(const std::string& name) {
    h[name] = asyncio::current_task();
    say(name, "start");
  }

  template <class F>
  void report(const std::string& name, const F& f) {
    std::string s;
    if (f.cancelled()) {
      s = "cancelled";
    } else if (auto e = f.exception()) {
      s = erepr(e);
    } else {
      s = gw::repr(f.result());
    }
    say(name, "=>", s);
  }

  /// Drops "exception was never retrieved" (CPython logs it when the garbage collector
  /// runs, C++ when the last reference goes: not comparable).
  static void handler(asyncio::EventLoop& loop, const asyncio::ExceptionContext& ctx) {
    if (ctx.message.find("never retrieved") == std::string::npos)
      loop.default_exception_handler(ctx);
  }

  void cancel(const std::string& name, const char* m) {
    auto it = h.find(name);
    if (it == h.end()) {
      say("cancel", name, "not yet");
      return;
    }
    bool r = it->second.cancel(m ? m : "");
    say("cancel", name, m ? m : "-", "->", r);
  }
};

inline Rt R;

inline Coro<std::string> ok(std::string tag, double d, double) {
  R.say(tag, "start");
  co_await asyncio::sleep(d);
  R.say(tag, "ok");
  co_return tag;
}

inline Coro<std::string> fail(std::string tag, double d, double) {
  R.say(tag, "start");
  co_await asyncio::sleep(d);
  R.say(tag, "raise");
  throw std::invalid_argument(tag);
}

/// Swallows one cancellation, then sleeps `x` more and returns.
inline Coro<std::string> swallow(std::string tag, double d, double x) {
  R.say(tag, "start");
  bool swallowed = false;
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError&) {
    R.say(tag, "swallow", erepr(std::current_exception()));
    swallowed = true;
  }
  if (swallowed) co_await asyncio::sleep(x);  // (no co_await inside a handler)
  R.say(tag, "ok");
  co_return tag;
}

/// On cancellation: cleans up for `x`, then re-raises.
inline Coro<std::string> slow(std::string tag, double d, double x) {
  R.say(tag, "start");
  std::exception_ptr cancelled;
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError&) {
    R.say(tag, "cleanup", erepr(std::current_exception()));
    cancelled = std::current_exception();
  }
  if (cancelled) {
    co_await asyncio::sleep(x);
    R.say(tag, "cleanup done");
    std::rethrow_exception(cancelled);
  }
  R.say(tag, "ok");
  co_return tag;
}

/// A vector of strings without a braced list (GCC 12 miscompiles initializer lists held
/// across a co_await).
template <class... S>
std::vector<std::string> strs(const S&... s) {
  std::vector<std::string> v;
  (v.push_back(s), ...);
  return v;
}

/// Python's repr() of a list of strings.
inline std::string list(const std::vector<std::string>& v) { return twin::py_list(v); }

/// Python's '|'.join(parts).
inline std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

/// The labels of the members of a done/pending collection, in input order.
template <class Members>
std::string names(const std::vector<std::string>& labels, const std::vector<asyncio::AnyFuture>& fs,
                  const Members& members) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < fs.size(); ++i)
    for (const auto& m : members)
      if (m == fs[i]) {
        out.push_back(labels[i]);
        break;
      }
  return list(out);
}

inline asyncio::WaitOptions wait_options(std::optional<double> timeout,
                                         asyncio::ReturnWhen return_when) {
  asyncio::WaitOptions o;
  if (timeout) o.timeout = *timeout;
  o.return_when = return_when;
  return o;
}

/// One wait() in its own task (two of them run concurrently on one pending set).
template <class Input>
Coro<asyncio::WaitResult<asyncio::AnyFuture>> wait_once(Input pending, asyncio::WaitOptions o) {
  co_return co_await asyncio::wait(std::move(pending), o);
}

}  // namespace fuzz
