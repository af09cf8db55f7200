#pragma once
/// \file asyncio.hpp
/// Umbrella header: Python's asyncio for C++20. Includes only, roughly in CPython
/// `asyncio/__init__.py` order (exceptions, coroutines, events, futures, tasks, ...).

#include "asyncio/as_completed.hpp"  // IWYU pragma: export
#include "asyncio/coro.hpp"          // IWYU pragma: export
#include "asyncio/event_loop.hpp"    // IWYU pragma: export
#include "asyncio/exceptions.hpp"    // IWYU pragma: export
#include "asyncio/future.hpp"        // IWYU pragma: export
#include "asyncio/gather.hpp"        // IWYU pragma: export
#include "asyncio/locks.hpp"         // IWYU pragma: export
#include "asyncio/protocols.hpp"     // IWYU pragma: export
#include "asyncio/queues.hpp"        // IWYU pragma: export
#include "asyncio/result.hpp"        // IWYU pragma: export
#include "asyncio/runners.hpp"       // IWYU pragma: export
#include "asyncio/sendfile.hpp"      // IWYU pragma: export
#include "asyncio/shield.hpp"        // IWYU pragma: export
#include "asyncio/sleep.hpp"         // IWYU pragma: export
#include "asyncio/sockets.hpp"       // IWYU pragma: export
#include "asyncio/staggered.hpp"     // IWYU pragma: export
#include "asyncio/streams.hpp"       // IWYU pragma: export
#include "asyncio/subprocess.hpp"    // IWYU pragma: export
#include "asyncio/task.hpp"          // IWYU pragma: export
#include "asyncio/task_group.hpp"    // IWYU pragma: export
#include "asyncio/threads.hpp"       // IWYU pragma: export
#include "asyncio/timeouts.hpp"      // IWYU pragma: export
#include "asyncio/transports.hpp"    // IWYU pragma: export
#include "asyncio/wait.hpp"          // IWYU pragma: export
#include "asyncio/wait_for.hpp"      // IWYU pragma: export
