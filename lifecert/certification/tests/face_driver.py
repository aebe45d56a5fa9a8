"""Drive a face session through the HTTP endpoints as camera.js does, on a
server clock the test moves (time-machine): no sleeps, real engine."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

FPS = 8
START = datetime.datetime(2026, 12, 2, 2, 0, tzinfo=datetime.UTC)  # 10:00 local


@dataclass
class Run:
    start: dict[str, Any]
    body: dict[str, Any]
    prompts: list[tuple[float, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    paces: list[tuple[str, int]] = field(default_factory=list)  # (phase, ms)
    ended: datetime.datetime = START  # the server's clock when the run ended

    @property
    def code(self) -> str | None:
        verdict = self.body.get("verdict") or {}
        return verdict.get("code")


def drive(
    client: Any,
    actor: Any,
    *,
    seconds: float = 60.0,
    batch: int = 1,
    at: datetime.datetime = START,
    paced: bool = False,
    sends: Callable[[float, str], bool] | None = None,
) -> Run:
    """Start a session and send the actor's frames, ``batch`` per request at
    8 fps (``paced``: at the pace each answer asks, as camera.js), until the
    server decides (or ``seconds`` of session time pass, then finish). The
    actor learns each prompt when the answer carrying it arrives.
    ``sends(t, phase)``: whether a client that picks its frames sends the
    request of frames captured from ``t``, given the phase of the last answer
    (the others are left out; the clock runs on)."""
    step = 1.0 / FPS
    with time_machine.travel(at, tick=False) as clock:
        response = client.post(reverse("pensioner:session-start"))
        assert response.status_code == 201, response.content
        run = Run(response.json(), {})
        url = reverse("pensioner:session-frame", args=[run.start["id"]])
        t, last, phase = 0.0, None, "settle"
        while t < seconds:
            times = [t + i * step for i in range(batch)]
            t += batch * step
            clock.shift(batch * step)
            if sends is not None and not sends(times[0], phase):
                continue
            frames = [actor.frame(x) for x in times]
            if batch == 1:
                response = client.post(
                    url,
                    data=frames[0],
                    content_type="image/jpeg",
                    HTTP_X_FRAME_TIME=f"{times[0]:.3f}",
                )
            else:
                parts = [
                    SimpleUploadedFile(f"f{i}.jpg", f, "image/jpeg")
                    for i, f in enumerate(frames)
                ]
                response = client.post(
                    url, data={"frame": parts, "ts": [f"{x:.3f}" for x in times]}
                )
            run.statuses.append(response.status_code)
            run.body = response.json()
            if response.status_code != 200:
                if run.body.get("error") in ("no_face", "bad_image"):
                    continue
                run.ended = at + datetime.timedelta(seconds=t)
                return run
            action, phase = run.body.get("current_action"), run.body["phase"]
            actor.prompted(action, t)
            run.paces.append((phase, run.body["frame_interval_ms"]))
            if paced:
                step = run.body["frame_interval_ms"] / 1000
            if action and action != last:
                run.prompts.append((round(t, 3), action))
            last = action
            if run.body["finished"]:
                run.ended = at + datetime.timedelta(seconds=t)
                return run
        finish = reverse("pensioner:session-finish", args=[run.start["id"]])
        run.body = client.post(finish).json()
    run.ended = at + datetime.timedelta(seconds=t)
    return run
