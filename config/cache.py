"""The Redis cache, made optional: while Redis cannot be reached, the site is served without it.

The cache only ever holds what can be computed again (the stance matrix's aggregates, API throttle
counts), so an unreachable Redis must cost speed, never a page. ResilientRedisCache answers as an empty
cache while Redis is down: reads miss and writes are dropped, with a warning in the log when Redis goes
and another when it answers again.

After a failure Redis is left alone for RETRY_SECONDS, so that a page making many cache calls pays the
connection timeout once rather than on every call; then it is tried again.

Entries stored without an expiry are invalidation markers (the stance matrix's generations, see
responses.matrix): losing the write of a new generation would let a stale figure be served once Redis
answers again with its old data. Such writes, and deletes, are kept by this process and made as soon as
Redis answers again.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What an unreachable, restarting or overloaded Redis raises (BusyLoadingError is a ConnectionError).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_SECONDS = 5.0
# Kept invalidations beyond this many are dropped (the entries they would renew expire on their own).
MAX_KEPT_WRITES = 1000


class _Outage:
    """What every cache instance on one Redis server shares within a process (Django makes one per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.retry_at = 0.0
        # (key, version) -> ("set", value) or ("delete", None), in the order they were made.
        self.kept: dict[tuple[str, int | None], tuple[str, object]] = {}


_outages: dict[tuple[str, ...], _Outage] = {}
_outages_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        with _outages_lock:
            self._outage = _outages.setdefault(tuple(self._servers), _Outage())

    # The guard -----------------------------------------------------------------------------------------

    def _call(self, default, operation, *args, **kwargs):
        recovering = bool(self._outage.retry_at)
        if recovering and not self._recover():
            return default
        try:
            result = operation(*args, **kwargs)
        except UNREACHABLE as exc:
            self._failed(exc)
            return default
        if recovering:
            with self._outage.lock:
                self._outage.retry_at = 0.0
            logger.warning("Cache: Redis answers again.")
        return result

    def _failed(self, exc: Exception) -> None:
        outage = self._outage
        with outage.lock:
            first = outage.retry_at == 0.0
            outage.retry_at = time.monotonic() + RETRY_SECONDS
        log = logger.warning if first else logger.info
        log("Cache: Redis cannot be reached (%s); serving without the cache for now.", exc)

    def _recover(self) -> bool:
        """After a failure: False until RETRY_SECONDS have passed; then the invalidations kept meanwhile are
        made, before anything is read, and True once Redis has taken them all."""
        outage = self._outage
        with outage.lock:
            if time.monotonic() < outage.retry_at:
                return False
            kept, outage.kept = list(outage.kept.items()), {}
        for done, ((key, version), (action, value)) in enumerate(kept):
            try:
                if action == "set":
                    super().set(key, value, None, version)
                else:
                    super().delete(key, version)
            except UNREACHABLE as exc:
                self._failed(exc)
                with outage.lock:
                    # Put back what was not made, unless a newer write of the same key was kept meanwhile.
                    outage.kept = {**dict(kept[done:]), **outage.kept}
                return False
        if kept:
            logger.warning("Cache: %d invalidations kept while Redis was unreachable were made.", len(kept))
        return True

    def _keep(self, key: str, version: int | None, action: str, value: object = None) -> None:
        outage = self._outage
        with outage.lock:
            outage.kept.pop((key, version), None)  # re-inserted last: the latest write wins, in order
            if len(outage.kept) < MAX_KEPT_WRITES:
                outage.kept[(key, version)] = (action, value)

    def _down(self) -> bool:
        return self._outage.retry_at != 0.0

    # Django's cache API ----------------------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(None, super().set, key, value, timeout, version)
        if timeout is None and self._down():
            self._keep(key, version, "set", value)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        failed = self._call(list(data), super().set_many, data, timeout, version)
        if timeout is None and self._down():
            for key, value in data.items():
                self._keep(key, version, "set", value)
        return failed

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        deleted = self._call(False, super().delete, key, version)
        if self._down():
            self._keep(key, version, "delete")
        return deleted

    def delete_many(self, keys, version=None):
        self._call(None, super().delete_many, keys, version)
        if self._down():
            for key in keys:
                self._keep(key, version, "delete")
