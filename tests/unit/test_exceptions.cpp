// Unit tests for asyncio/exceptions.hpp: the exception hierarchy (R26) and its messages,
// and the OSError family (the subclass Python picks for an errno).
// Expected values checked against CPython 3.13 (repr() of the Python exceptions).

#include "asyncio/exceptions.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <cerrno>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace {

using asyncio::CancelledError;
using asyncio::ExceptionGroup;
using asyncio::InvalidStateError;
using asyncio::RuntimeError;
using asyncio::TimeoutError;

// Python: issubclass(asyncio.CancelledError, Exception) is False (BaseException only).
static_assert(!std::is_base_of_v<std::exception, CancelledError>);
// Python: issubclass(asyncio.InvalidStateError, Exception) is True.
static_assert(std::is_base_of_v<std::logic_error, InvalidStateError>);
static_assert(std::is_base_of_v<std::runtime_error, TimeoutError>);
static_assert(std::is_base_of_v<std::runtime_error, RuntimeError>);
static_assert(std::is_base_of_v<std::runtime_error, ExceptionGroup>);

TEST(CancelledError, IsNotCaughtByStdExceptionHandler) {
  bool caught_as_std = false;
  bool caught_as_cancelled = false;
  try {
    try {
      throw CancelledError("stop");
    } catch (const std::exception&) {
      caught_as_std = true;
    }
  } catch (const CancelledError& e) {
    caught_as_cancelled = true;
    EXPECT_STREQ(e.what(), "stop");
  }
  EXPECT_FALSE(caught_as_std);
  EXPECT_TRUE(caught_as_cancelled);
}

TEST(CancelledError, DefaultMessageIsEmpty) {
  // Python: CancelledError().args == () — no message.
  CancelledError e;
  EXPECT_STREQ(e.what(), "");
  EXPECT_EQ(e.message(), "");
}

TEST(CancelledError, CarriesItsMessage) {
  CancelledError e("my message");
  EXPECT_STREQ(e.what(), "my message");
  EXPECT_EQ(e.message(), "my message");
  CancelledError copy = e;  // NOLINT(performance-unnecessary-copy-initialization): under test
  EXPECT_EQ(copy.message(), "my message");
}

TEST(InvalidStateError, IsCaughtAsStdException) {
  try {
    throw InvalidStateError("Result is not set.");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "Result is not set.");
    return;
  }
  FAIL() << "not caught";
}

TEST(TimeoutError, DefaultMessageIsEmpty) {
  // Python: str(TimeoutError()) == ''.
  EXPECT_STREQ(TimeoutError().what(), "");
  EXPECT_STREQ(TimeoutError("late").what(), "late");
}

TEST(RuntimeError, KeepsCPythonMessage) {
  try {
    throw RuntimeError("Event loop is closed");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "Event loop is closed");
    return;
  }
  FAIL() << "not caught";
}

TEST(OSError, ThrowOsErrorPicksPythonsSubclassForTheErrno) {
  try {
    asyncio::throw_os_error(ECONNREFUSED);
  } catch (const asyncio::ConnectionRefusedError& e) {
    EXPECT_STREQ(e.what(), "[Errno 111] Connection refused");
    EXPECT_EQ(e.errnum(), 111);
    EXPECT_EQ(e.strerror(), "Connection refused");
    EXPECT_EQ(e.code(), std::error_code(ECONNREFUSED, std::generic_category()));
  }
  auto is = [](int err, auto tag) {
    try {
      asyncio::throw_os_error(err);
    } catch (const decltype(tag)&) {
      return true;
    } catch (...) {
    }
    return false;
  };
  EXPECT_TRUE(is(ECONNRESET, asyncio::ConnectionResetError("")));
  EXPECT_TRUE(is(EPIPE, asyncio::BrokenPipeError("")));
  EXPECT_TRUE(is(ECONNABORTED, asyncio::ConnectionAbortedError("")));
  EXPECT_TRUE(is(EAGAIN, asyncio::BlockingIOError("")));
  EXPECT_TRUE(is(ETIMEDOUT, asyncio::TimeoutError()));
  EXPECT_TRUE(is(ECONNRESET, asyncio::ConnectionError("")));
  EXPECT_TRUE(is(EBADF, asyncio::OSError("")));
  EXPECT_TRUE(is(EPIPE, std::system_error(std::error_code())));
}

TEST(OSError, TimeoutErrorIsAnOSErrorWithEmptyMessage) {
  asyncio::TimeoutError t;
  EXPECT_STREQ(t.what(), "");
  EXPECT_EQ(t.errnum(), 0);
  const asyncio::OSError& base = t;
  EXPECT_STREQ(base.what(), "");
  asyncio::OSError m("Multiple exceptions: a, b");
  EXPECT_STREQ(m.what(), "Multiple exceptions: a, b");
}

TEST(ExceptionGroup, HoldsItsExceptionsInOrder) {
  std::vector<std::exception_ptr> errs{std::make_exception_ptr(std::invalid_argument("a")),
                                       std::make_exception_ptr(RuntimeError("b"))};
  ExceptionGroup g("unhandled errors in a TaskGroup", errs);
  EXPECT_STREQ(g.what(), "unhandled errors in a TaskGroup");
  ASSERT_EQ(g.exceptions().size(), 2u);
  EXPECT_THROW(std::rethrow_exception(g.exceptions()[0]), std::invalid_argument);
  EXPECT_THROW(std::rethrow_exception(g.exceptions()[1]), RuntimeError);
}

TEST(CancelledError, IsCancelledErrorRecognisesOnlyCancelledError) {
  using asyncio::detail::is_cancelled_error;
  EXPECT_TRUE(is_cancelled_error(std::make_exception_ptr(CancelledError("x"))));
  EXPECT_FALSE(is_cancelled_error(std::make_exception_ptr(RuntimeError("x"))));
  EXPECT_FALSE(is_cancelled_error(std::make_exception_ptr(42)));
  EXPECT_FALSE(is_cancelled_error(nullptr));
}

TEST(Exceptions, DescribeExceptionMatchesPythonRepr) {
  // Python 3.13: repr(CancelledError()) == "CancelledError()",
  // repr(CancelledError('m')) == "CancelledError('m')", repr(ValueError('x')) ==
  // "ValueError('x')", repr(TimeoutError()) == "TimeoutError()",
  // repr(InvalidStateError('s')) == "InvalidStateError('s')",
  // repr(RuntimeError('r')) == "RuntimeError('r')".
  using asyncio::detail::describe_exception;
  EXPECT_EQ(describe_exception(std::make_exception_ptr(CancelledError())), "CancelledError()");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(CancelledError("m"))),
            "CancelledError('m')");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(std::invalid_argument("x"))),
            "ValueError('x')");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(TimeoutError())), "TimeoutError()");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(InvalidStateError("s"))),
            "InvalidStateError('s')");
  EXPECT_EQ(describe_exception(std::make_exception_ptr(RuntimeError("r"))), "RuntimeError('r')");
  EXPECT_EQ(describe_exception(nullptr), "None");
}

}  // namespace
