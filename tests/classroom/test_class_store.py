"""The class store's contract, run against the in-process store and against Redis: codes, versions, teachers
only, isolation, limits and expiry are the same whichever serves the class."""

import pytest

from cnnviz.classroom.store import CODE_ALPHABET, CODE_LENGTH, ClassroomError, InProcessStore, normalise_code

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["in-process", "redis"])
def make(request):
    """make(clock=…, max_classes=…, idle_expiry_s=…) → a store of the parametrized kind."""
    made = []

    def factory(clock=None, **limits):
        if request.param == "in-process":
            return InProcessStore(clock or Clock(), **limits)
        from cnnviz.classroom.redis_store import RedisStore

        s = RedisStore(request.getfixturevalue("redis_url"), clock=clock or Clock(), **limits)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.shutdown()


def test_a_class_gets_a_short_unambiguous_code_and_starts_at_the_home_page(make):
    s = make()
    code, token = s.open()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) and not set(code) & set("01OI")
    assert s.view(code).page == "start" and s.view(code).version == 0 and token


def test_each_change_of_the_teachers_view_is_a_new_version_and_private_settings_never_travel(make):
    s = make()
    code, token = s.open()
    v1 = s.publish(code, token, "convolution", {"step": "3", "present": "1", "device": "cuda", "class": code})
    assert v1.version == 1 and v1.query() == {"step": "3"}
    assert s.publish(code, token, "convolution", {"step": "3"}).version == 1  # unchanged: same version
    assert s.publish(code, token, "pooling", {}).version == 2
    assert s.view(code).page == "pooling"


def test_only_the_teacher_changes_a_class_and_classes_never_see_each_other(make):
    s = make()
    a, ta = s.open()
    b, tb = s.open()
    s.publish(a, ta, "convolution", {"step": "5"})
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.publish(a, tb, "pooling", {})
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.share_photo(a, tb, b"forged")
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.close(a, tb)
    assert s.view(b).page == "start" and s.view(a).query() == {"step": "5"}
    s.share_photo(a, ta, b"png-a")
    assert s.photo(a) == b"png-a" and s.photo(b) is None


def test_a_server_holds_a_limited_number_of_classes_and_idle_ones_end(make):
    clock = Clock()
    s = make(clock, max_classes=2, idle_expiry_s=60)
    a, ta = s.open()
    s.open()
    with pytest.raises(ClassroomError, match="already runs 2 classes"):
        s.open()
    clock.t += 61
    assert s.view(a) is None  # ended while idle
    s.open()  # room again
    with pytest.raises(ClassroomError, match="has ended"):
        s.publish(a, ta, "pooling", {})


def test_followers_are_the_students_seen_in_the_last_seconds(make):
    clock = Clock()
    s = make(clock)
    code, _ = s.open()
    s.check_in(code, "ann")
    s.check_in(code, "bob")
    s.check_in(code, "ann")
    assert s.followers(code) == 2
    clock.t += 30
    s.check_in(code, "bob")
    assert s.followers(code) == 1


def test_a_shared_photo_is_limited_in_size_and_bumps_the_view(make):
    s = make()
    code, token = s.open()
    before = s.view(code)
    s.share_photo(code, token, b"x" * 100)
    after = s.view(code)
    assert after.version == before.version + 1 and after.photo_version == 1
    assert s.photo(code) == b"x" * 100
    with pytest.raises(ClassroomError, match="at most 4 MB"):
        s.share_photo(code, token, b"x" * (5 * 2**20))
    s.share_photo(code, token, None)
    assert s.photo(code) is None and s.view(code).photo_version == 2


def test_an_ended_class_is_gone_for_everyone_and_only_its_teacher_ends_it(make):
    s = make()
    code, token = s.open()
    s.close(code, token)
    assert s.view(code) is None
    with pytest.raises(ClassroomError, match="has ended"):
        s.publish(code, token, "pooling", {})
    assert s.problem() is None


@pytest.mark.parametrize("typed, code", [("k7mq2", "K7MQ2"), (" K7-MQ2 ", "K7MQ2")])
def test_a_typed_code_is_read_generously(typed, code):
    assert normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7MQ", "K7MQ22", "K0MQ2"])
def test_a_code_that_cannot_be_one_gets_a_message(typed):
    with pytest.raises(ClassroomError, match="a class code is 5 letters"):
        normalise_code(typed)


# ---- Ask the class, pause, spotlight: the same contract in both stores ------------------------------------------

def _poll(pid: str = "q1", revealed: bool = False) -> dict:
    return {"poll": {"id": pid, "stepper": "conv", "step": 0, "revealed": revealed,
                     "question": {"prompt": "What is output[0, 0]?", "answer": 18.0, "because": "…"}}}


def test_a_question_reaches_every_follower_with_a_new_version_and_answers_replace_earlier_ones(make):
    s = make()
    code, token = s.open()
    before = s.view(code).version
    v = s.set_extra(code, token, _poll())
    assert v.version == before + 1 and v.poll["id"] == "q1" and s.view(code).poll["question"]["answer"] == 18.0
    s.answer(code, "ann", "q1", "18")
    s.answer(code, "bob", "q1", "17")
    s.answer(code, "bob", "q1", "16")  # a second answer replaces the first
    assert sorted(s.answers(code, token, "q1")) == ["16", "18"]


def test_answers_after_reveal_or_to_an_old_question_are_refused_in_words(make):
    s = make()
    code, token = s.open()
    s.set_extra(code, token, _poll())
    s.answer(code, "ann", "q1", "18")
    s.set_extra(code, token, _poll(revealed=True))
    with pytest.raises(ClassroomError, match="revealed"):
        s.answer(code, "late", "q1", "18")
    assert s.answers(code, token, "q1") == ["18"]
    s.set_extra(code, token, _poll("q2"))  # a new question starts with no answers
    assert s.answers(code, token, "q2") == []
    with pytest.raises(ClassroomError, match="closed"):
        s.answer(code, "ann", "q1", "18")


def test_a_student_cannot_ask_reveal_pause_or_read_the_answers(make):
    s = make()
    code, token = s.open()
    for forged in (lambda: s.set_extra(code, "not-the-token", _poll()),
                   lambda: s.answers(code, "not-the-token", "q1"), lambda: s.offers(code, "not-the-token")):
        with pytest.raises(ClassroomError, match="only the teacher"):
            forged()
    with pytest.raises(ClassroomError, match="short"):
        s.answer(code, "ann", "q1", "9" * 201)


def test_pause_travels_with_the_view_and_a_publish_keeps_the_open_question(make):
    s = make()
    code, token = s.open()
    s.set_extra(code, token, {**_poll(), "paused": True})
    v = s.publish(code, token, "convolution", {"step": "2"})
    assert v.paused and v.poll["id"] == "q1" and s.view(code).paused
    assert not s.set_extra(code, token, _poll()).paused


def test_offered_views_queue_anonymously_newest_first_and_a_photo_only_when_given(make):
    s = make()
    code, token = s.open()
    n1 = s.offer(code, "ann", "convolution", {"step": "4", "present": "1"}, None)
    n2 = s.offer(code, "bob", "pooling", {}, b"\x89PNG fake")
    offers = s.offers(code, token)
    assert [o.label for o in offers] == [f"Student {n2}", f"Student {n1}"]
    assert offers[1].params == (("step", "4"),) and not offers[1].has_photo and offers[0].has_photo
    assert s.offer_photo(code, token, n2) == b"\x89PNG fake" and s.offer_photo(code, token, n1) is None
    n3 = s.offer(code, "ann", "activations", {}, None)  # ann's newer offer replaces her older one
    assert [o.number for o in s.offers(code, token)] == [n3, n2]
    s.dismiss(code, token, n2)
    assert [o.number for o in s.offers(code, token)] == [n3]


def test_a_closed_class_refuses_answers_and_offers(make):
    s = make()
    code, token = s.open()
    s.set_extra(code, token, _poll())
    s.close(code, token)
    with pytest.raises(ClassroomError, match="ended"):
        s.answer(code, "ann", "q1", "18")
    with pytest.raises(ClassroomError, match="ended"):
        s.offer(code, "ann", "start", {}, None)


def test_a_classs_lesson_is_kept_for_its_teacher_only_and_goes_with_the_class(make):
    from cnnviz.classroom.store import MAX_LESSON_BYTES

    s = make()
    code, token = s.open()
    other, other_token = s.open()
    assert s.lesson(code, token) is None
    s.set_lesson(code, token, '{"at": 2}')
    assert s.lesson(code, token) == '{"at": 2}'  # as saved, for the teacher's next session
    assert s.lesson(other, other_token) is None  # classes never see each other's lesson
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.lesson(code, "forged")
    with pytest.raises(ClassroomError, match="only the teacher"):
        s.set_lesson(code, "forged", "{}")
    with pytest.raises(ClassroomError, match="at most"):
        s.set_lesson(code, token, "x" * (MAX_LESSON_BYTES + 1))
    assert s.lesson(code, token) == '{"at": 2}'  # a refused change keeps the last good lesson
    s.set_lesson(code, token, None)
    assert s.lesson(code, token) is None
    s.set_lesson(code, token, '{"at": 3}')
    s.close(code, token)
    with pytest.raises(ClassroomError, match="ended"):
        s.lesson(code, token)


def test_a_follower_moves_only_what_changed_on_the_same_page():
    from cnnviz.classroom.store import View, changed_keys

    applied = ("convolution", (("step", "2"), ("pad", "1")))
    assert changed_keys(applied, View("convolution", (("step", "3"), ("pad", "1")), 5)) == {"step"}
    assert changed_keys(applied, View("convolution", (("step", "3"), ("pad", "0")), 5)) == {"step", "pad"}
    assert changed_keys(applied, View("convolution", (("step", "2"), ("pad", "1")), 5)) is None  # nothing moved
    assert changed_keys(applied, View("convolution", (("step", "3"),), 5)) is None  # a key dropped: open afresh
    assert changed_keys(applied, View("pooling", (("step", "3"), ("pad", "1")), 5)) is None  # another page
    assert changed_keys(None, View("convolution", (), 5)) is None  # nothing applied yet
