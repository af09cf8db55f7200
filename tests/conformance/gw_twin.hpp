#pragma once
// Helpers for the gather/wait twins (twins/gw_*.cpp) on top of twin.hpp: Python reprs of
// exceptions and of gather(return_exceptions=True) elements, and pprint.pformat for
// nested lists of strings.

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "asyncio/result.hpp"
#include "twin.hpp"

namespace gw {

/// Python's repr() of the exceptions the gw twins raise: ValueError (std::invalid_argument),
/// RuntimeError (std::runtime_error), CancelledError. A CancelledError is shown with its
/// message as argument, as gather(return_exceptions=True) builds it: CancelledError('m').
inline std::string exc_repr(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::CancelledError& c) {
    return "CancelledError(" + twin::py_repr(c.message()) + ")";
  } catch (const std::invalid_argument& x) {
    return "ValueError(" + twin::py_repr(x.what()) + ")";
  } catch (const std::runtime_error& x) {
    return "RuntimeError(" + twin::py_repr(x.what()) + ")";
  } catch (...) {
    return "<unknown exception>";
  }
}

/// The Python type name of an exception (for "caught ValueError" lines).
inline std::string exc_type(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::CancelledError&) {
    return "CancelledError";
  } catch (const std::invalid_argument&) {
    return "ValueError";
  } catch (const std::runtime_error&) {
    return "RuntimeError";
  } catch (...) {
    return "?";
  }
}

/// Python's repr() of gather results: str, int, double, bool, None (std::monostate),
/// lists (std::vector, std::tuple) and return_exceptions elements (Result<T>).
inline std::string repr(const std::string& s) { return twin::py_repr(s); }
inline std::string repr(const char* s) { return twin::py_repr(s); }
inline std::string repr(int i) { return std::to_string(i); }
inline std::string repr(double x) { return twin::py_float(x); }
inline std::string repr(bool b) { return twin::py_bool(b); }
inline std::string repr(std::monostate) { return "None"; }
template <class T>
std::string repr(const std::vector<T>& v);
template <class... T>
std::string repr(const std::tuple<T...>& t);
template <class T>
std::string repr(const asyncio::Result<T>& r) {
  if (!r.has_value()) return exc_repr(r.exception());
  if constexpr (std::is_void_v<T>) {
    return "None";
  } else {
    return repr(r.value());
  }
}
template <class T>
std::string repr(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + repr(v[i]);
  return out + "]";
}
template <class... T>
std::string repr(const std::tuple<T...>& t) {
  std::string out = "[";
  std::apply(
      [&out](const auto&... x) {
        bool first = true;
        ((out += (first ? "" : ", ") + repr(x), first = false), ...);
      },
      t);
  return out + "]";
}

/// A nested list of strings, as pprint sees it.
struct PyObj {
  bool is_list = false;
  std::string str;
  std::vector<PyObj> items;

  PyObj(std::string s) : str(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  PyObj(const char* s) : str(s) {}             // NOLINT(google-explicit-constructor)
  PyObj(std::vector<PyObj> v) : is_list(true), items(std::move(v)) {}  // NOLINT
  template <class T>
  static PyObj list(const std::vector<T>& v) {
    std::vector<PyObj> items;
    for (const auto& x : v) items.emplace_back(x);
    return PyObj(std::move(items));
  }
};

inline std::string pyrepr(const PyObj& o) {
  if (!o.is_list) return twin::py_repr(o.str);
  std::string out = "[";
  for (std::size_t i = 0; i < o.items.size(); ++i) out += (i ? ", " : "") + pyrepr(o.items[i]);
  return out + "]";
}

namespace detail {
constexpr int kWidth = 80;  // pprint's default width

// pprint.PrettyPrinter._format / _pprint_list / _format_items (indent=1, compact=False).
inline void format(const PyObj& o, std::string& out, int indent, int allowance);
inline void format_items(const std::vector<PyObj>& items, std::string& out, int indent,
                         int allowance) {
  indent += 1;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",\n" + std::string(static_cast<std::size_t>(indent), ' ');
    const bool last = i + 1 == items.size();
    format(items[i], out, indent, last ? allowance : 1);
  }
}
inline void format(const PyObj& o, std::string& out, int indent, int allowance) {
  std::string rep = pyrepr(o);
  if (static_cast<int>(rep.size()) > kWidth - indent - allowance) {
    if (o.is_list) {
      out += "[";
      format_items(o.items, out, indent, allowance + 1);
      out += "]";
      return;
    }
    // pprint would split the string over several lines (_pprint_str): not needed here.
    std::cerr << "gw::pformat: string too long for this pprint subset\n";
    std::abort();
  }
  out += rep;
}
}  // namespace detail

/// pprint.pformat(o) for nested lists of strings.
inline std::string pformat(const PyObj& o) {
  std::string out;
  detail::format(o, out, 0, 0);
  return out;
}

}  // namespace gw
