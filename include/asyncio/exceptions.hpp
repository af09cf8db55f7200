#pragma once
/// \file exceptions.hpp
/// The exception types of asyncio, named and behaving as Python's.

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
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

/// An operating-system error: `errnum()` is the C `errno` (0 when the error has none),
/// `strerror()` its text, and `what()` Python's `str(e)`: "[Errno 111] Connection refused"
/// when built from an errno, the message as given otherwise.
/// Derives from `std::system_error` (`code()` is `{errno, std::generic_category()}`), so
/// `catch (const std::system_error&)` and `catch (const std::exception&)` both see it.
/// `make_os_error` / `throw_os_error` pick the subclass Python's `OSError(errno, ...)` would.
/// **Python:** `OSError` (`e.errno` is `e.errnum()`: `errno` is a C macro; `e.strerror`).
class OSError : public std::system_error {
 public:
  OSError(int err, const std::string& strerror)
      : std::system_error(err, std::generic_category(), strerror),
        msg_("[Errno " + std::to_string(err) + "] " + strerror),
        strerror_(strerror) {}
  explicit OSError(const std::string& msg)
      : std::system_error(0, std::generic_category(), msg), msg_(msg) {}
  const char* what() const noexcept override { return msg_.c_str(); }
  /// The errno (Python `e.errno`; 0 for Python's None).
  int errnum() const noexcept { return code().value(); }
  /// Python `e.strerror` ("" for None).
  const std::string& strerror() const noexcept { return strerror_; }

 private:
  std::string msg_;
  std::string strerror_;
};

/// EAGAIN, EWOULDBLOCK, EINPROGRESS, EALREADY. **Python:** `BlockingIOError`.
class BlockingIOError : public OSError {
 public:
  using OSError::OSError;
};
/// Base of the connection errors. **Python:** `ConnectionError`.
class ConnectionError : public OSError {
 public:
  using OSError::OSError;
};
/// EPIPE, ESHUTDOWN: writing to a connection the peer closed. **Python:** `BrokenPipeError`.
class BrokenPipeError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
/// ECONNABORTED. **Python:** `ConnectionAbortedError`.
class ConnectionAbortedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
/// ECONNREFUSED: nobody listens there. **Python:** `ConnectionRefusedError`.
class ConnectionRefusedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
/// ECONNRESET: the peer reset the connection; also "Connection lost" from `drain()`.
/// **Python:** `ConnectionResetError`.
class ConnectionResetError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

/// A timeout expired (`wait_for`, `timeout`), or ETIMEDOUT. `TimeoutError()` has an empty
/// `what()`, as Python's `str(TimeoutError())`.
/// **Python:** `TimeoutError` (an `OSError`; `asyncio.TimeoutError` is the builtin since 3.11).
class TimeoutError : public OSError {
 public:
  TimeoutError() : OSError(std::string()) {}
  explicit TimeoutError(const std::string& msg) : OSError(msg) {}
  explicit TimeoutError(const char* msg) : OSError(std::string(msg)) {}
  TimeoutError(int err, const std::string& strerror) : OSError(err, strerror) {}
};

/// ESRCH: no such process (`Process.send_signal` after the process was reaped).
/// `ProcessLookupError()` has an empty `what()`, as Python's. **Python:** `ProcessLookupError`.
class ProcessLookupError : public OSError {
 public:
  ProcessLookupError() : OSError(std::string()) {}
  using OSError::OSError;
};
/// ENOENT. **Python:** `FileNotFoundError`.
class FileNotFoundError : public OSError {
 public:
  using OSError::OSError;
};
/// EACCES, EPERM. **Python:** `PermissionError`.
class PermissionError : public OSError {
 public:
  using OSError::OSError;
};
/// ECHILD. **Python:** `ChildProcessError`.
class ChildProcessError : public OSError {
 public:
  using OSError::OSError;
};

/// The user interrupted the program (SIGINT) while `Runner::run` / `asyncio::run` ran
/// (the Runner's SIGINT handling: docs/subprocess.md). Not a `std::exception`, so that
/// `catch (const std::exception&)` does not swallow it — Python's derives from
/// `BaseException`. **Python:** `KeyboardInterrupt`.
class KeyboardInterrupt {
 public:
  const char* what() const noexcept { return ""; }
};

/// The OSError subclass Python's `OSError(err, msg)` constructor picks for `err`
/// (BlockingIOError, BrokenPipeError, ConnectionRefusedError, ..., else OSError), with
/// `msg` defaulting to the C library's `strerror(err)`. **Python:** `OSError(err, msg)`.
std::exception_ptr make_os_error(int err, const std::string& msg = {});
/// Throws `make_os_error(err, msg)`. **Python:** `raise OSError(err, msg)`.
[[noreturn]] void throw_os_error(int err, const std::string& msg = {});

/// Base of IncompleteReadError. **Python:** `EOFError`.
class EOFError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The stream ended before the expected bytes arrived (`readexactly`, `readuntil`).
/// `partial()` holds what was read before the end; `expected()` is the expected count
/// (empty for `readuntil`: Python's None). `what()`: "3 bytes read on a total of 5
/// expected bytes". **Python:** `asyncio.IncompleteReadError`.
class IncompleteReadError : public EOFError {
 public:
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
      : EOFError(std::to_string(partial.size()) + " bytes read on a total of " +
                 (expected ? std::to_string(*expected) : std::string("None")) + " expected bytes"),
        partial_(std::move(partial)),
        expected_(expected) {}
  const std::string& partial() const noexcept { return partial_; }
  std::optional<std::size_t> expected() const noexcept { return expected_; }

 private:
  std::string partial_;
  std::optional<std::size_t> expected_;
};

/// The buffer limit was reached while looking for a separator (`readuntil`, `readline`).
/// `consumed()` is the number of bytes to consume. **Python:** `asyncio.LimitOverrunError`.
class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(const std::string& msg, std::size_t consumed)
      : std::runtime_error(msg), consumed_(consumed) {}
  std::size_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t consumed_;
};

/// A number outside the range an operation accepts: a port outside 0-65535 given to
/// `bind`, `connect`, `getaddrinfo`, `start_server`, `open_connection` ("bind(): port must
/// be 0-65535."). **Python:** `OverflowError` (an `ArithmeticError`; C++ has no
/// ArithmeticError, so this derives from `std::overflow_error`).
class OverflowError : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

/// Misuse of the loop or of a task; messages are CPython's. **Python:** `RuntimeError`.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The sendfile(2) path cannot be used for this socket or file ("not a regular file",
/// "os.sendfile call failed"); `loop.sendfile` / `sock_sendfile` then fall back to reading
/// and sending unless `fallback` is false. **Python:**
/// `asyncio.exceptions.SendfileNotAvailableError` (a RuntimeError).
class SendfileNotAvailableError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
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

/// What an exception handler receives: `loop.set_exception_handler(h)` calls
/// `h(loop, context)`. `message` is always set; `exception` may be null; `future`
/// describes the future, task or handle involved ("" when none), as its repr.
/// **Python:** the `context` dict of `loop.call_exception_handler(context)` (keys
/// "message", "exception", "future"/"task"/"handle").
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;
  std::string future;  ///< description of the future/task/handle involved, if any
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
/// "ValueError('x')"-like one-line description of an exception, for logs (CPython: the
/// `repr(exc)` its default exception handler prints). src/exceptions.cpp.
std::string describe_exception(const std::exception_ptr& e);
}  // namespace detail

}  // namespace asyncio
