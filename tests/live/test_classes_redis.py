"""A live class served by two app processes that share one Redis (Debian's redis-server).

60 simulated students follow the class over server-sent events, half through each
process; the teacher changes the view 20 times through the first: every student receives
every change, in order. A student cannot control the class; a class its teacher ends is
ended for the followers of both processes at once; results submitted through one
process are read back through the other; who explores is counted for both; a class nobody touches expires and is gone from
both processes, and its followers are told. A stopping process ends its streams at once.
Loopback only; about 20 s (each scenario is cut off at 30 s).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.live.harness import REDIS_SERVER, Classroom, Cluster, Student

pytestmark = pytest.mark.live

STUDENTS = 60
CHANGES = 20
IDLE_S = 5.0  # ACTLAB_CLASS_IDLE_S of both processes: every step below stays well inside it


@pytest.fixture(scope="module")
def cluster():
    if not Path(REDIS_SERVER).exists():
        missing = f"{REDIS_SERVER} is missing: apt-get install redis-server (tests/run.sh does)"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    c = Cluster.start(workers=2, idle_s=IDLE_S)
    yield c
    c.stop()


def test_sixty_students_on_two_workers_receive_every_change_in_order(cluster):
    async def scenario():
        room = Classroom(cluster.urls)
        try:
            await room.start("fn=relu")
            await room.join(STUDENTS)
            assert all(s.status == 200 and s.snapshot and s.snapshot["query"] == "fn=relu" for s in room.students)
            info = (await room.client.get(f"{cluster.urls[1]}/api/classes/{room.code}")).json()
            assert info["students"] == STUDENTS  # counted across both processes

            queries = [f"fn=leaky_relu(leak={i / 100})&view=function" for i in range(1, CHANGES + 1)]
            for q in queries:
                await room.change(q)
                await asyncio.sleep(0.06)  # a slider's pace, inside 20 changes a second
            assert await room.received_all(CHANGES), "some students did not receive every change"
            for s in room.students:
                assert s.error is None, s.error
                assert [seq for seq, _, _ in s.states] == list(range(1, CHANGES + 1))
                assert [q for _, q, _ in s.states] == queries

            # a student (no token, or a made-up one) cannot control the class, through either process
            for url in cluster.urls:
                r = await room.client.put(f"{url}/api/classes/{room.code}/state", json={"query": "fn=sigmoid"})
                assert r.status_code == 401 and r.json()["code"] == "teacher_token_missing"
                r = await room.client.post(f"{url}/api/classes/{room.code}/pause", headers={"Authorization": "Bearer " + "x" * 43})
                assert r.status_code == 403 and r.json()["code"] == "teacher_token_wrong"
            assert (await room.client.get(f"{cluster.urls[1]}/api/classes/{room.code}")).json()["seq"] == CHANGES

            # a class experiment: results submitted through one process, read through the other
            r = await room.client.post(f"{cluster.urls[0]}/api/classes/{room.code}/experiment", headers=room.teacher(),
                                       json={"prompt": "Pick a leak, train, submit", "param": "leak", "collect": ["test_accuracy", "dead_fraction"]})
            assert r.status_code == 200, r.text
            experiment = r.json()["experiment"]
            for i in range(5):
                r = await room.client.post(f"{cluster.urls[1]}/api/classes/{room.code}/results", json={
                    "experiment": experiment["id"], "student": f"student-{i:04d}", "params": {"leak": i / 10},
                    "test_accuracy": 0.8 + i / 100, "dead_fraction": 0.1, "activation": f"leaky_relu(leak={i / 10})"})
                assert r.status_code == 201, r.text
            r = await room.client.get(f"{cluster.urls[0]}/api/classes/{room.code}/results", headers=room.teacher())
            assert r.json()["count"] == 5 and sorted(x["params"]["leak"] for x in r.json()["results"]) == [0.0, 0.1, 0.2, 0.3, 0.4]
            await asyncio.sleep(0.3)
            assert all(("experiment", {"seq": CHANGES + 1, "experiment": experiment}) in s.other for s in room.students)

            # left alone, the class expires: gone from both processes, and every follower is told
            deadline = time.monotonic() + IDLE_S + 5
            while time.monotonic() < deadline and not all(s.closed for s in room.students):
                await asyncio.sleep(0.1)
            assert all(s.closed == "expired" for s in room.students)
            for url in cluster.urls:
                r = await room.client.get(f"{url}/api/classes/{room.code}")
                assert r.status_code == 404 and r.json()["code"] == "class_not_found"
        finally:
            await room.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_the_teacher_ends_the_class_on_every_process(cluster):
    async def scenario():
        room = Classroom(cluster.urls)
        try:
            await room.start()
            await room.join(4)  # two students on each process
            r = await room.client.post(f"{cluster.urls[1]}/api/classes/{room.code}/end", headers=room.teacher())
            assert r.status_code == 200 and r.json() == {"code": room.code, "ended": True}
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(s.closed for s in room.students):
                await asyncio.sleep(0.05)
            assert [s.closed for s in room.students] == ["ended"] * 4  # told at once, whichever process they follow
            for url in cluster.urls:
                r = await room.client.get(f"{url}/api/classes/{room.code}")
                assert r.status_code == 410 and r.json()["code"] == "class_ended"
                r = await room.client.put(f"{url}/api/classes/{room.code}/state", json={"query": "fn=relu"}, headers=room.teacher())
                assert r.status_code == 410
        finally:
            await room.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_a_resubmission_changes_the_results_revision_on_every_process(cluster):
    """A student's second result replaces the first (the count stays 1): the revision in the
    class's state and in the results event moves for the followers of both processes."""
    async def scenario():
        room = Classroom(cluster.urls)
        try:
            await room.start()
            r = await room.client.post(f"{cluster.urls[0]}/api/classes/{room.code}/experiment", headers=room.teacher(),
                                       json={"prompt": "Pick a leak", "param": "leak", "collect": ["final_loss"]})
            exp = r.json()["experiment"]
            await room.join(2)  # one student on each process
            revisions = []
            for i, leak in enumerate((0.05, 0.7)):
                r = await room.client.post(f"{cluster.urls[i]}/api/classes/{room.code}/results", json={
                    "experiment": exp["id"], "student": "s" * 16, "params": {"leak": leak}, "final_loss": 0.3,
                    "activation": f"leaky_relu(leak={leak})"})
                assert r.json() == {"count": 1}, r.text
                infos = [(await room.client.get(f"{url}/api/classes/{room.code}")).json() for url in cluster.urls]
                assert {(x["results"], x["results_revision"]) for x in infos} == {(1, i + 1)}, infos
                revisions.append(infos[0]["results_revision"])
            deadline = time.monotonic() + 5
            want = [("results", {"count": 1, "revision": n}) for n in revisions]
            while time.monotonic() < deadline and not all([o for o in s.other if o[0] == "results"] == want for s in room.students):
                await asyncio.sleep(0.05)
            assert all([o for o in s.other if o[0] == "results"] == want for s in room.students), [s.other for s in room.students]
            r = await room.client.get(f"{cluster.urls[1]}/api/classes/{room.code}/results", headers=room.teacher())
            assert [x["params"]["leak"] for x in r.json()["results"]] == [0.7]
        finally:
            await room.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_who_explores_is_counted_across_processes(cluster):
    """The teacher's count said "3 students following" while they explored: a student's page says
    when it explores (PUT …/following, through either process) and the class's state counts it
    for both, in Redis; a student who leaves is no longer counted."""
    async def scenario():
        room = Classroom(cluster.urls)
        try:
            await room.start()
            await room.join(4)  # two students on each process
            a, b = room.students[0], room.students[1]  # one on each process
            for s, url in ((a, cluster.urls[1]), (b, cluster.urls[0])):  # each told through the other process
                r = await room.client.put(f"{url}/api/classes/{room.code}/following", json={"connection": s.snapshot["connection"], "following": False})
                assert r.status_code == 200 and r.json()["counted"] is True, r.text
            for url in cluster.urls:
                info = (await room.client.get(f"{url}/api/classes/{room.code}")).json()
                assert (info["students"], info["exploring"]) == (4, 2), info
            r = await room.client.put(f"{cluster.urls[0]}/api/classes/{room.code}/following", json={"connection": a.snapshot["connection"], "following": True})
            assert r.status_code == 200
            info = (await room.client.get(f"{cluster.urls[1]}/api/classes/{room.code}")).json()
            assert info["exploring"] == 1, info
            r = await room.client.put(f"{cluster.urls[0]}/api/classes/{room.code}/following", json={"connection": "0" * 16, "following": False})
            assert r.status_code == 200 and r.json()["counted"] is False  # no such stream: not counted
        finally:
            await room.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_an_untouched_class_is_gone_and_a_stopping_worker_ends_its_streams(cluster):
    async def scenario():
        room = Classroom(cluster.urls)
        try:
            await room.start()
            await room.join(2)  # one student on each process
            t0 = time.monotonic()
            while time.monotonic() - t0 < IDLE_S + 4 and not all(s.closed for s in room.students):
                await asyncio.sleep(0.1)
            assert [s.closed for s in room.students] == ["expired", "expired"]
            for url in cluster.urls:
                assert (await room.client.get(f"{url}/api/classes/{room.code}")).status_code == 404
                r = await room.client.put(f"{url}/api/classes/{room.code}/state", json={"query": "fn=relu"}, headers=room.teacher())
                assert r.status_code == 404

            # a fresh class; the second process is told to stop while a student follows through it
            await room.start()
            student = Student(cluster.urls[1])
            task = asyncio.create_task(student.follow(room.client, room.code))
            await asyncio.wait_for(student.ready.wait(), 10)
            t = time.monotonic()
            cluster.apps[1].terminate()
            await asyncio.wait_for(task, 5)  # the stream ends (EventSource would reconnect)
            assert await asyncio.to_thread(cluster.apps[1].wait, 10) is not None
            assert time.monotonic() - t < 5
        finally:
            await room.close()

    asyncio.run(asyncio.wait_for(scenario(), 25))

