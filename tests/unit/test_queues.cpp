// Unit tests for asyncio/queues.hpp: Queue, LifoQueue, PriorityQueue. Most are ports of
// CPython 3.13's Lib/test/test_asyncio/test_queues.py (named after them); the others'
// expected values come from the same programs run on CPython 3.13. Virtual time throughout.

#include "asyncio/queues.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/locks.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "asyncio/task_group.hpp"
#include "asyncio/wait_for.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::LifoQueue;
using asyncio::PriorityQueue;
using asyncio::Queue;
using asyncio::QueueEmpty;
using asyncio::QueueFull;
using asyncio::QueueShutDown;
using asyncio::Task;

void run(Coro<void> main) { asyncio::run(std::move(main), {.virtual_time = true}); }

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// CPython: QueueBasicTests

TEST(Queue, ReprShowsWaitersMaxsizeTasksAndShutdown) {  // test_repr
  run([]() -> Coro<void> {
    Queue<int> q;
    EXPECT_EQ(q.repr().rfind("<Queue at 0x", 0), 0u);
    auto getter = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    EXPECT_TRUE(contains(q.repr(), "_getters[1]"));
    q.put_nowait(0);
    EXPECT_EQ(co_await getter, 0);

    Queue<int> q2(1);
    q2.put_nowait(1);
    auto putter = asyncio::create_task(q2.put(2));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(contains(q2.repr(), "_putters[1]"));
    EXPECT_TRUE(contains(q2.repr(), "maxsize=1"));
    q2.get_nowait();
    co_await putter;
    EXPECT_TRUE(contains(q2.repr(), " tasks=2"));
    q2.shutdown();
    EXPECT_TRUE(contains(q2.repr(), " shutdown>"));
    LifoQueue<int> lq;
    EXPECT_EQ(lq.repr().rfind("<LifoQueue at 0x", 0), 0u);
  }());
}

TEST(Queue, EmptyFollowsTheItems) {  // test_empty
  run([]() -> Coro<void> {
    Queue<int> q;
    EXPECT_TRUE(q.empty());
    co_await q.put(1);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(1, co_await q.get());
    EXPECT_TRUE(q.empty());
  }());
}

TEST(Queue, FullOnlyWhenBoundedAndAtMaxsize) {  // test_full
  run([]() -> Coro<void> {
    Queue<int> q;
    EXPECT_FALSE(q.full());
    Queue<int> q1(1);
    co_await q1.put(1);
    EXPECT_TRUE(q1.full());
    Queue<int> neg(-3);  // maxsize <= 0: unbounded
    for (int i = 0; i < 10; ++i) neg.put_nowait(i);
    EXPECT_FALSE(neg.full());
  }());
}

TEST(Queue, GetsInFifoOrder) {  // test_order
  run([]() -> Coro<void> {
    Queue<int> q;
    for (int i : {1, 3, 2}) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    EXPECT_EQ(items, (std::vector<int>{1, 3, 2}));
  }());
}

TEST(Queue, PutBlocksAtMaxsize) {  // test_maxsize
  run([]() -> Coro<void> {
    Queue<int> q(2);
    EXPECT_EQ(q.maxsize(), 2);
    std::vector<int> have_been_put;
    auto putter = [&]() -> Coro<bool> {
      for (int i = 0; i < 3; ++i) {
        co_await q.put(i);
        have_been_put.push_back(i);
      }
      co_return true;
    };
    auto t = asyncio::create_task(putter());
    for (int i = 0; i < 2; ++i) co_await asyncio::sleep(0);
    EXPECT_EQ(have_been_put, (std::vector<int>{0, 1}));  // blocked after two
    EXPECT_EQ(0, co_await q.get());
    co_await asyncio::sleep(0);
    EXPECT_EQ(have_been_put, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(1, co_await q.get());
    EXPECT_EQ(2, co_await q.get());
    EXPECT_TRUE(t.done() && t.result());
  }());
}

TEST(Queue, RingBufferGrowsAndWrapsInOrder) {
  run([]() -> Coro<void> {
    Queue<std::string> q;
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 50; ++round) {
      for (int i = 0; i < round % 13 + 1; ++i) q.put_nowait(std::to_string(next_in++));
      for (int i = 0; i < round % 7 + 1 && !q.empty(); ++i)
        EXPECT_EQ(q.get_nowait(), std::to_string(next_out++));
    }
    while (!q.empty()) EXPECT_EQ(q.get_nowait(), std::to_string(next_out++));
    EXPECT_EQ(next_in, next_out);
    co_return;
  }());
}

// ---------------------------------------------------------------------------------------
// CPython: QueueGetTests

TEST(Queue, GetReturnsAQueuedItem) {  // test_blocking_get
  run([]() -> Coro<void> {
    Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, co_await q.get());
  }());
}

TEST(Queue, GetWaitsForAPut) {  // test_blocking_get_wait
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    Queue<int> q;
    asyncio::Event started;
    bool finished = false;
    auto queue_get = [&]() -> Coro<int> {
      started.set();
      int res = co_await q.get();
      finished = true;
      co_return res;
    };
    auto t = asyncio::create_task(queue_get());
    co_await started.wait();
    EXPECT_FALSE(finished);
    loop.call_later(0.01, [&] { q.put_nowait(1); });
    int res = co_await t;
    EXPECT_TRUE(finished);
    EXPECT_EQ(res, 1);
  }());
}

TEST(Queue, GetNowaitReturnsAnItemOrRaisesQueueEmpty) {  // test_nonblocking_get,
                                                         // test_nonblocking_get_exception
  Queue<int> q;
  q.put_nowait(1);
  EXPECT_EQ(1, q.get_nowait());
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
}

TEST(Queue, CancelledGetterTakesNoItem) {  // test_get_cancelled_race
  run([]() -> Coro<void> {
    Queue<std::string> q;
    auto t1 = asyncio::create_task(q.get());
    auto t2 = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t1.done());
    co_await q.put("a");
    co_await asyncio::sleep(0);
    EXPECT_EQ("a", co_await t2);
  }());
}

TEST(Queue, GetWakesWaitingPuttersInOrder) {  // test_get_with_waiting_putters
  run([]() -> Coro<void> {
    Queue<std::string> q(1);
    asyncio::create_task(q.put("a"));
    asyncio::create_task(q.put("b"));
    EXPECT_EQ(co_await q.get(), "a");
    EXPECT_EQ(co_await q.get(), "b");
  }());
}

TEST(Queue, ProducerAndConsumerThroughABoundedQueueBothFinish) {  // test_why_are_getters_waiting
  run([]() -> Coro<void> {
    Queue<int> q(1);
    auto consumer = [&](int n) -> Coro<void> {
      for (int i = 0; i < n; ++i) co_await q.get();
    };
    auto producer = [&](int n) -> Coro<void> {
      for (int i = 0; i < n; ++i) co_await q.put(i);
    };
    co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
      tg.create_task(producer(5));
      tg.create_task(consumer(5));
      co_return;
    });
    EXPECT_TRUE(q.empty());
  }());
}

TEST(Queue, TimedOutGetterLeavesNoGetter) {
  // test_cancelled_getters_not_being_held_in_self_getters
  run([]() -> Coro<void> {
    Queue<int> q(5);
    EXPECT_THROW(co_await asyncio::wait_for(q.get(), 0.1), asyncio::TimeoutError);
    EXPECT_FALSE(contains(q.repr(), "_getters"));
  }());
}

TEST(Queue, WokenGetterFindingQueueEmptyWaitsAgainAtTheEnd) {
  // A getter woken for an item someone else took waits again behind the other getters.
  // CPython 3.13: [('b', 2), ('a', 3)].
  run([]() -> Coro<void> {
    Queue<int> q;
    std::vector<std::pair<std::string, int>> order;
    auto getter = [&](std::string name) -> Coro<void> {
      int v = co_await q.get();
      order.emplace_back(name, v);
    };
    auto a = asyncio::create_task(getter("a"));
    auto b = asyncio::create_task(getter("b"));
    co_await asyncio::sleep(0);
    q.put_nowait(1);  // wakes a
    EXPECT_EQ(q.get_nowait(), 1);
    co_await asyncio::sleep(0);  // a finds the queue empty: waits again, behind b
    q.put_nowait(2);
    q.put_nowait(3);
    co_await asyncio::gather(a, b);
    EXPECT_EQ(order, (std::vector<std::pair<std::string, int>>{{"b", 2}, {"a", 3}}));
  }());
}

TEST(Queue, WokenPutterFindingQueueFullWaitsAgainAtTheEnd) {
  // CPython 3.13: qsize 1, 'x', then ['b'] 'b', then ['b', 'a'] 'a'.
  run([]() -> Coro<void> {
    Queue<std::string> q(1);
    std::vector<std::string> order;
    q.put_nowait("0");
    auto putter = [&](std::string name) -> Coro<void> {
      co_await q.put(name);
      order.push_back(name);
    };
    auto a = asyncio::create_task(putter("a"));
    auto b = asyncio::create_task(putter("b"));
    co_await asyncio::sleep(0);
    q.get_nowait();              // wakes a
    q.put_nowait("x");           // full again
    co_await asyncio::sleep(0);  // a waits again, behind b
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get_nowait(), "x");  // wakes b
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(order, std::vector<std::string>{"b"});
    EXPECT_EQ(q.get_nowait(), "b");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(order, (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(q.get_nowait(), "a");
    co_await asyncio::gather(a, b);
  }());
}

// ---------------------------------------------------------------------------------------
// CPython: QueuePutTests

TEST(Queue, PutThenGetReturnsTheItem) {  // test_blocking_put
  run([]() -> Coro<void> {
    Queue<int> q;
    co_await q.put(1);
    EXPECT_EQ(1, co_await q.get());
  }());
}

TEST(Queue, PutOnAFullQueueWaitsForAGet) {  // test_blocking_put_wait
  run([]() -> Coro<void> {
    Queue<int> q(1);
    asyncio::Event started;
    bool finished = false;
    auto queue_put = [&]() -> Coro<void> {
      started.set();
      co_await q.put(1);
      co_await q.put(2);
      finished = true;
    };
    asyncio::get_running_loop().call_later(0.01, [&] { q.get_nowait(); });
    auto t = asyncio::create_task(queue_put());
    co_await started.wait();
    EXPECT_FALSE(finished);
    co_await t;
    EXPECT_TRUE(finished);
  }());
}

TEST(
    Queue,
    PutNowaitOnAFullQueueRaisesQueueFull) {  // test_nonblocking_put, test_nonblocking_put_exception
  Queue<int> q;
  q.put_nowait(1);
  EXPECT_EQ(1, q.get_nowait());
  Queue<int> q1(1);
  q1.put_nowait(1);
  EXPECT_THROW(q1.put_nowait(2), QueueFull);
}

TEST(Queue, CancelledGetterWithAnItemReadyDropsNoItem) {  // test_get_cancel_drop_one_pending_reader
  run([]() -> Coro<void> {
    Queue<int> q;
    auto reader = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    q.put_nowait(2);
    reader.cancel();
    bool cancelled = false;
    try {
      co_await reader;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    if (cancelled) {  // try again
      reader = asyncio::create_task(q.get());
      co_await reader;
    }
    EXPECT_EQ(reader.result(), 1);  // 2 would mean 1 got dropped
  }());
}

TEST(Queue, CancellingOneOfManyGettersDropsNoItem) {  // test_get_cancel_drop_many_pending_readers
  run([]() -> Coro<void> {
    Queue<int> q;
    Task<int> reader2, reader3;
    co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
      auto reader1 = tg.create_task(q.get());
      reader2 = tg.create_task(q.get());
      reader3 = tg.create_task(q.get());
      co_await asyncio::sleep(0);
      q.put_nowait(1);
      q.put_nowait(2);
      reader1.cancel();
      EXPECT_THROW(co_await reader1, CancelledError);
      co_await reader3;
    });
    EXPECT_EQ((std::set<int>{reader2.result(), reader3.result()}), (std::set<int>{1, 2}));
  }());
}

TEST(Queue, CancelledWokenPutterNeitherDropsNorDuplicatesItsItem) {  // test_put_cancel_drop
  run([]() -> Coro<void> {
    Queue<int> q(1);
    q.put_nowait(1);
    auto writer = asyncio::create_task(q.put(2));
    co_await asyncio::sleep(0);
    EXPECT_EQ(q.get_nowait(), 1);
    writer.cancel();
    bool cancelled = false;
    try {
      co_await writer;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    if (cancelled) {
      writer = asyncio::create_task(q.put(2));
      co_await writer;
    }
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_EQ(q.qsize(), 0u);
  }());
}

TEST(Queue, PutterTaskIsDoneWhenTheGetterHasItsItem) {  // test_put_cancelled
  run([]() -> Coro<void> {
    Queue<int> q;
    auto queue_put = [&]() -> Coro<bool> {
      co_await q.put(1);
      co_return true;
    };
    auto t = asyncio::create_task(queue_put());
    EXPECT_EQ(1, co_await q.get());
    EXPECT_TRUE(t.done() && t.result());
  }());
}

TEST(Queue, CancelledPutterPutsNoItem) {  // test_put_cancelled_race
  run([]() -> Coro<void> {
    Queue<std::string> q(1);
    auto put_a = asyncio::create_task(q.put("a"));
    auto put_b = asyncio::create_task(q.put("b"));
    auto put_c = asyncio::create_task(q.put("X"));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_a.done());
    EXPECT_FALSE(put_b.done());
    put_c.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_c.done());
    EXPECT_EQ(q.get_nowait(), "a");
    co_await asyncio::sleep(0);
    EXPECT_EQ(q.get_nowait(), "b");
    co_await put_b;
  }());
}

TEST(Queue, PutHandsTheItemToAWaitingGetter) {  // test_put_with_waiting_getters
  run([]() -> Coro<void> {
    Queue<std::string> q;
    auto t = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    co_await q.put("a");
    EXPECT_EQ(co_await t, "a");
  }());
}

TEST(Queue, PuttersBlockedOnAFullQueueResumeAfterGets) {  // test_why_are_putters_waiting
  run([]() -> Coro<void> {
    Queue<int> q(2);
    auto putter = [&](int item) -> Coro<void> { co_await q.put(item); };
    auto getter = [&]() -> Coro<void> {
      co_await asyncio::sleep(0);
      std::size_t num = q.qsize();
      for (std::size_t i = 0; i < num; ++i) q.get_nowait();
    };
    co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
      tg.create_task(getter());
      for (int i = 0; i < 4; ++i) tg.create_task(putter(i));
      co_return;
    });
    EXPECT_EQ(q.qsize(), 2u);
  }());
}

TEST(Queue, CancelledPutterLeavesNoPutter) {  // test_cancelled_puts_not_being_held_in_self_putters
  run([]() -> Coro<void> {
    Queue<int> q(1);
    q.put_nowait(1);
    auto put_task = asyncio::create_task(q.put(1));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(contains(q.repr(), "_putters[1]"));
    put_task.cancel();
    EXPECT_THROW(co_await put_task, CancelledError);
    EXPECT_FALSE(contains(q.repr(), "_putters"));
  }());
}

TEST(Queue, CancelledPutterAlreadyWokenLeavesSilently) {
  // test_cancelled_put_silence_value_error_exception
  run([]() -> Coro<void> {
    Queue<int> q(1);
    q.put_nowait(1);
    auto put_task = asyncio::create_task(q.put(1));
    co_await asyncio::sleep(0);
    q.get_nowait();  // removes put_task's putter from the FIFO
    put_task.cancel();
    EXPECT_THROW(co_await put_task, CancelledError);
    EXPECT_TRUE(q.empty());
  }());
}

TEST(Queue, MoveOnlyItemsPassThrough) {
  run([]() -> Coro<void> {
    Queue<std::unique_ptr<int>> q(1);
    co_await q.put(std::make_unique<int>(7));
    auto t = asyncio::create_task(q.put(std::make_unique<int>(8)));
    co_await asyncio::sleep(0);
    auto a = co_await q.get();
    co_await t;
    auto b = q.get_nowait();
    EXPECT_EQ(*a, 7);
    EXPECT_EQ(*b, 8);
  }());
}

// ---------------------------------------------------------------------------------------
// LifoQueue / PriorityQueue

TEST(LifoQueue, GetsNewestFirst) {  // test_order
  run([]() -> Coro<void> {
    LifoQueue<int> q;
    for (int i : {1, 3, 2}) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    EXPECT_EQ(items, (std::vector<int>{2, 3, 1}));
  }());
}

TEST(PriorityQueue, GetsSmallestFirst) {  // test_order
  run([]() -> Coro<void> {
    PriorityQueue<int> q;
    for (int i : {1, 3, 2}) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    EXPECT_EQ(items, (std::vector<int>{1, 2, 3}));
  }());
}

TEST(PriorityQueue, EqualKeysComeOutInHeapqOrder) {
  // Items comparing on a key only: the same order as Python's heapq (CPython 3.13 run of
  // the same 40 items, compared by __lt__ on the priority alone).
  struct Item {
    int p;
    std::string name;
  };
  struct ByPriority {
    bool operator()(const Item& a, const Item& b) const { return a.p < b.p; }
  };
  const int prios[] = {2, 1, 3, 0, 0, 0, 2, 0, 1, 0, 0, 3, 3, 0, 1, 0, 3, 0, 0, 1,
                       0, 3, 0, 1, 0, 1, 2, 3, 1, 0, 2, 1, 0, 1, 2, 0, 0, 0, 1, 3};
  PriorityQueue<Item, ByPriority> q;
  for (int i = 0; i < 40; ++i) {
    // "n" + std::to_string(i), written as an append: at -O3 GCC 12 reports a false
    // -Wrestrict inside operator+(const char*, std::string&&) (GCC PR 105329 / 105651).
    std::string name = "n";
    name += std::to_string(i);
    q.put_nowait(Item{prios[i], std::move(name)});
  }
  std::string out;
  while (!q.empty()) {
    Item it = q.get_nowait();
    if (!out.empty()) out += " ";
    out += std::to_string(it.p) + it.name;
  }
  EXPECT_EQ(out,
            "0n3 0n5 0n13 0n29 0n24 0n37 0n36 0n4 0n9 0n10 0n22 0n20 0n7 0n17 0n18 0n35 0n15 "
            "0n32 1n14 1n38 1n28 1n25 1n8 1n23 1n31 1n1 1n19 1n33 2n30 2n0 2n34 2n6 2n26 3n21 "
            "3n39 3n11 3n16 3n12 3n2 3n27");
}

TEST(PriorityQueue, PairsCompareLikePythonTuples) {
  run([]() -> Coro<void> {
    PriorityQueue<std::pair<int, std::string>> q;
    co_await q.put({2, "b"});
    co_await q.put({1, "z"});
    co_await q.put({1, "a"});
    EXPECT_EQ((co_await q.get()).second, "a");
    EXPECT_EQ((co_await q.get()).second, "z");
    EXPECT_EQ((co_await q.get()).second, "b");
  }());
}

// ---------------------------------------------------------------------------------------
// Join and shutdown, for the three queue kinds (_QueueJoinTestMixin, _QueueShutdownTestMixin)

template <class Q>
class QueueKinds : public ::testing::Test {};
using Kinds = ::testing::Types<Queue<int>, LifoQueue<int>, PriorityQueue<int>>;
TYPED_TEST_SUITE(QueueKinds, Kinds);

TYPED_TEST(QueueKinds, TaskDoneWithoutAnItemRaisesValueError) {  // test_task_done_underflow
  TypeParam q;
  try {
    q.task_done();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "task_done() called too many times");
  }
}

TYPED_TEST(QueueKinds, JoinReturnsWhenEveryItemIsDone) {  // test_task_done
  run([]() -> Coro<void> {
    TypeParam q;
    for (int i = 0; i < 100; ++i) q.put_nowait(i);
    int accumulator = 0;
    bool running = true;
    auto worker = [&]() -> Coro<void> {
      // NOLINTNEXTLINE(bugprone-infinite-loop): the group body clears `running` meanwhile
      while (running) {
        int item = co_await q.get();
        accumulator += item;
        q.task_done();
      }
    };
    co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
      std::vector<Task<void>> tasks;
      for (int i = 0; i < 2; ++i) tasks.push_back(tg.create_task(worker()));
      co_await q.join();
      EXPECT_EQ(accumulator, 4950);
      running = false;
      for (std::size_t i = 0; i < tasks.size(); ++i) q.put_nowait(0);
    });
  }());
}

TYPED_TEST(QueueKinds, JoinOnAnEmptyQueueDoesNotSuspend) {  // test_join_empty_queue
  run([]() -> Coro<void> {
    TypeParam q;
    int ticks = 0;
    asyncio::get_running_loop().call_soon([&] { ++ticks; });
    co_await q.join();
    co_await q.join();
    EXPECT_EQ(ticks, 0);  // no suspension
  }());
}

TYPED_TEST(QueueKinds, ShutdownWakesGettersAndRefusesPutsAndGets) {  // test_shutdown_empty
  run([]() -> Coro<void> {
    TypeParam q;
    auto get_task = asyncio::create_task(q.get());
    co_await asyncio::sleep(0);
    q.shutdown(false);
    EXPECT_EQ(q.qsize(), 0u);
    co_await q.join();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(get_task.done());
    EXPECT_THROW(co_await get_task, QueueShutDown);
    EXPECT_THROW(co_await q.put(1), QueueShutDown);
    EXPECT_THROW(q.put_nowait(1), QueueShutDown);
    EXPECT_THROW(co_await q.get(), QueueShutDown);
    EXPECT_THROW(q.get_nowait(), QueueShutDown);
  }());
}

TYPED_TEST(QueueKinds,
           ShutdownKeepsTheItemsForGettersAndJoinWaitsForThem) {  // test_shutdown_nonempty
  run([]() -> Coro<void> {
    TypeParam q(1);
    q.put_nowait(5);
    auto join_task = asyncio::create_task(q.join());
    auto put_task = asyncio::create_task(q.put(6));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(put_task.done());
    q.shutdown(false);
    EXPECT_EQ(q.qsize(), 1u);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_task.done());
    EXPECT_THROW(co_await put_task, QueueShutDown);
    EXPECT_EQ(co_await q.get(), 5);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(join_task.done());
    EXPECT_THROW(co_await q.put(1), QueueShutDown);
    EXPECT_THROW(q.put_nowait(1), QueueShutDown);
    EXPECT_THROW(co_await q.get(), QueueShutDown);
    EXPECT_THROW(q.get_nowait(), QueueShutDown);
    q.task_done();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
    EXPECT_THROW(q.task_done(), std::invalid_argument);
  }());
}

TYPED_TEST(QueueKinds, ImmediateShutdownDropsTheItemsAndReleasesJoin) {  // test_shutdown_immediate
  run([]() -> Coro<void> {
    TypeParam q;
    q.put_nowait(1);
    auto join_task = asyncio::create_task(q.join());
    q.shutdown(true);
    EXPECT_EQ(q.qsize(), 0u);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
    EXPECT_THROW(co_await q.put(1), QueueShutDown);
    EXPECT_THROW(q.put_nowait(1), QueueShutDown);
    EXPECT_THROW(co_await q.get(), QueueShutDown);
    EXPECT_THROW(q.get_nowait(), QueueShutDown);
    EXPECT_THROW(q.task_done(), std::invalid_argument);
  }());
}

TYPED_TEST(QueueKinds, ImmediateShutdownStillWaitsForItemsAlreadyTaken) {
  // test_shutdown_immediate_with_unfinished
  run([]() -> Coro<void> {
    TypeParam q;
    q.put_nowait(1);
    q.put_nowait(1);
    auto join_task = asyncio::create_task(q.join());
    EXPECT_EQ(co_await q.get(), 1);
    q.shutdown(true);
    EXPECT_EQ(q.qsize(), 0u);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(join_task.done());
    EXPECT_THROW(co_await q.put(1), QueueShutDown);
    EXPECT_THROW(q.get_nowait(), QueueShutDown);
    q.task_done();
    EXPECT_THROW(q.task_done(), std::invalid_argument);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
  }());
}

TEST(Queue, ShutdownWakesBlockedPuttersAndGetters) {
  run([]() -> Coro<void> {
    Queue<int> full(1), empty;
    full.put_nowait(0);
    auto p = asyncio::create_task(full.put(1));
    auto g = asyncio::create_task(empty.get());
    co_await asyncio::sleep(0);
    full.shutdown();
    empty.shutdown();
    EXPECT_THROW(co_await p, QueueShutDown);
    EXPECT_THROW(co_await g, QueueShutDown);
    EXPECT_EQ(full.get_nowait(), 0);  // not immediate: the item is still there
  }());
}

// ---------------------------------------------------------------------------------------
// Producer/consumer interleaving, checked line by line against CPython 3.13.

TEST(Queue, BoundedProducerAndTwoConsumersInterleaveAsCPython) {
  run([]() -> Coro<void> {
    Queue<int> q(2);
    std::vector<std::string> log;
    auto producer = [&]() -> Coro<void> {
      for (int i = 0; i < 5; ++i) {
        co_await q.put(i);
        log.push_back("put" + std::to_string(i));
      }
      co_await q.join();
      log.push_back("joined");
    };
    auto consumer = [&](std::string name) -> Coro<void> {
      for (;;) {
        int v = co_await q.get();
        log.push_back(name + std::to_string(v));
        co_await asyncio::sleep(0);
        q.task_done();
      }
    };
    std::vector<Task<void>> cs = {asyncio::create_task(consumer("a")),
                                  asyncio::create_task(consumer("b"))};
    co_await producer();
    for (auto& c : cs) c.cancel();
    co_await asyncio::gather(asyncio::return_exceptions, cs);
    EXPECT_EQ(log, (std::vector<std::string>{"put0", "put1", "a0", "b1", "put2", "put3", "a2", "b3",
                                             "put4", "a4", "joined"}));
  }());
}

// Allocation budget: a blocking put/get pair through a Queue(1) allocates nothing.
std::size_t g_news = 0;

}  // namespace

// Sanitizer runtimes define the global operator new themselves: no counting there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCIO_TEST_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASYNCIO_TEST_COUNT_NEW 0
#endif
#endif
#ifndef ASYNCIO_TEST_COUNT_NEW
#define ASYNCIO_TEST_COUNT_NEW 1
#endif

// Counting replacements of the global operator new/delete (malloc underneath). GCC sees
// them inlined next to `::operator new` calls and warns about the pairing; it is correct.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#if ASYNCIO_TEST_COUNT_NEW
void* operator new(std::size_t n) {
  ++g_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

TEST(Queue, HandOffThroughBoundedQueuesAllocatesNothing) {
  if (!ASYNCIO_TEST_COUNT_NEW) GTEST_SKIP() << "operator new belongs to the sanitizer";
  run([]() -> Coro<void> {
    Queue<int> ab(1), ba(1);
    const int n = 1000;
    auto pong = [&]() -> Coro<void> {
      for (int i = 0; i < n; ++i) co_await ba.put(co_await ab.get());
    };
    auto t = asyncio::create_task(pong());
    co_await ab.put(-1);  // warm-up: ring buffers and the ready queue reach working size
    co_await ba.get();
    const std::size_t before = g_news;
    for (int i = 0; i < n - 1; ++i) {
      co_await ab.put(i);
      EXPECT_EQ(co_await ba.get(), i);
    }
    EXPECT_EQ(g_news - before, 0u);
    co_await t;
  }());
}

}  // namespace
