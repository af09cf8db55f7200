#pragma once
// Helpers for the C++ half of a twin: print values exactly as Python's f-strings do, and
// count loop iterations like vtloop.Ticker. See vtloop.py for the rules of the game.

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"

namespace twin {

/// Python's repr(float): shortest round-trip digits, "1.0" for integral values,
/// scientific notation ("1e-05", "1.5e+16") outside 1e-4 <= |x| < 1e16.
inline std::string py_float(double x) {
  if (x != x) return "nan";
  if (x == 1.0 / 0.0) return "inf";
  if (x == -1.0 / 0.0) return "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // "[-]d[.ddd]e[+-]XX"
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const auto e = s.find('e');
  std::string digits = s.substr(0, e);
  const int exp = std::atoi(s.c_str() + e + 1);
  if (auto dot = digits.find('.'); dot != std::string::npos) digits.erase(dot, 1);
  if (x == 0) return sign + "0.0";
  if (exp >= -4 && exp < 16) {
    // Fixed notation (Python's repr switches to exponent form below 1e-4).
    std::string out;
    if (exp < 0) {
      out.append("0.").append(static_cast<std::size_t>(-exp - 1), '0').append(digits);
    } else if (static_cast<std::size_t>(exp) + 1 >= digits.size()) {
      out.append(digits).append(exp + 1 - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, exp + 1).append(".").append(digits, exp + 1);
    }
    return sign + out;
  }
  std::string mant = digits.substr(0, 1);
  // append() rather than operator+: GCC 12 -O3 reports a false -Wrestrict on
  // `"." + std::string&&` (seen in the gcc-release CI build).
  if (digits.size() > 1) mant.append(".").append(digits, 1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return sign + mant + ebuf;
}

/// Python's str(bool).
inline const char* py_bool(bool b) { return b ? "True" : "False"; }

/// Python's repr() of a str, an int, a float, a bool (plain text without quotes needed).
inline std::string py_repr(const std::string& s) {
  const bool sq = s.find('\'') != std::string::npos, dq = s.find('"') != std::string::npos;
  const char quote = sq && !dq ? '"' : '\'';
  std::string out(1, quote);
  for (char c : s) {
    if (c == '\\' || c == quote) out += '\\';
    out += c;
  }
  return out + quote;
}
inline std::string py_repr(const char* s) { return py_repr(std::string(s)); }
inline std::string py_repr(double x) { return py_float(x); }
inline std::string py_repr(bool b) { return py_bool(b); }
template <class I>
requires std::is_integral_v<I> std::string py_repr(I i) { return std::to_string(i); }

/// Python's repr() of a list.
template <class Range>
std::string py_list(const Range& r) {
  std::string out = "[";
  bool first = true;
  for (const auto& x : r) {
    if (!first) out += ", ";
    first = false;
    out += py_repr(x);
  }
  return out + "]";
}

namespace detail {
template <class T>
void put(std::ostream& os, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    os << py_bool(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    os << py_float(v);
  } else {
    os << v;
  }
}
}  // namespace detail

/// Concatenates its arguments (bools as True/False, doubles as Python floats).
template <class... A>
std::string str(const A&... a) {
  std::ostringstream os;
  (detail::put(os, a), ...);
  return os.str();
}

/// print(): one line on stdout.
template <class... A>
void say(const A&... a) {
  std::cout << str(a...) << std::endl;  // flushed: a crash keeps what came before
}

/// What a twin prints for an exception: its message, as vtloop.msg does in Python.
inline std::string msg(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::CancelledError& c) {
    return c.what();
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

/// Counts loop iterations: a callback that re-queues itself with call_soon (vtloop.Ticker).
/// While it ticks the loop is never idle: stop it before sleeping for a positive delay.
struct Ticker {
  explicit Ticker(asyncio::EventLoop& l) : loop(l) {
    h = loop.call_soon([this] { tick(); });
  }
  void tick() {
    ++n;
    h = loop.call_soon([this] { tick(); });
  }
  void stop() { h.cancel(); }

  asyncio::EventLoop& loop;
  int n = 0;
  asyncio::Handle h;
};

}  // namespace twin
