"""config.cache.RedisCache: Django's Redis cache with one client per connection pool."""

from __future__ import annotations

import threading

from config.cache import RedisCache
from tests.conftest import require_service


def test_one_client_serves_every_call_and_thread(redis_available):
    require_service(redis_available, "Redis")
    cache = RedisCache("redis://127.0.0.1:6379/9", {"KEY_PREFIX": f"cache-client-{threading.get_ident()}"})
    cache.set("answer", {"value": 42}, 30)
    clients, errors = set(), []

    def work():
        try:
            for _ in range(50):
                assert cache.get("answer") == {"value": 42}
                clients.add(id(cache._cache.get_client()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(clients) == 1
    assert cache.delete("answer")
    assert cache.get("answer") is None
