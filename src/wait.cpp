// wait's out-of-line part (the tracker and the awaiter: include/asyncio/wait.hpp).

#include "asyncio/wait.hpp"

#include <string>

namespace asyncio::detail {
std::string return_when_repr(ReturnWhen rw) { return std::to_string(static_cast<int>(rw)); }
}  // namespace asyncio::detail
