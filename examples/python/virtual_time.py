"""A CPython event loop whose clock is virtual: when nothing is ready, time jumps to the
next timer instead of sleeping. BaseEventLoop._run_once is untouched, so scheduling order
is exactly CPython's; the C++ library's EventLoop({.virtual_time = true}) does the same
arithmetic (now += timeout), so both print the same times."""
import asyncio
import selectors


class _JumpSelector(selectors.DefaultSelector):
    def __init__(self):
        super().__init__()
        self.loop = None

    def select(self, timeout=None):
        if timeout is None and len(self.get_map()) <= 1:
            raise RuntimeError("virtual-time loop would block forever")
        if timeout is not None and timeout > 0:
            self.loop._virtual_now += timeout
            timeout = 0
        return super().select(timeout)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self._virtual_now = 0.0
        selector = _JumpSelector()
        super().__init__(selector=selector)
        selector.loop = self

    def time(self):
        return self._virtual_now
