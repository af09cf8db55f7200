// The exceptions' out-of-line parts (CPython: the OSError constructor's errno → subclass
// mapping, and the `repr(exc)` printed by the default exception handler).

#include "asyncio/exceptions.hpp"

#include <cxxabi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <typeinfo>

namespace asyncio {

namespace {
std::string demangle(const char* name) {
  int status = 0;
  char* s = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && s ? s : name;
  std::free(s);
  return out;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }
}  // namespace

namespace detail {
std::string callable_name(const std::type_info& t) { return demangle(t.name()); }
}  // namespace detail

std::exception_ptr make_os_error(int err, const std::string& msg) {
  const std::string text = msg.empty() ? std::string(std::strerror(err)) : msg;
  switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS:
    case EALREADY:
      return std::make_exception_ptr(BlockingIOError(err, text));
    case EPIPE:
    case ESHUTDOWN:
      return std::make_exception_ptr(BrokenPipeError(err, text));
    case ECONNABORTED:
      return std::make_exception_ptr(ConnectionAbortedError(err, text));
    case ECONNREFUSED:
      return std::make_exception_ptr(ConnectionRefusedError(err, text));
    case ECONNRESET:
      return std::make_exception_ptr(ConnectionResetError(err, text));
    case ETIMEDOUT:
      return std::make_exception_ptr(TimeoutError(err, text));
    case ESRCH:
      return std::make_exception_ptr(ProcessLookupError(err, text));
    case ENOENT:
      return std::make_exception_ptr(FileNotFoundError(err, text));
    case EACCES:
    case EPERM:
      return std::make_exception_ptr(PermissionError(err, text));
    case ECHILD:
      return std::make_exception_ptr(ChildProcessError(err, text));
    default:
      return std::make_exception_ptr(OSError(err, text));
  }
}

void throw_os_error(int err, const std::string& msg) {
  std::rethrow_exception(make_os_error(err, msg));
}

namespace detail {

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError& c) {
    return c.message().empty() ? "CancelledError()" : "CancelledError(" + quote(c.message()) + ")";
  } catch (const KeyboardInterrupt&) {
    return "KeyboardInterrupt()";
  } catch (const InvalidStateError& x) {
    return "InvalidStateError(" + quote(x.what()) + ")";
  } catch (const asyncio::TimeoutError& x) {
    return std::string("TimeoutError(") + (*x.what() ? quote(x.what()) : "") + ")";
  } catch (const OSError& x) {
    std::string name = demangle(typeid(x).name());
    if (name.rfind("asyncio::", 0) == 0) name = name.substr(9);
    if (x.errnum() != 0)
      return name + "(" + std::to_string(x.errnum()) + ", " + quote(x.strerror()) + ")";
    if (!*x.what()) return name + "()";  // ProcessLookupError(): no arguments
    return name + "(" + quote(x.what()) + ")";
  } catch (const asyncio::SendfileNotAvailableError& x) {
    return "SendfileNotAvailableError(" + quote(x.what()) + ")";
  } catch (const asyncio::RuntimeError& x) {
    return "RuntimeError(" + quote(x.what()) + ")";
  } catch (const std::invalid_argument& x) {
    return "ValueError(" + quote(x.what()) + ")";
  } catch (const std::exception& x) {
    return demangle(typeid(x).name()) + "(" + quote(x.what()) + ")";
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace detail
}  // namespace asyncio
