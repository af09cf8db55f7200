#pragma once
/// \file result.hpp
/// `Result<T>`: a value or an exception — an element of `gather(return_exceptions, ...)`.
//
// CPython: no class of its own; tasks.py's `gather(..., return_exceptions=True)` puts the
// exception object itself in the result list. A Result owns its value or exception.

#include <exception>
#include <utility>
#include <variant>

#include "asyncio/exceptions.hpp"

namespace asyncio {

/// A value or an exception (a cancelled child holds a CancelledError).
///
/// **Python:** an element of `gather(..., return_exceptions=True)`'s list, which is either
/// the child's result or its exception object.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}           // NOLINT: implicit
  Result(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value; rethrows the exception if there is one.
  T& value() & {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(std::move(v_));
  }
  /// The exception, null when there is a value.
  std::exception_ptr exception() const noexcept { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  std::variant<T, std::exception_ptr> v_;
};

/// `Result<void>`: success, or an exception.
/// **Python:** an element of that list for a child that returns None.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(std::exception_ptr e) : e_(std::move(e)) {}  // NOLINT: implicit
  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (e_) std::rethrow_exception(e_);
  }
  std::exception_ptr exception() const noexcept { return e_; }

 private:
  std::exception_ptr e_;
};

}  // namespace asyncio
