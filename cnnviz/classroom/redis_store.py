"""The class store of a lecture hall: every replica's sessions share their classes through one Redis server.

Layout in Redis (prefix `cnnviz:`):
- `class:<code>` hash: the teacher token's SHA-256 (never the token), page, params (JSON), version,
  photo_version, touched; `class:<code>:photo` the shared PNG; `class:<code>:seen` a sorted set of student →
  last check-in time; `ended:<code>` a tombstone (an ended code is not handed out or restored for the idle
  expiry); `classes` a sorted set code → last touched (the hall-wide class limit). Every write refreshes the
  keys' TTL (the idle expiry), so a forgotten class leaves nothing behind.
- Each change is one Lua script (check the token, write, bump the version, PUBLISH) — one round trip, atomic.

Each replica keeps one subscriber thread on the channel `cnnviz:class-updates`: every message carries the whole
new view, so the replica's in-memory copy of each class it serves stays current and a student's once-a-second
check (`view`) costs no round trip. Check-ins are buffered in memory and written in one pipeline every two
seconds. Pub/sub is at most once: after a reconnect the thread re-reads every class it holds.

When Redis cannot be reached, reads answer from memory, changes raise `ClassroomUnavailable`, and `problem()`
says so in words for the teacher's panel and the students' banner; the thread reconnects by itself. If Redis
came back empty (restarted without persistence), a class it lost is kept in memory for a grace period and
restored by its teacher's next publish (only a session holding the token can do that).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from cnnviz.classroom.store import (
    FOLLOWER_SEEN_S,
    IDLE_EXPIRY_S,
    MAX_CLASSES,
    MAX_OFFERS,
    ClassroomError,
    ClassroomUnavailable,
    Offer,
    View,
    check_answer,
    check_lesson,
    check_photo,
    clean_params,
    encode_extra,
    new_code,
    new_poll_id,
    refuse_closed,
)

PREFIX = "cnnviz:"
CHANNEL = PREFIX + "class-updates"
FLUSH_S = 2.0  # check-ins reach Redis within this long (the follower count is read over 10 s)
REVALIDATE_S = 10.0  # how often the subscriber re-reads the classes it holds (expiry, missed messages)
RESTORE_GRACE_S = 60.0  # a class lost by a Redis restart waits this long for its teacher to restore it
_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)

_OPEN = """
-- KEYS: class hash, tombstone, classes zset; ARGV: token hash, now, ttl, max classes, expiry, code
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[5]))
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'page', 'start', 'params', '[]', 'version', 0, 'photo_version', 0,
           'touched', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
return 1
"""

_PUBLISH = """
-- KEYS: class hash, photo, seen, classes; ARGV: token hash, page, params, now, ttl, channel, code, version seen
-- (a Redis that lost its last writes holds an older version: the next one is above any a student has seen)
local t = redis.call('HGET', KEYS[1], 'token')
if not t then return {'missing'} end
if t ~= ARGV[1] then return {'denied'} end
local v = tonumber(redis.call('HGET', KEYS[1], 'version'))
local floor = tonumber(ARGV[8])
local pv = redis.call('HGET', KEYS[1], 'photo_version')
local changed = redis.call('HGET', KEYS[1], 'page') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'params') ~= ARGV[3]
  or v < floor
if changed then
  v = math.max(v, floor) + 1
  redis.call('HSET', KEYS[1], 'page', ARGV[2], 'params', ARGV[3], 'version', v)
end
redis.call('HSET', KEYS[1], 'touched', ARGV[4])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[5]) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[7])
if changed then
  redis.call('PUBLISH', ARGV[6], cjson.encode({code=ARGV[7], page=ARGV[2], params=ARGV[3], version=tostring(v),
                                               photo_version=pv, touched=ARGV[4],
                                               extra=redis.call('HGET', KEYS[1], 'extra') or ''}))
end
return {'ok', tostring(v), pv}
"""

_SHARE = """
-- KEYS: class hash, photo, seen, classes; ARGV: token hash, png ('' = stop sharing), now, ttl, channel, code
local t = redis.call('HGET', KEYS[1], 'token')
if not t then return {'missing'} end
if t ~= ARGV[1] then return {'denied'} end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4]) end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
local pv = redis.call('HINCRBY', KEYS[1], 'photo_version', 1)
redis.call('HSET', KEYS[1], 'touched', ARGV[3])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[6])
redis.call('PUBLISH', ARGV[5], cjson.encode({code=ARGV[6], page=redis.call('HGET', KEYS[1], 'page'),
                                             params=redis.call('HGET', KEYS[1], 'params'), version=tostring(v),
                                             photo_version=tostring(pv), touched=ARGV[3],
                                             extra=redis.call('HGET', KEYS[1], 'extra') or ''}))
return {'ok', tostring(v), tostring(pv)}
"""

_EXTRA = """
-- KEYS: class hash, photo, seen, classes, answers; ARGV: token hash, extra, now, ttl, channel, code, clear answers
local t = redis.call('HGET', KEYS[1], 'token')
if not t then return {'missing'} end
if t ~= ARGV[1] then return {'denied'} end
if ARGV[7] == '1' then redis.call('DEL', KEYS[5]) end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
local pv = redis.call('HGET', KEYS[1], 'photo_version')
redis.call('HSET', KEYS[1], 'extra', ARGV[2], 'touched', ARGV[3])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[6])
redis.call('PUBLISH', ARGV[5], cjson.encode({code=ARGV[6], page=redis.call('HGET', KEYS[1], 'page'),
                                             params=redis.call('HGET', KEYS[1], 'params'), version=tostring(v),
                                             photo_version=pv, touched=ARGV[3], extra=ARGV[2]}))
return {'ok', tostring(v), pv}
"""

_ANSWER = """
-- KEYS: class hash, answers; ARGV: poll id, student, answer, ttl
local e = redis.call('HGET', KEYS[1], 'extra')
if not redis.call('HGET', KEYS[1], 'token') then return 'missing' end
local poll = nil
if e and e ~= '' then poll = cjson.decode(e).poll end
if type(poll) ~= 'table' or poll.id ~= ARGV[1] then return 'closed' end
if poll.revealed then return 'revealed' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 'ok'
"""

_OFFER = """
-- KEYS: class hash, offers, offer photos; ARGV: student, offer JSON (number filled in here), png, ttl, max offers
if not redis.call('HGET', KEYS[1], 'token') then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'offered', 1)
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  if cjson.decode(redis.call('HGET', KEYS[2], f)).student == ARGV[1] then
    redis.call('HDEL', KEYS[2], f)
    redis.call('HDEL', KEYS[3], f)
  end
end
local o = cjson.decode(ARGV[2])
o.number = n
redis.call('HSET', KEYS[2], tostring(n), cjson.encode(o))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], tostring(n), ARGV[3]) end
local all = redis.call('HKEYS', KEYS[2])
if #all > tonumber(ARGV[5]) then
  local oldest = tonumber(all[1])
  for _, f in ipairs(all) do if tonumber(f) < oldest then oldest = tonumber(f) end end
  redis.call('HDEL', KEYS[2], tostring(oldest))
  redis.call('HDEL', KEYS[3], tostring(oldest))
end
for i = 2, 3 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return n
"""

_CLOSE = """
-- KEYS: class hash, photo, seen, classes, tombstone, answers, offers, offer photos, lesson; ARGV: token hash, ttl,
-- channel, code
local t = redis.call('HGET', KEYS[1], 'token')
if not t then return 'missing' end
if t ~= ARGV[1] then return 'denied' end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[6], KEYS[7], KEYS[8], KEYS[9])
redis.call('ZREM', KEYS[4], ARGV[4])
redis.call('SET', KEYS[5], '1', 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({code=ARGV[4], closed=true}))
return 'ok'
"""

_RESTORE = """
-- KEYS: class hash, tombstone, classes; ARGV: token hash, page, params, version, photo version, now, ttl, code, extra
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'page', ARGV[2], 'params', ARGV[3], 'version', ARGV[4],
           'photo_version', ARGV[5], 'touched', ARGV[6], 'extra', ARGV[9])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[8])
return 1
"""


def _key(code: str, part: str = "") -> str:
    return f"{PREFIX}class:{code}{':' + part if part else ''}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _encode(params: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([list(p) for p in params], separators=(",", ":"))


def _decode(params: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(params or "[]"))


def _view_of(h: dict[bytes, bytes]) -> View:
    """A class hash as read from Redis → its view."""
    return View(h[b"page"].decode(), _decode(h[b"params"].decode()), int(h[b"version"]), int(h[b"photo_version"]),
                h.get(b"extra", b"").decode())


@dataclass
class _Held:
    """A class this replica serves, as last seen in Redis."""

    view: View
    touched: float
    run_id: str  # the Redis server (its run id) that last confirmed the class
    lost_at: float | None = None  # missing after Redis restarted: kept for its teacher to restore
    photo: tuple[int, bytes | None] | None = None  # (photo version, PNG) once read


class RedisStore:
    """`ClassStore` over Redis for several replicas; reads from memory, one round trip per change."""

    def __init__(self, url: str, clock: Callable[[], float] = time.time, max_classes: int = MAX_CLASSES,
                 idle_expiry_s: float = IDLE_EXPIRY_S, subscribe: bool = True) -> None:
        self.url = url
        self._clock = clock
        self._max = max_classes
        self._expiry = idle_expiry_s
        self._ttl = max(1, int(idle_expiry_s))
        try:
            self._r = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        except ValueError as e:
            raise ClassroomError(f"not a Redis URL ({e}): use redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0")
        self._scripts = {name: self._r.register_script(src) for name, src in
                         (("open", _OPEN), ("publish", _PUBLISH), ("share", _SHARE), ("close", _CLOSE),
                          ("restore", _RESTORE), ("extra", _EXTRA), ("answer", _ANSWER), ("offer", _OFFER))}
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._pending: dict[str, dict[str, float]] = {}
        self._problem: str | None = None
        self._listening = not subscribe  # the subscriber is connected (or there is none to wait for)
        self._run_id = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if subscribe:
            self._thread = threading.Thread(target=self._listen, name="cnnviz-class-subscriber", daemon=True)
            self._thread.start()

    # -- health ---------------------------------------------------------------------------------------------
    def problem(self) -> str | None:
        """A sentence for the teacher and the students while Redis cannot be reached (None when all is well)."""
        return self._problem

    def _failed(self, e: BaseException) -> ClassroomUnavailable:
        where = self._r.connection_pool.connection_kwargs
        self._problem = (f"The class server (Redis at {where.get('host', '?')}:{where.get('port', '?')}) cannot be "
                         "reached: pages keep working, and following resumes by itself when it is back.")
        return ClassroomUnavailable(self._problem)

    def _call(self, fn: Callable, *args, **kwargs):
        try:
            out = fn(*args, **kwargs)
        except _ERRORS as e:
            raise self._failed(e) from e
        if self._listening or self._thread is None or not self._thread.is_alive():  # while the subscriber still
            self._problem = None  # reconnects, followers miss changes: keep saying so
        return out

    # -- the ClassStore methods -----------------------------------------------------------------------------
    def open(self) -> tuple[str, str]:
        import secrets

        token = secrets.token_urlsafe(16)
        for _ in range(20):  # a code in use (or recently ended) is drawn again
            code = new_code()
            now = self._clock()
            made = self._call(self._scripts["open"], keys=[_key(code), f"{PREFIX}ended:{code}", f"{PREFIX}classes"],
                              args=[_hash(token), repr(now), self._ttl, self._max, self._expiry, code])
            if made == -1:
                raise ClassroomError(f"this hall already runs {self._max} classes: end one, or try again later")
            if made == 1:
                with self._lock:
                    self._held[code] = _Held(View("start", (), 0), now, self._run_id)
                return code, token
        raise ClassroomError("no free class code was found: try again")

    def publish(self, code: str, token: str, page: str, params: dict[str, str]) -> View:
        clean = clean_params(params)
        now = self._clock()
        self._check_idle(code, now)
        keys = [_key(code), _key(code, "photo"), _key(code, "seen"), f"{PREFIX}classes"]
        with self._lock:
            seen = self._held[code].view.version if code in self._held else 0
        args = [_hash(token), page, _encode(clean), repr(now), self._ttl, CHANNEL, code, seen]
        out = self._call(self._scripts["publish"], keys=keys, args=args)
        if out[0] == b"missing" and self._restore(code, token):
            out = self._call(self._scripts["publish"], keys=keys, args=args)
        view = self._outcome(code, out)
        held = self._get_held(code)
        view = View(page, clean, view.version, view.photo_version, held.view.extra if held is not None else "")
        self._hold(code, view, now)
        return view

    def share_photo(self, code: str, token: str, png: bytes | None) -> None:
        check_photo(png)
        now = self._clock()
        self._check_idle(code, now)
        out = self._call(self._scripts["share"], keys=[_key(code), _key(code, "photo"), _key(code, "seen"),
                                                       f"{PREFIX}classes"],
                         args=[_hash(token), png or b"", repr(now), self._ttl, CHANNEL, code])
        self._outcome(code, out)
        held = self._get_held(code)
        if held is not None:
            with self._lock:
                v = View(held.view.page, held.view.params, int(out[1]), int(out[2]), held.view.extra)
                held.view, held.touched, held.photo = v, now, (v.photo_version, png)

    def view(self, code: str) -> View | None:
        """The class's current view: from memory (kept current by the subscriber), Redis only on first sight."""
        now = self._clock()
        with self._lock:
            held = self._held.get(code)
        if held is None:
            held = self._fetch(code)
            if held is None:
                return None
        if now - held.touched > self._expiry:
            self._forget(code)
            return None
        if held.lost_at is not None and now - held.lost_at > RESTORE_GRACE_S:
            self._forget(code)  # Redis lost it and its teacher did not come back to restore it
            return None
        return held.view

    def photo(self, code: str) -> bytes | None:
        held = self._get_held(code)
        if held is None:
            return None
        pv = held.view.photo_version
        if held.photo is not None and held.photo[0] == pv:
            return held.photo[1]
        data = self._call(self._r.get, _key(code, "photo"))
        held.photo = (pv, data)
        return data

    def check_in(self, code: str, student: str) -> None:
        """Remembered here; written to Redis with every other check-in of this replica every two seconds."""
        with self._lock:
            self._pending.setdefault(code, {})[student] = self._clock()

    def followers(self, code: str) -> int:
        self._flush(only=code)
        now = self._clock()
        seen = _key(code, "seen")
        pipe = self._r.pipeline(transaction=False)
        pipe.zremrangebyscore(seen, "-inf", now - FOLLOWER_SEEN_S)
        pipe.zcard(seen)
        return int(self._call(pipe.execute)[1])

    def close(self, code: str, token: str) -> None:
        out = self._call(self._scripts["close"], keys=[_key(code), _key(code, "photo"), _key(code, "seen"),
                                                       f"{PREFIX}classes", f"{PREFIX}ended:{code}",
                                                       _key(code, "answers"), _key(code, "offers"),
                                                       _key(code, "offer-photos"), _key(code, "lesson")],
                         args=[_hash(token), self._ttl, CHANNEL, code])
        if out == b"missing":
            raise ClassroomError(f"class {code} has ended")
        if out == b"denied":
            raise ClassroomError(f"only the teacher of class {code} can change it")
        self._forget(code)

    def set_extra(self, code: str, token: str, extra: dict) -> View:
        """The teacher's class-wide state (open question, pause): one script, published to every replica."""
        now = self._clock()
        self._check_idle(code, now)
        held = self._get_held(code)
        clear = new_poll_id(extra) != ((held.view.poll or {}).get("id") if held is not None else None)
        text = encode_extra(extra)
        out = self._call(self._scripts["extra"], keys=[_key(code), _key(code, "photo"), _key(code, "seen"),
                                                       f"{PREFIX}classes", _key(code, "answers")],
                         args=[_hash(token), text, repr(now), self._ttl, CHANNEL, code, "1" if clear else "0"])
        v = self._outcome(code, out)
        held = self._get_held(code)
        view = View(held.view.page if held else "start", held.view.params if held else (), v.version, v.photo_version,
                    text)
        self._hold(code, view, now)
        return view

    def answer(self, code: str, student: str, poll_id: str, value: str) -> None:
        check_answer(value)
        out = self._call(self._scripts["answer"], keys=[_key(code), _key(code, "answers")],
                         args=[poll_id, student, value, self._ttl])
        if out == b"missing":
            raise ClassroomError(f"class {code} has ended")
        if out != b"ok":
            refuse_closed({"id": poll_id, "revealed": True} if out == b"revealed" else None, poll_id)

    def set_lesson(self, code: str, token: str, state: str | None) -> None:
        """The class's lesson in Redis beside the class (each change renews its expiry), for any replica."""
        check_lesson(state)
        self._check_token(code, token)
        if state is None:
            self._call(self._r.delete, _key(code, "lesson"))
        else:
            self._call(self._r.set, _key(code, "lesson"), state.encode(), ex=self._ttl)

    def lesson(self, code: str, token: str) -> str | None:
        self._check_token(code, token)
        raw = self._call(self._r.get, _key(code, "lesson"))
        return raw.decode() if raw else None

    def _check_token(self, code: str, token: str) -> None:
        stored = self._call(self._r.hget, _key(code), "token")
        if stored is None:
            raise ClassroomError(f"class {code} has ended")
        if stored.decode() != _hash(token):
            raise ClassroomError(f"only the teacher of class {code} can change it")

    def answers(self, code: str, token: str, poll_id: str) -> list[str]:
        self._check_token(code, token)
        held = self._get_held(code)
        if held is None or (held.view.poll or {}).get("id") != poll_id:
            return []
        return [v.decode() for v in self._call(self._r.hvals, _key(code, "answers"))]

    def offer(self, code: str, student: str, page: str, params: dict[str, str], png: bytes | None) -> int:
        check_photo(png)
        who = hashlib.sha256(student.encode()).hexdigest()[:16]  # a student's newer offer replaces the older one
        body = json.dumps({"student": who, "page": page, "params": _encode(clean_params(params)),
                           "has_photo": png is not None})
        n = int(self._call(self._scripts["offer"], keys=[_key(code), _key(code, "offers"), _key(code, "offer-photos")],
                           args=[who, body, png or b"", self._ttl, MAX_OFFERS]))
        if n < 0:
            raise ClassroomError(f"class {code} has ended")
        return n

    def offers(self, code: str, token: str) -> list[Offer]:
        self._check_token(code, token)
        out = []
        for raw in self._call(self._r.hvals, _key(code, "offers")):
            o = json.loads(raw)
            out.append(Offer(int(o["number"]), str(o["page"]), _decode(o["params"]), bool(o["has_photo"])))
        return sorted(out, key=lambda o: -o.number)

    def offer_photo(self, code: str, token: str, number: int) -> bytes | None:
        self._check_token(code, token)
        return self._call(self._r.hget, _key(code, "offer-photos"), str(number))

    def dismiss(self, code: str, token: str, number: int) -> None:
        self._check_token(code, token)
        pipe = self._r.pipeline(transaction=False)
        pipe.hdel(_key(code, "offers"), str(number))
        pipe.hdel(_key(code, "offer-photos"), str(number))
        self._call(pipe.execute)

    def shutdown(self) -> None:
        """Stop the subscriber (tests; a server process simply exits)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._r.close()

    # -- memory ---------------------------------------------------------------------------------------------
    def _outcome(self, code: str, out) -> View:
        status = out[0]
        if status == b"missing":
            self._forget(code)
            raise ClassroomError(f"class {code} has ended")
        if status == b"denied":
            raise ClassroomError(f"only the teacher of class {code} can change it")
        return View("", (), int(out[1]), int(out[2]))

    def _check_idle(self, code: str, now: float) -> None:
        held = self._get_held(code)
        if held is not None and now - held.touched > self._expiry:
            self._forget(code)
            raise ClassroomError(f"class {code} has ended")

    def _get_held(self, code: str) -> _Held | None:
        with self._lock:
            held = self._held.get(code)
        return held if held is not None else self._fetch(code)

    def _hold(self, code: str, view: View, touched: float) -> None:
        with self._lock:
            held = self._held.get(code)
            if held is None:
                self._held[code] = _Held(view, touched, self._run_id)
            elif view.version >= held.view.version:  # a late message never takes a class back in time
                held.view, held.touched, held.run_id, held.lost_at = view, touched, self._run_id, None

    def _forget(self, code: str) -> None:
        with self._lock:
            self._held.pop(code, None)
            self._pending.pop(code, None)

    def _fetch(self, code: str) -> _Held | None:
        h = self._call(self._r.hgetall, _key(code))
        if not h:
            return None
        self._hold(code, _view_of(h), float(h[b"touched"]))
        with self._lock:
            return self._held.get(code)

    def _restore(self, code: str, token: str) -> bool:
        """Re-create a class that Redis lost in a restart, from this replica's copy (its teacher's publish only)."""
        with self._lock:
            held = self._held.get(code)
        if held is None:
            return False
        if held.lost_at is None and held.run_id == str(self._call(self._r.info, "server").get("run_id", "")):
            return False  # the same Redis as when the class was last seen: it ended, it was not lost
        v = held.view
        made = self._call(self._scripts["restore"], keys=[_key(code), f"{PREFIX}ended:{code}", f"{PREFIX}classes"],
                          args=[_hash(token), v.page, _encode(v.params), v.version, v.photo_version,
                                repr(self._clock()), self._ttl, code, v.extra])
        return made == 1

    def _flush(self, only: str | None = None) -> None:
        with self._lock:
            if only is None:
                batch, self._pending = self._pending, {}
            else:
                batch = {only: self._pending.pop(only)} if only in self._pending else {}
        if not batch:
            return
        pipe = self._r.pipeline(transaction=False)
        for code, students in batch.items():
            pipe.zadd(_key(code, "seen"), students)
            pipe.expire(_key(code, "seen"), self._ttl)
        try:
            self._call(pipe.execute)
        except ClassroomUnavailable:
            with self._lock:  # kept for the next flush
                for code, students in batch.items():
                    for s, t in students.items():
                        self._pending.setdefault(code, {}).setdefault(s, t)
            if only is not None:
                raise

    # -- the subscriber -------------------------------------------------------------------------------------
    def _apply(self, data: bytes) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            return
        code = str(msg.get("code", ""))
        if msg.get("closed"):
            self._forget(code)
            return
        with self._lock:
            if code not in self._held:
                return  # a class this replica does not serve
        view = View(str(msg["page"]), _decode(msg["params"]), int(msg["version"]), int(msg["photo_version"]),
                    str(msg.get("extra") or ""))
        self._hold(code, view, float(msg["touched"]))

    def _revalidate(self) -> None:
        """Re-read every held class (after a reconnect, and every few seconds): missed messages, expiry, loss."""
        with self._lock:
            codes = list(self._held)
        if not codes:
            return
        pipe = self._r.pipeline(transaction=False)
        for code in codes:
            pipe.hgetall(_key(code))
        now = self._clock()
        for code, h in zip(codes, self._call(pipe.execute), strict=True):
            if h:
                self._hold(code, _view_of(h), float(h[b"touched"]))
                continue
            with self._lock:
                held = self._held.get(code)
                if held is None:
                    continue
                if held.run_id and held.run_id != self._run_id:  # Redis restarted empty: wait for the teacher
                    held.lost_at = held.lost_at or now
                elif held.lost_at is None:
                    self._held.pop(code, None)  # expired or ended

    def _listen(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._r.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self._run_id = str(self._r.info("server").get("run_id", ""))
                self._revalidate()
                self._listening, self._problem = True, None
                backoff = 0.2
                next_flush = next_check = time.monotonic()
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=0.5)
                    if msg is not None and msg.get("type") == "message":
                        self._apply(msg["data"])
                    now = time.monotonic()
                    if now >= next_flush:
                        self._flush()
                        next_flush = now + FLUSH_S
                    if now >= next_check:
                        self._revalidate()
                        next_check = now + REVALIDATE_S
            except Exception as e:  # noqa: BLE001 - any failure: say so and reconnect; the subscriber never dies
                self._listening = False
                if not isinstance(e, ClassroomUnavailable):
                    self._failed(e)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001 - a dead connection may fail to close
                        pass


def check_url(url: str, timeout: float = 3.0) -> None:
    """Raise ClassroomError in words if no Redis answers at `url` (the hall command's check before it starts)."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    except ValueError as e:
        raise ClassroomError(f"not a Redis URL ({e}): use redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except (*_ERRORS, redis.RedisError) as e:
        raise ClassroomError(f"no Redis answers at {url} ({e.__class__.__name__}: {e}): start it, or leave out "
                             "--redis to let the hall start its own") from e
    finally:
        client.close()
