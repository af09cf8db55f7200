// The packaging check's consumer: asyncio::run, sleep, create_task and gather, linked through
// the asyncio::asyncio target. Prints "consumer: 14" and exits 0 when the results are right.
#include <asyncio/asyncio.hpp>
#include <cstdio>

asyncio::Coro<int> square_later(int x, double delay) {
  co_await asyncio::sleep(delay);
  const int square = x * x;
  co_return square;
}

asyncio::Coro<int> amain() {
  asyncio::Task<int> task = asyncio::create_task(square_later(3, 0.02));
  auto [a, b, c] = co_await asyncio::gather(square_later(1, 0.03), square_later(2, 0.01), task);
  co_return a + b + c;
}

int main() {
  int sum = asyncio::run(amain());
  std::printf("consumer: %d\n", sum);
  return sum == 1 + 4 + 9 ? 0 : 1;
}
