"""Password hashing: Argon2id with OWASP's parameters instead of Django's heavier defaults.

Django's ``Argon2PasswordHasher`` uses 100 MiB, 2 passes and 8 lanes: about 180 ms of CPU per log-in on
one of our cores. OWASP's Password Storage Cheat Sheet recommends Argon2id with at least 19 MiB, 2 passes
and 1 lane, about 20 ms. On a department server the difference shows when a seminar logs in at once: in the
load test 100 log-ins within 10 s took 18 s of CPU on 2 cores with Django's defaults, and every coding
request queued behind them (p95 1.4 s). The hashes stay Argon2id; a stored hash made with other parameters
is re-hashed with these at the user's next log-in (``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's first recommended configuration)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
