"""The Redis store: every worker process and container that shares one Redis serves every
class (ACTLAB_REDIS_URL).

Per class, three keys with the hash tag ``{CODE}`` (so a Redis Cluster keeps them on one
node): ``…:class`` (a hash: token hash, sequence, state, pause, experiment, results revision), ``…:students``
(a sorted set: connection → last sign of life) and ``…:results`` (a hash: student key →
result). Every activity sets all three to expire ``idle_s`` later; ending a class deletes
them and leaves ``…:ended`` for ``idle_s``, so its code is said to have ended. Each change
runs as one Lua script that numbers it, stores it and publishes it on the class's channel,
so the sequence and the published order agree in every process. Each process holds one pub/sub
connection and fans each message out to its own subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .codes import new_code
from .store import (
    PRESENCE_S,
    RESYNC,
    STOP,
    ClassInfo,
    Event,
    Limits,
    LiveError,
    LocalSubscription,
    NotFound,
)

PREFIX = "actlab:live:"
SUBSCRIBE_TIMEOUT_S = 5.0
CLEANUP_EVERY_S = 5.0  # how often channels nobody here follows any more are unsubscribed

# KEYS: class, ended. ARGV: token hash, query, ttl_ms
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'seq', 0, 'query', ARGV[2], 'paused', 0, 'message', '', 'experiment', '')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: class, students, results. ARGV: ttl_ms, channel, kind, value, payload
_CHANGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local kind = ARGV[3]
local payload = ARGV[5]
if kind == 'state' then
  redis.call('HSET', KEYS[1], 'query', ARGV[4])
elseif kind == 'pause' then
  redis.call('HSET', KEYS[1], 'paused', 1, 'message', ARGV[4])
elseif kind == 'release' then
  redis.call('HSET', KEYS[1], 'paused', 0, 'message', '')
elseif kind == 'experiment' then
  local e = nil
  if ARGV[4] ~= '' then
    e = cjson.decode(ARGV[4])
    e['id'] = seq
    e['open'] = true
    redis.call('DEL', KEYS[3])
  else
    local old = redis.call('HGET', KEYS[1], 'experiment')
    if old and old ~= '' then
      e = cjson.decode(old)
      e['open'] = false
    end
  end
  local text = ''
  if e then text = cjson.encode(e) end
  redis.call('HSET', KEYS[1], 'experiment', text)
  if text == '' then text = 'null' end
  payload = '{"experiment":' .. text .. '}'
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
redis.call('PUBLISH', ARGV[2], kind .. '\\n' .. seq .. '\\n' .. payload)
return {seq, payload}
"""

# KEYS: class, students, results. ARGV: now, stale_before, cap, conn, ttl_ms
_JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return -2 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[4])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
return redis.call('ZCARD', KEYS[2])
"""

# KEYS: class, students. ARGV: now, conn. A heartbeat is no activity: it keeps no class alive.
_HEARTBEAT = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
"""

# KEYS: class, students, results. ARGV: ttl_ms, channel, key, result, experiment id or '', cap
_RESULT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local text = redis.call('HGET', KEYS[1], 'experiment')
if not text or text == '' then return {-2} end
local e = cjson.decode(text)
if not e['open'] then return {-2} end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= e['id'] then return {-3, e['id']} end
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 and redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[6]) then return {-4} end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
local n = redis.call('HLEN', KEYS[3])
local rev = redis.call('HINCRBY', KEYS[1], 'results_revision', 1)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
redis.call('PUBLISH', ARGV[2], 'results\\n\\n{"count":' .. n .. ',"revision":' .. rev .. '}')
return {n}
"""

# KEYS: class, students, exploring. ARGV: conn, 1 (following) or 0. Not activity: keeps no class alive.
_FOLLOWING = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return -1 end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if ARGV[2] == '1' then redis.call('SREM', KEYS[3], ARGV[1]) else redis.call('SADD', KEYS[3], ARGV[1]) end
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
"""

# KEYS: class, students, results, ended, exploring. ARGV: ttl_ms, channel
_END = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
redis.call('SET', KEYS[4], 1, 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], 'closed\\n\\n{"reason":"ended"}')
return 1
"""

# KEYS: window. ARGV: limit, cost, window_ms. -1 when allowed, else ms until the window ends.
_RATE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return math.max(redis.call('PTTL', KEYS[1]), 1) end
if tonumber(ARGV[2]) > 0 then
  redis.call('INCRBY', KEYS[1], ARGV[2])
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return -1
"""


def _keys(code: str) -> list[str]:
    base = f"{PREFIX}{{{code}}}:"
    return [base + "class", base + "students", base + "results"]


def _ended_key(code: str) -> str:
    return f"{PREFIX}{{{code}}}:ended"


def _exploring_key(code: str) -> str:
    return f"{PREFIX}{{{code}}}:exploring"


def _channel(code: str) -> str:
    return f"{PREFIX}{{{code}}}:events"


def _unavailable() -> LiveError:
    return LiveError("live_store_unavailable", "the live-class store (Redis) is not reachable; try again in a few seconds", 5.0)


def _event(message: str) -> Event:
    kind, seq, payload = message.split("\n", 2)
    data = orjson.loads(payload)
    if seq:
        return Event(kind, {"seq": int(seq), **data}, int(seq))
    return Event(kind, data)


class _Hub:
    """This process's one pub/sub connection and its subscribers, per channel."""

    def __init__(self, client: aioredis.Redis, logger: logging.Logger):
        self.client = client
        self.logger = logger
        self.pubsub: Any = None
        self.subs: dict[str, set[LocalSubscription]] = {}
        self.ready: dict[str, asyncio.Future] = {}
        self.task: asyncio.Task | None = None

    async def add(self, channel: str, sub: LocalSubscription) -> None:
        members = self.subs.setdefault(channel, set())
        members.add(sub)
        if channel not in self.ready:
            self.ready[channel] = asyncio.get_running_loop().create_future()
            if self.pubsub is None:
                self.pubsub = self.client.pubsub()
            await self.pubsub.subscribe(channel)
            if self.task is None or self.task.done():
                self.task = asyncio.create_task(self._read(), name="actlab-live-pubsub")
        # events published before Redis confirms the subscription would be missed
        await asyncio.wait_for(asyncio.shield(self.ready[channel]), SUBSCRIBE_TIMEOUT_S)

    def remove(self, channel: str, sub: LocalSubscription) -> None:
        self.subs.get(channel, set()).discard(sub)  # the reader unsubscribes empty channels later

    async def _cleanup(self) -> None:
        idle = [ch for ch, members in self.subs.items() if not members and self.ready.get(ch) and self.ready[ch].done()]
        for ch in idle:
            del self.subs[ch]
            del self.ready[ch]
        if idle:
            await self.pubsub.unsubscribe(*idle)

    async def _read(self) -> None:
        last_cleanup = time.monotonic()
        failures = 0
        while True:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
                if time.monotonic() - last_cleanup > CLEANUP_EVERY_S:
                    last_cleanup = time.monotonic()
                    await self._cleanup()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as e:
                failures += 1
                if failures == 1:
                    self.logger.warning("live classes: Redis pub/sub connection lost (%s); reconnecting", e)
                    for members in self.subs.values():  # events may be missed meanwhile
                        for sub in members:
                            sub.deliver(Event(RESYNC, {}))
                await asyncio.sleep(min(5.0, 0.25 * 2**failures))
                continue
            if failures:
                self.logger.warning("live classes: Redis pub/sub connection back after %d attempts", failures)
                failures = 0
            if message is None:
                continue
            kind, channel = message.get("type"), message.get("channel")
            if kind == "subscribe":
                ready = self.ready.get(channel)
                if ready is not None and not ready.done():
                    ready.set_result(None)
            elif kind == "message":
                try:
                    event = _event(message["data"])
                except (ValueError, TypeError):
                    self.logger.warning("live classes: unreadable message on %s", channel)
                    continue
                for sub in list(self.subs.get(channel, ())):
                    sub.deliver(event)

    def end_streams(self) -> None:
        for members in list(self.subs.values()):
            for sub in list(members):
                sub.deliver(Event(STOP, {}))

    async def close(self) -> None:
        self.end_streams()
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass
        if self.pubsub is not None:
            try:
                await self.pubsub.aclose()
            except (RedisError, OSError):
                pass


class RedisStore:
    def __init__(self, url: str, idle_s: float, limits: Limits | None = None, logger: logging.Logger | None = None):
        self.idle_s = idle_s
        self.limits = limits or Limits()
        self.client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=3, health_check_interval=30)
        self.logger = logger or logging.getLogger("actlab")
        self._hub = _Hub(self.client, self.logger)
        self._salt: bytes | None = None
        self._scripts = {name: self.client.register_script(src) for name, src in
                         (("create", _CREATE), ("change", _CHANGE), ("join", _JOIN), ("heartbeat", _HEARTBEAT), ("result", _RESULT), ("end", _END), ("rate", _RATE), ("following", _FOLLOWING))}

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.idle_s * 1000))

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self._scripts[name](keys=keys, args=args)
        except (RedisError, OSError):
            raise _unavailable() from None

    async def salt(self) -> bytes:
        """Shared by every process, so a client's rate limits add up across them."""
        if self._salt is None:
            try:
                await self.client.set(PREFIX + "salt", secrets.token_hex(32), nx=True)
                self._salt = bytes.fromhex(await self.client.get(PREFIX + "salt"))
            except (RedisError, OSError):
                raise _unavailable() from None
        return self._salt

    async def create(self, token_hash: str, query: str) -> ClassInfo:
        for _ in range(8):
            code = new_code()
            if await self._run("create", [_keys(code)[0], _ended_key(code)], [token_hash, query, self._ttl_ms]):
                return ClassInfo(code=code, token_hash=token_hash, query=query)
        raise LiveError("too_many_classes", "could not find a free class code; try again", 1.0)

    async def get(self, code: str) -> ClassInfo | None:
        k = _keys(code)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.hgetall(k[0])
                pipe.zrangebyscore(k[1], time.time() - PRESENCE_S, "+inf")
                pipe.hlen(k[2])
                pipe.smembers(_exploring_key(code))
                fields, present, results, exploring = await pipe.execute()
        except (RedisError, OSError):
            raise _unavailable() from None
        if not fields:
            return None
        experiment = fields.get("experiment") or None
        return ClassInfo(
            code=code,
            token_hash=fields.get("token", ""),
            seq=int(fields.get("seq", 0)),
            query=fields.get("query", ""),
            paused=fields.get("paused") == "1",
            message=fields.get("message", ""),
            experiment=orjson.loads(experiment) if experiment else None,
            students=len(present),
            exploring=len(set(present) & set(exploring)),
            results=int(results),
            results_revision=int(fields.get("results_revision", 0)),
        )

    async def change(self, code: str, kind: str, data: dict[str, Any]) -> Event:
        if kind == "state":
            value, payload = data["query"], orjson.dumps({"query": data["query"]}).decode()
        elif kind == "pause":
            value, payload = data["message"], orjson.dumps({"message": data["message"]}).decode()
        elif kind == "release":
            value, payload = "", "{}"
        elif kind == "experiment":
            spec = data["experiment"]
            value, payload = ("" if spec is None else orjson.dumps(spec).decode()), ""
        else:
            raise ValueError(f"unknown change {kind!r}")
        out = await self._run("change", _keys(code), [self._ttl_ms, _channel(code), kind, value, payload])
        if out is None:
            raise NotFound()
        seq, payload = int(out[0]), out[1]
        return Event(kind, {"seq": seq, **orjson.loads(payload)}, seq)

    async def join(self, code: str, conn: str) -> int:
        now = time.time()
        n = await self._run("join", _keys(code), [now, now - PRESENCE_S, self.limits.max_students, conn, self._ttl_ms])
        if n == -1:
            raise NotFound()
        if n == -2:
            raise LiveError("class_full", f"this class has its maximum of {self.limits.max_students} students")
        return int(n)

    async def heartbeat(self, code: str, conn: str) -> bool:
        return bool(await self._run("heartbeat", _keys(code)[:2], [time.time(), conn]))

    async def leave(self, code: str, conn: str) -> None:
        try:
            await self.client.zrem(_keys(code)[1], conn)
            await self.client.srem(_exploring_key(code), conn)
        except (RedisError, OSError):
            pass  # the entry goes stale by itself

    async def set_following(self, code: str, conn: str, following: bool) -> bool:
        out = int(await self._run("following", [*_keys(code)[:2], _exploring_key(code)], [conn, 1 if following else 0]))
        if out < 0:
            raise NotFound()
        return out == 1

    async def end(self, code: str) -> None:
        if not await self._run("end", [*_keys(code), _ended_key(code), _exploring_key(code)], [self._ttl_ms, _channel(code)]):
            raise NotFound()

    async def ended(self, code: str) -> bool:
        try:
            return bool(await self.client.exists(_ended_key(code)))
        except (RedisError, OSError):
            raise _unavailable() from None

    async def subscribe(self, code: str) -> LocalSubscription:
        channel = _channel(code)

        async def unsubscribe(sub: LocalSubscription) -> None:
            self._hub.remove(channel, sub)

        sub = LocalSubscription(on_close=unsubscribe)
        try:
            await self._hub.add(channel, sub)
        except (TimeoutError, RedisError, OSError):
            self._hub.remove(channel, sub)
            raise _unavailable() from None
        return sub

    async def add_result(self, code: str, key: str, result: dict[str, Any], experiment_id: int | None) -> int:
        out = await self._run("result", _keys(code), [
            self._ttl_ms, _channel(code), key, orjson.dumps(result).decode(),
            "" if experiment_id is None else str(experiment_id), self.limits.max_results,
        ])
        status = int(out[0])
        if status == -1:
            raise NotFound()
        if status == -2:
            raise LiveError("no_experiment", "the teacher has no class experiment open")
        if status == -3:
            raise LiveError("experiment_changed", f"the class experiment is now number {int(out[1])}, not {experiment_id}: read the new prompt")
        if status == -4:
            raise LiveError("results_full", f"this experiment has its maximum of {self.limits.max_results} results")
        return status

    async def results(self, code: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        k = _keys(code)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.exists(k[0])
                pipe.hget(k[0], "experiment")
                pipe.hvals(k[2])
                exists, experiment, values = await pipe.execute()
        except (RedisError, OSError):
            raise _unavailable() from None
        if not exists:
            raise NotFound()
        return (orjson.loads(experiment) if experiment else None), [orjson.loads(v) for v in values]

    async def rate(self, key: str, limit: int, window_s: float, cost: int = 1) -> float | None:
        ms = await self._run("rate", [PREFIX + "rate:" + key], [limit, cost, max(1, int(window_s * 1000))])
        return None if int(ms) < 0 else int(ms) / 1000

    def end_streams(self) -> None:
        self._hub.end_streams()

    async def close(self) -> None:
        await self._hub.close()
        try:
            await self.client.aclose()
        except (RedisError, OSError):
            pass
