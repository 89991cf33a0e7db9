"""The hall's class store against a real redis-server: replicas share classes, a student's check stays in
memory, the teacher's secret is never stored, and a Redis restart is a message, then following again."""

from __future__ import annotations

import time

import pytest
import redis

from cnnviz.classroom.redis_store import RedisStore, check_url
from cnnviz.classroom.store import ClassroomError, ClassroomUnavailable

pytestmark = pytest.mark.unit


def _until(cond, what: str, limit: float = 15.0):
    """Wait for a state (bounded), not for a clock."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {limit} s: {what}")


@pytest.fixture
def replicas(redis_url):
    made = [RedisStore(redis_url), RedisStore(redis_url)]
    yield made
    for s in made:
        s.shutdown()


def _calls(url: str, command: str) -> int:
    stats = redis.Redis.from_url(url).info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


def test_a_class_opened_on_one_replica_is_followed_on_another_through_its_subscriber(replicas, redis_url):
    teacher, student = replicas
    code, token = teacher.open()
    assert student.view(code).page == "start"  # first sight: one read, then held in memory
    teacher.publish(code, token, "convolution", {"step": "4"})
    v = _until(lambda: (w := student.view(code)) and w.version == 1 and w, "the student's replica sees step 4")
    assert v.page == "convolution" and v.query() == {"step": "4"}
    reads = _calls(redis_url, "hgetall"), _calls(redis_url, "hget")
    for _ in range(200):  # a class of students checking: answered from memory
        assert student.view(code).version == 1
    assert (_calls(redis_url, "hgetall"), _calls(redis_url, "hget")) == reads


def test_check_ins_are_batched_and_counted_across_replicas(replicas):
    teacher, student = replicas
    code, _ = teacher.open()
    for k in range(30):
        student.check_in(code, f"s{k}")
    assert _until(lambda: teacher.followers(code) == 30, "30 followers counted on the teacher's replica")


def test_the_teachers_token_is_never_stored_and_a_forged_one_changes_nothing(replicas, redis_url):
    teacher, student = replicas
    code, token = teacher.open()
    client = redis.Redis.from_url(redis_url)
    stored = b"".join(v for k in client.keys("*") if client.type(k) == b"hash" for v in client.hgetall(k).values())
    assert token.encode() not in stored
    with pytest.raises(ClassroomError, match="only the teacher"):
        student.publish(code, "forged-" + token, "pooling", {})
    assert teacher.view(code).page == "start"


def test_closing_a_class_reaches_every_replica_and_its_code_is_not_handed_out_again(replicas):
    teacher, student = replicas
    code, token = teacher.open()
    assert student.view(code) is not None
    teacher.close(code, token)
    _until(lambda: student.view(code) is None, "the class ended on the other replica")


def test_a_redis_restart_is_said_in_words_and_following_resumes_with_the_class_restored(redis_server):
    from cnnviz.classroom.hall import LocalRedis

    own = LocalRedis(redis_server.workdir.parent / "restart").start()  # a Redis this test may stop
    teacher, student = RedisStore(own.url), RedisStore(own.url)
    try:
        code, token = teacher.open()
        teacher.publish(code, token, "convolution", {"step": "2"})
        _until(lambda: (v := student.view(code)) and v.version == 1, "followed before the restart")
        own.stop()
        assert _until(lambda: student.problem(), "the student's replica notices").startswith("The class server")
        with pytest.raises(ClassroomUnavailable, match="resumes by itself"):
            teacher.publish(code, token, "convolution", {"step": "3"})
        assert student.view(code).query() == {"step": "2"}  # the page keeps working from memory
        own.start()  # the same port, empty: the class was lost with Redis's memory
        _until(lambda: student.problem() is None and teacher.problem() is None, "both replicas reconnect")
        assert student.view(code) is not None  # kept while its teacher may restore it
        teacher.publish(code, token, "convolution", {"step": "3"})  # the teacher's next publish restores it
        v = _until(lambda: (v := student.view(code)) and v.query() == {"step": "3"} and v, "following resumes")
        assert v.version == 2
        with pytest.raises(ClassroomError, match="only the teacher"):
            student.publish(code, "forged", "pooling", {})
    finally:
        teacher.shutdown()
        student.shutdown()
        own.stop()


def test_a_redis_that_lost_its_last_change_never_hands_students_a_version_they_already_saw(replicas, redis_url):
    teacher, student = replicas
    code, token = teacher.open()
    teacher.publish(code, token, "convolution", {"step": "1"})
    teacher.publish(code, token, "convolution", {"step": "2"})
    _until(lambda: (v := student.view(code)) and v.version == 2, "the student saw version 2")
    raw = redis.Redis.from_url(redis_url)  # as after a crash that lost the last second of writes
    raw.hset(f"cnnviz:class:{code}", mapping={"version": 1, "params": '[["step","1"]]'})
    view = teacher.publish(code, token, "convolution", {"step": "3"})
    assert view.version == 3  # above the 2 the student already followed, so the student moves again
    v = _until(lambda: (v := student.view(code)) and v.query() == {"step": "3"} and v, "the student follows")
    assert v.version == 3


def test_an_unreachable_or_malformed_redis_url_is_one_sentence():
    from cnnviz.classroom.hall import free_port

    with pytest.raises(ClassroomError, match="no Redis answers at"):
        check_url(f"redis://127.0.0.1:{free_port()}/0", timeout=1)
    with pytest.raises(ClassroomError, match="not a Redis URL"):
        check_url("http://example/0")


def test_the_problem_sentence_stays_while_the_subscriber_is_away_even_if_a_call_succeeds(redis_url):
    store = RedisStore(redis_url)
    try:
        _until(lambda: store._listening, "the subscriber connects")
        store._listening = False  # as between Redis's return and the subscriber's reconnection
        store._problem = "The class server cannot be reached"
        store.open()  # a call that succeeds
        assert store.problem() == "The class server cannot be reached"  # followers would still miss changes
        store._listening = True
        store.open()
        assert store.problem() is None
    finally:
        store.shutdown()
