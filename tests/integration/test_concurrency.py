"""8 clients save masks to one annotation for 20 s over real HTTP.

Every acknowledged write is in the database (its mask and its event), every stale
write got 409 and changed nothing, and SQLite never said "database is locked".
"""

import csv
import io
import random
import re
import threading
from dataclasses import dataclass, field

import httpx
import numpy as np
import pytest
from tests.conftest import LiveServer
from tests.integration.support import (
    create_annotation,
    disc,
    mask_body,
    mask_from,
    put_segment,
    upload_series,
)

CLIENTS = 8
ATTEMPTS = 40  # writes each client tries: enough to race, bounded by count, not by time
_AT = re.compile(r"is at version (\d+)")


@dataclass
class Writer:
    """One client: writes its own slice, remembers what the server acknowledged."""

    number: int
    url: str
    annotation_id: int
    version: int
    shape: tuple[int, int]
    acked: list[tuple[int, bytes]] = field(default_factory=list)  # (version, body)
    conflicts: int = 0
    unexpected: list[str] = field(default_factory=list)

    def run(self, attempts: int) -> None:
        rng = random.Random(self.number)
        rows, columns = self.shape
        path = f"/api/annotations/{self.annotation_id}/segments/1/slices/{self.number}"
        with httpx.Client(base_url=self.url, timeout=30) as http:
            for _ in range(attempts):
                mask = disc(
                    rows, columns, rng.uniform(50, 450), rng.uniform(50, 450), rng.uniform(5, 60)
                )
                body = mask_body(mask)
                headers = {
                    "if-match": str(self.version),
                    "content-type": "application/octet-stream",
                }
                response = http.put(path, content=body, headers=headers)
                if response.status_code == 200:
                    self.version = int(response.json()["version"])
                    self.acked.append((self.version, body))
                elif response.status_code == 409:
                    self.conflicts += 1
                    found = _AT.search(response.json()["detail"])
                    assert found, response.text
                    self.version = int(found.group(1))
                else:
                    self.unexpected.append(f"{response.status_code} {response.text[:200]}")


def test_eight_writers_one_annotation(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        series_uid = upload_series(http, "ct_philips_phantom")  # type: ignore[arg-type]
        annotation = create_annotation(http, series_uid)  # type: ignore[arg-type]
        version = put_segment(http, annotation["id"], 1, label="Liver", color="#ff0000")  # type: ignore[arg-type]
        info = http.get(f"/api/series/{series_uid}").json()
    shape = (info["rows"], info["columns"])
    writers = [Writer(i, live_server.url, annotation["id"], version, shape) for i in range(CLIENTS)]
    threads = [threading.Thread(target=w.run, args=(ATTEMPTS,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)

    assert [u for w in writers for u in w.unexpected] == []
    acked = [v for w in writers for v, _ in w.acked]
    print(f"acknowledged {len(acked)}, 409 {sum(w.conflicts for w in writers)}")
    assert len(acked) > 50, len(acked)
    assert len(set(acked)) == len(acked)  # each acknowledged write has its own version
    assert sum(w.conflicts for w in writers) > 0  # stale writes happened and got 409
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        final = http.get(f"/api/annotations/{annotation['id']}").json()
        assert final["version"] == max(acked) == version + len(acked)
        for w in writers:
            if not w.acked:
                continue
            stored = http.get(f"/api/annotations/{annotation['id']}/segments/1/slices/{w.number}")
            assert stored.status_code == 200
            expected = mask_from(w.acked[-1][1], *shape)
            assert np.array_equal(mask_from(stored.content, *shape), expected), w.number
        log = http.get("/api/log.csv", params={"series_uid": series_uid}).text
    saves = [r for r in csv.DictReader(io.StringIO(log)) if r["action"] == "save_mask"]
    assert len(saves) == len(acked)
    assert "database is locked" not in caplog.text
