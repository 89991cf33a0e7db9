"""Heavy results shared by a class or a hall: computed once for their inputs, waited for, never pickled."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from cnnviz.classroom.results import SharedResults, key_of, pack, unpack

pytestmark = pytest.mark.unit


def test_a_packed_result_comes_back_exactly_and_is_never_a_pickle():
    arrays = {"image": np.arange(12, dtype=np.uint8).reshape(2, 2, 3), "curve": np.linspace(0, 1, 5)}
    meta, back = unpack(pack({"seconds": 1.5, "stopped_at": None}, arrays))
    assert meta == {"seconds": 1.5, "stopped_at": None}
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k], v)
    with pytest.raises(ValueError):  # an object array would need pickle: refused on the way in
        unpack(pack({}, {"bad": np.array([object()], dtype=object)}))


def test_keys_depend_on_every_input_and_not_on_dict_order():
    assert key_of("fantasy", {"a": 1, "b": 2}) == key_of("fantasy", {"b": 2, "a": 1})
    assert key_of("fantasy", {"a": 1}) != key_of("fantasy", {"a": 2}) != key_of("attribution", {"a": 1})


@pytest.mark.parametrize("where", ["in-process", "hall"])
def test_thirty_learners_asking_at_once_cost_one_computation_and_all_get_it(where, request):
    if where == "hall":  # two replicas' stores on one Redis: one computation in the whole hall
        url = request.getfixturevalue("redis_url")
        stores = [SharedResults(url), SharedResults(url)]
    else:
        stores = [SharedResults()]
    calls: list[int] = []
    got: list[bytes] = []
    barrier = threading.Barrier(30)

    def make() -> bytes:
        calls.append(1)
        time.sleep(0.5)  # long enough for every other learner to arrive while it is made
        return b"the class image"

    def learner(k: int) -> None:
        barrier.wait()
        got.append(stores[k % len(stores)].compute_once("same-key", make))

    threads = [threading.Thread(target=learner, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1 and got == [b"the class image"] * 30
    late = SharedResults(request.getfixturevalue("redis_url")) if where == "hall" else stores[0]
    assert late.compute_once("same-key", make) == b"the class image" and len(calls) == 1  # a later learner


def test_a_stopped_or_failed_computation_shares_nothing_and_frees_the_next_learner():
    s = SharedResults()
    assert s.compute_once("k", lambda: None) is None  # stopped: not shared
    with pytest.raises(KeyboardInterrupt):  # what Streamlit's Stop raises inside a script run
        s.compute_once("k", lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert s.compute_once("k", lambda: b"done") == b"done" and s.get("k") == b"done"


def test_the_in_process_store_is_bounded_by_bytes_and_forgets_the_least_recently_used():
    s = SharedResults(max_bytes=100)
    s.put("a", b"x" * 40)
    s.put("b", b"y" * 40)
    s.get("a")
    s.put("c", b"z" * 40)
    assert s.get("a") and s.get("c") and s.get("b") is None


def test_fantasy_images_survive_the_trip_through_the_shared_store():
    from cnnviz.explain import fantasy as fa

    rng = np.random.default_rng(0)
    res = fa.FantasyResult(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), [0.5, 1.25], 2.0,
                           [rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)])
    back = fa.made_from_blob(fa.made_to_blob([(3, res, 0.1, 2.5), (None, res, None, None)]))
    (ch, out, start, end), (no_channel, _, *ends) = back  # a channel's image, and a class's (no channel)
    assert (ch, start, end) == (3, 0.1, 2.5) and out.history == res.history and out.seconds == 2.0
    assert np.array_equal(out.image, res.image) and np.array_equal(out.others[0], res.others[0])
    assert no_channel is None and ends == [None, None]


def test_sanity_steps_survive_the_trip_through_the_shared_store():
    from cnnviz.explain.sanity import SanityStep, steps_from_blob, steps_to_blob

    rng = np.random.default_rng(1)
    steps = [SanityStep("none", {"saliency": 1.0, "gradcam": 1.0}, {"saliency": rng.random((4, 4)),
                                                                      "gradcam": rng.random((4, 4))}),
             SanityStep("_fc", {"saliency": 0.93, "gradcam": -0.1}, {"saliency": rng.random((4, 4)),
                                                                      "gradcam": rng.random((4, 4))})]
    back = steps_from_blob(steps_to_blob(steps))
    assert [(s.randomised, s.similarity) for s in back] == [(s.randomised, s.similarity) for s in steps]
    assert all(np.array_equal(b.maps[m], s.maps[m]) for b, s in zip(back, steps, strict=True) for m in s.maps)


def test_a_hall_keeps_results_in_a_redis_of_their_own_and_classes_in_one_that_never_evicts(monkeypatch, tmp_path):
    from cnnviz.classroom.hall import LocalRedis
    from cnnviz.classroom.results import results_url

    monkeypatch.delenv("CNNVIZ_RESULTS_REDIS_URL", raising=False)
    monkeypatch.delenv("CNNVIZ_REDIS_URL", raising=False)
    assert results_url() is None  # one server: results stay in its memory
    monkeypatch.setenv("CNNVIZ_REDIS_URL", "redis://127.0.0.1:1/0")
    assert results_url() == "redis://127.0.0.1:1/0"  # an operator's one Redis holds both
    monkeypatch.setenv("CNNVIZ_RESULTS_REDIS_URL", "redis://127.0.0.1:2/0")
    assert results_url() == "redis://127.0.0.1:2/0"
    classes, cache = LocalRedis(tmp_path / "c"), LocalRedis(tmp_path / "r", cache=True)
    for r in (classes, cache):
        try:
            r.start()
        except Exception as e:  # noqa: BLE001 - no redis-server here
            import pytest

            pytest.skip(str(e))
    try:
        c, k = (r.workdir / "redis.conf" for r in (classes, cache))
        assert "maxmemory-policy noeviction" in c.read_text() and "appendonly yes" in c.read_text()
        assert "maxmemory-policy allkeys-lru" in k.read_text() and "appendonly no" in k.read_text()
    finally:
        classes.stop()
        cache.stop()
