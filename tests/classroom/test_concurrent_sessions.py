"""A class opening pages for the first time at once: no crash, no cross-talk, the same numbers as one visitor."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import pytest

from cnnviz.caching import KeyedCache
from cnnviz.jobs import JobQueue
from cnnviz.networks import architecture as A
from cnnviz.networks import network
from cnnviz.networks import probe as ins
from cnnviz.networks.network import has_leftover_state


def _run_async(coro):
    """asyncio.run in a thread of its own: the browser tests' playwright keeps an event loop in this one."""
    out: dict = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join(900)
    if "error" in out:
        raise out["error"]
    return out["value"]


def _signature(run) -> list:
    """What a learner reads: metrics, tables, text and charts (not element ids or media URLs)."""
    out = []
    for e in run.elements:
        p = e.proto
        if e.kind == "metric":
            out.append(("metric", p.label, p.body))
        elif e.kind == "arrow_data_frame":
            out.append(("table", hashlib.sha1(p.data).hexdigest()))
        elif e.kind == "plotly_chart":
            out.append(("chart", hashlib.sha1(p.spec.encode()).hexdigest()))
        elif e.kind == "markdown":
            out.append(("text", p.body))
    return out


@pytest.mark.browser
def test_eight_first_visits_at_once_render_like_one_visitor_and_leave_the_server_healthy(fresh_server):
    from tests.streamlit_client import Session

    async def visit(page: str, start: asyncio.Event):
        async with Session(fresh_server.url) as s:
            await start.wait()
            return await s.open(page, timeout=400)

    async def stampede(page: str, n: int):
        start = asyncio.Event()
        tasks = [asyncio.create_task(visit(page, start)) for _ in range(n)]
        await asyncio.sleep(0.5)
        start.set()
        return await asyncio.gather(*tasks)

    async def both():  # Networks and Architectures, 8 sessions each, all first visits, at the same moment
        return await asyncio.gather(stampede("networks", 8), stampede("architectures", 8))

    nets, archs = _run_async(both())
    for runs in (nets, archs):
        assert all(r.ok for r in runs), [r.exceptions for r in runs if not r.ok]
    for page, runs in (("networks", nets), ("architectures", archs)):
        after = _run_async(stampede(page, 1))[0]  # a new visitor afterwards, alone: the serial reference
        assert after.ok, after.exceptions
        assert _signature(after), page
        for r in runs:
            assert _signature(r) == _signature(after)
    assert "Traceback" not in fresh_server.log.read_text(errors="replace")


@pytest.mark.unit
def test_first_use_of_a_network_from_many_threads_traces_once_and_matches_a_serial_run():
    from cnnviz.images import load_sample

    network.forget("lenet5")
    network.forget("efficientnet_lite0")
    x = network.get("efficientnet_lite0").preprocess(load_sample("Coffee"))
    results: dict[int, tuple] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(k: int) -> None:
        try:
            barrier.wait()
            net = network.get("efficientnet_lite0" if k % 2 else "lenet5")
            layers = [(i.node, i.shape, i.rf) for i in ins.layers(net)]
            table = A.layer_table("resnet18" if k % 2 else "googlenet")
            top = ins.predict(net, x) if k % 2 else None
            results[k] = (layers, table.params, table.macs, [(p.index, round(p.probability, 6)) for p in top or []])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    for k in range(2, 8):
        assert results[k] == results[k % 2]
    serial = network.get("efficientnet_lite0")
    assert results[1][0] == [(i.node, i.shape, i.rf) for i in ins.layers(serial)]
    assert not has_leftover_state(serial.module())


@pytest.mark.unit
def test_a_keyed_cache_builds_each_key_once_in_parallel_and_never_stores_a_failure():
    cache = KeyedCache(4)
    calls: list[str] = []
    gate = threading.Event()

    def slow(key: str):
        def make():
            calls.append(key)
            gate.wait(5)
            return key.upper()
        return make

    threads = [threading.Thread(target=cache.get, args=(k, slow(k))) for k in ("a", "a", "b", "a", "b")]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert sorted(calls) == ["a", "b"]
    with pytest.raises(RuntimeError):
        cache.get("c", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert "c" not in cache.keys() and cache.get("c", lambda: "ok") == "ok"


@pytest.mark.unit
def test_a_shared_model_left_with_a_hook_is_rejected_and_rebuilt():
    net = network.get("lenet5")
    model = net.module()
    handle = model.c1.register_forward_hook(lambda *a: None)
    try:
        fresh = net.module()
        assert fresh is not model and not has_leftover_state(fresh)
    finally:
        handle.remove()


@pytest.mark.unit
def test_heavy_jobs_queue_in_order_report_their_place_and_free_their_slot_when_they_give_up():
    q = JobQueue(1)
    first = q.enqueue("first")
    assert q.try_start(first, 1)
    second, third = q.enqueue("second"), q.enqueue("third")
    assert not q.try_start(third, 0.05)  # not its turn
    assert (second.ahead(), third.ahead()) == (0, 1)
    third.release()  # gave up (Stop, closed tab): leaves the queue
    assert q.status()["waiting"] == ["second"]
    first.release()
    assert q.try_start(second, 1) and q.status()["running"] == ["second"]
    seen: list[int] = []

    def impatient(ahead: int) -> None:
        seen.append(ahead)
        raise KeyboardInterrupt  # what a rerun does to a waiting script

    with pytest.raises(KeyboardInterrupt):
        with q.slot("fourth", on_wait=impatient, poll=0.01):
            pass
    assert seen == [0] and q.status()["waiting"] == []


@pytest.mark.unit
def test_a_trace_waits_for_running_networks_and_runs_wait_for_a_trace():
    import time

    from cnnviz.networks.tracing import running, tracing

    log: list[str] = []
    started = threading.Event()

    def runner() -> None:
        with running():
            started.set()
            time.sleep(0.2)
            log.append("run ends")

    def tracer() -> None:
        started.wait(5)
        with tracing():
            log.append("trace starts")
            time.sleep(0.2)
            log.append("trace ends")

    def late_runner() -> None:
        started.wait(5)
        time.sleep(0.05)  # arrives while the trace waits or runs: goes after it
        with running():
            log.append("late run")

    threads = [threading.Thread(target=f) for f in (runner, tracer, late_runner)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert log == ["run ends", "trace starts", "trace ends", "late run"]
    done = threading.Event()

    def nested() -> None:  # a graph built lazily deep inside nested runs: no deadlock, counts restored
        with running(), running(), tracing(), running():
            pass
        with tracing():
            done.set()

    t = threading.Thread(target=nested)
    t.start()
    t.join(10)
    assert done.is_set()


@pytest.mark.unit
def test_a_run_waiting_for_a_graph_another_thread_traces_does_not_deadlock():
    from cnnviz.networks.tracing import running, tracing

    cache = KeyedCache(4)
    building = threading.Event()
    results: list[str] = []

    def make() -> str:
        building.set()
        with tracing():  # needs every other run to pause
            return "graph"

    def builder() -> None:
        with running():
            results.append(cache.get("g", make))

    def waiter() -> None:
        building.wait(5)
        with running():  # holds a share while it waits for the same graph
            results.append(cache.get("g", lambda: "rebuilt"))

    threads = [threading.Thread(target=f) for f in (builder, waiter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["graph", "graph"]
