# Task names and registries (R15, R63): names "Task-<N>" from a process-wide counter
# (tasks given a name do not use a number); current_task() / all_tasks(); asyncio.run's
# shutdown runs two tasks of its own, so a second run's main task is 3 numbers later.
import asyncio

from vtloop import new_loop, run


def names(tasks):
    return sorted(t.get_name() for t in tasks)


def current_name():
    t = asyncio.current_task()
    return t.get_name() if t is not None else "None"


async def worker(d):
    print(f"  worker {current_name()} starts")
    await asyncio.sleep(d)
    return current_name()


async def main1():
    loop = asyncio.get_running_loop()
    print(f"main1 is {current_name()}")
    a = asyncio.create_task(worker(1))
    b = asyncio.create_task(worker(2), name="custom")
    c = loop.create_task(worker(3))
    print(f"  created {a.get_name()}, {b.get_name()}, {c.get_name()}")
    print(f"  all_tasks: {names(asyncio.all_tasks())}")
    c.set_name("renamed")
    await asyncio.sleep(0)
    print(f"  all_tasks after renaming: {names(asyncio.all_tasks())}")
    loop.call_soon(lambda: print(f"  current_task() in a callback: {current_name()}"))
    a.add_done_callback(lambda t: print(f"  current_task() in a done callback: {current_name()}"))
    print(f"  a -> {await a}")
    print(f"  all_tasks without a: {names(asyncio.all_tasks())}")
    print(f"  b -> {await b}, c -> {await c}, a still named {a.get_name()}")
    # tasks created by tasks
    async def spawner():
        inner = asyncio.create_task(worker(0))
        return await inner

    print(f"  spawner's inner -> {await asyncio.create_task(spawner())}")
    leftover = asyncio.create_task(worker(10))
    await asyncio.sleep(0)
    print(f"  all_tasks at the end: {names(asyncio.all_tasks())}")
    return "main1 done"


async def main2():
    print(f"main2 is {current_name()}")
    t = asyncio.create_task(worker(0))
    print(f"  {t.get_name()} -> {await t}")


print(run(main1()))
run(main2())
# run_until_complete(coroutine) wraps it in a task too
loop = new_loop()


async def probe():
    return current_name()


print(f"run_until_complete task: {loop.run_until_complete(probe())}")
t = loop.create_task(probe(), name="named")
print(f"named task: {loop.run_until_complete(t)}")
print(f"next one: {loop.run_until_complete(probe())}")
loop.close()
