#pragma once
/// \file asyncio.hpp
/// Umbrella header: Python's asyncio for C++20. Includes only, in CPython `__init__` order.

#include "asyncio/coro.hpp"        // IWYU pragma: export
#include "asyncio/event_loop.hpp"  // IWYU pragma: export
#include "asyncio/exceptions.hpp"  // IWYU pragma: export
#include "asyncio/future.hpp"      // IWYU pragma: export
#include "asyncio/gather.hpp"      // IWYU pragma: export
#include "asyncio/result.hpp"      // IWYU pragma: export
#include "asyncio/sleep.hpp"       // IWYU pragma: export
#include "asyncio/task.hpp"        // IWYU pragma: export
#include "asyncio/wait.hpp"        // IWYU pragma: export
