"""The realistic mix for ``bench/load.py``: researchers reading the coding view, applying codes,
retrieving, and now and then requesting a report. Run by load.py, not by hand.

Each virtual user logs in as one of the generated owners (``LOAD_PLAN``, a JSON file written by load.py)
and works in that owner's study. Every excerpt the server acknowledges (200) is written to
``LOAD_ACKED`` so load.py can check afterwards that all of them are in the database, and every request
(start time, name, response time, success) with the moment the last user was spawned to ``LOAD_SAMPLES``, so
load.py can report the steady state apart from the ramp and its log-ins.
"""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

PLAN = json.load(open(os.environ["LOAD_PLAN"], encoding="utf-8"))
ACKED_PATH = os.environ["LOAD_ACKED"]
ACKED: list[tuple[int, int, int]] = []
SAMPLES_PATH = os.environ.get("LOAD_SAMPLES")
SAMPLES: list[tuple[float, str, float, bool]] = []
SPAWNED: dict[str, float] = {}
_numbers = itertools.count()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, exception=None, start_time=None, **kwargs):
    began = start_time if start_time is not None else time.time() - response_time / 1000
    SAMPLES.append((round(began, 3), name, round(response_time, 1), exception is None))


@events.spawning_complete.add_listener
def _spawned(user_count, **kwargs):
    SPAWNED.setdefault("at", time.time())


@events.test_stop.add_listener
def _write_acked(environment, **kwargs):
    with open(ACKED_PATH, "w", encoding="utf-8") as out:
        json.dump(ACKED, out)
    if SAMPLES_PATH:
        with open(SAMPLES_PATH, "w", encoding="utf-8") as out:
            json.dump({"spawned_at": SPAWNED.get("at"), "samples": SAMPLES}, out)


class Researcher(HttpUser):
    wait_time = between(1, 5)

    def on_start(self):
        self.study = PLAN["studies"][next(_numbers) % len(PLAN["studies"])]
        self.rng = random.Random()
        page = self.client.get("/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/login/",
            {"username": self.study["email"], "password": PLAN["password"], "csrfmiddlewaretoken": token},
            name="log in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed: {response.status_code}")

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "X-Requested-With": "fetch"}

    @task(4)
    def read_coding_view(self):
        source = self.rng.choice(self.study["sources"])
        self.client.get(f"/studies/{self.study['id']}/sources/{source['id']}/code/", name="coding view")

    @task(4)
    def apply_code(self):
        source = self.rng.choice(self.study["sources"])
        text = source["text"]
        start = self.rng.randrange(0, len(text) - 300)
        end = start + self.rng.randint(20, 250)
        codes = self.rng.sample(self.study["codes"], 2)
        with self.client.post(
            f"/studies/{self.study['id']}/excerpts/new/",
            {"source": source["id"], "start": start, "end": end, "text": text[start:end], "code": codes},
            headers={**self._csrf(), "Referer": self.host + "/"},
            name="apply code",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                ACKED.append((source["id"], start, end))
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(2)
    def retrieve(self):
        code = self.rng.choice(self.study["codes"])
        self.client.get(f"/studies/{self.study['id']}/retrieval/?code={code}", name="retrieval")

    @task(1)
    def request_report(self):
        token_page = self.client.get(f"/studies/{self.study['id']}/reports/", name="report list")
        match = CSRF.search(token_page.text)
        self.client.post(
            f"/studies/{self.study['id']}/reports/request/",
            {"csrfmiddlewaretoken": match.group(1) if match else ""},
            headers={"Referer": self.host + "/", "X-CSRFToken": self.client.cookies.get("csrftoken", "")},
            name="request report",
        )
