#pragma once
/// \file exceptions.hpp
/// The exception types of asyncio, named and behaving as Python's.

#include <exception>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

namespace asyncio {

/// Raised inside a task that is being cancelled, and by `result()` of a cancelled future.
///
/// Deliberately **not** derived from `std::exception`, so `catch (const std::exception&)`
/// does not swallow a cancellation — as Python's derives from `BaseException`.
/// `what()` is the cancel message, "" when none was given.
///
/// **Python:** `asyncio.CancelledError`. Python's `msg=None` and `msg=""` both map to "".
class CancelledError {
 public:
  CancelledError() = default;
  explicit CancelledError(std::string msg) : msg_(std::move(msg)) {}
  /// The cancel message ("" when none).
  const char* what() const noexcept { return msg_.c_str(); }
  const std::string& message() const noexcept { return msg_; }

 private:
  std::string msg_;
};

/// Operation not allowed in the future's current state (`result()` of a pending future,
/// `set_result` twice). **Python:** `asyncio.InvalidStateError`.
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A timeout expired (`wait_for`, `timeout`). **Python:** `TimeoutError`
/// (`asyncio.TimeoutError` is the builtin since 3.11).
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// Misuse of the loop or of a task; messages are CPython's. **Python:** `RuntimeError`.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Several errors reported together (TaskGroup). **Python:** `ExceptionGroup`.
class ExceptionGroup : public std::runtime_error {
 public:
  ExceptionGroup(const std::string& msg, std::vector<std::exception_ptr> exceptions)
      : std::runtime_error(msg), exceptions_(std::move(exceptions)) {}
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

namespace detail {
/// True when `e` holds an `asyncio::CancelledError`. With libstdc++ the common case (the
/// exception is exactly a CancelledError) is a type_info comparison; anything else costs a
/// rethrow (a C++ throw is thousands of instructions), so use it only on error paths.
inline bool is_cancelled_error(const std::exception_ptr& e) {
  if (!e) return false;
#if defined(__GLIBCXX__) && defined(__cpp_rtti)
  if (const std::type_info* t = e.__cxa_exception_type(); t && *t == typeid(CancelledError))
    return true;
#endif
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}
/// "ValueError('x')"-like one-line description of an exception, for logs.
std::string describe_exception(const std::exception_ptr& e);
}  // namespace detail

}  // namespace asyncio
