"""Runtime of the generated CPython scenarios (see gen.py); fuzz_rt.hpp is its C++ twin.

Every line a scenario prints starts with the virtual time. Results are printed with
`pyrepr`, which shows every exception as Name('message') (the C++ side cannot tell
CancelledError() from CancelledError(''), so neither side does).
"""

import asyncio


def msg(e):
    return str(e.args[0]) if e.args else ""


def erepr(e):
    return f"{type(e).__name__}({msg(e)!r})"


def pyrepr(x):
    if isinstance(x, list):
        return "[" + ", ".join(pyrepr(y) for y in x) + "]"
    if isinstance(x, BaseException):
        return erepr(x)
    return repr(x)


class Rt:
    """The scenario's registry of cancellable things (gathers, tasks) and its clock."""

    def __init__(self):
        self.loop = None
        self.h = {}

    def reset(self, loop):
        self.loop = loop
        self.h = {}

    def t(self):
        return self.loop.time()

    def say(self, *parts):
        print(self.t(), *parts)

    def task(self, name, coro):
        t = asyncio.create_task(coro)
        self.h[name] = t
        return t

    def gather(self, name, g):
        self.h[name] = g
        g.add_done_callback(lambda f: self.report(name, f))
        return g

    def started(self, name):
        self.h[name] = asyncio.current_task()
        self.say(name, "start")

    def report(self, name, f):
        if f.cancelled():
            s = "cancelled"
        elif f.exception() is not None:
            s = erepr(f.exception())
        else:
            s = pyrepr(f.result())
        self.say(name, "=>", s)

    @staticmethod
    def handler(loop, ctx):
        """Drops "exception was never retrieved" (CPython logs it when the garbage
        collector runs, C++ when the last reference goes: not comparable)."""
        if "never retrieved" not in ctx["message"]:
            loop.default_exception_handler(ctx)

    def cancel(self, name, m):
        h = self.h.get(name)
        if h is None:
            self.say("cancel", name, "not yet")
            return
        self.say("cancel", name, m if m is not None else "-", "->", h.cancel(m))


R = Rt()


async def ok(tag, d, x):
    R.say(tag, "start")
    await asyncio.sleep(d)
    R.say(tag, "ok")
    return tag


async def fail(tag, d, x):
    R.say(tag, "start")
    await asyncio.sleep(d)
    R.say(tag, "raise")
    raise ValueError(tag)


async def swallow(tag, d, x):
    """Swallows one cancellation, then sleeps `x` more and returns."""
    R.say(tag, "start")
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        R.say(tag, "swallow", erepr(e))
        await asyncio.sleep(x)
    R.say(tag, "ok")
    return tag


async def slow(tag, d, x):
    """On cancellation: cleans up for `x`, then re-raises."""
    R.say(tag, "start")
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        R.say(tag, "cleanup", erepr(e))
        await asyncio.sleep(x)
        R.say(tag, "cleanup done")
        raise
    R.say(tag, "ok")
    return tag


def names(labels, fs, members):
    """The labels of the members of a done/pending set, in input order."""
    return [lab for lab, f in zip(labels, fs) if f in members]


async def wait_once(pending, timeout, return_when):
    return await asyncio.wait(pending, timeout=timeout, return_when=return_when)
