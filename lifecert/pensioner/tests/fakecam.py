"""The responsive fake camera of the browser tests and benchmarks (``fakecam.js``
installed in a Playwright context; the ``fake_camera`` fixture is this)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAKECAM_JS = Path(__file__).parent / "fakecam.js"
OPENING = "__opening"  # the segment name of ``install_fake_camera(opening=...)``


@dataclass
class FakeCamera:
    """A responsive fake camera installed in a browser context.

    ``events``: what the camera saw and did on every page, in order:
    ``{"t", "action"}`` for each prompt (``action`` None when it went away) and
    ``{"t", "play"}`` for each segment scheduled; ``t`` in the page's ms.
    """

    context: Any
    events: list[dict[str, Any]]

    def prompts(self) -> list[str]:
        return [e["action"] for e in self.events if e.get("action")]

    def reactions(self) -> list[float]:
        """Seconds from each prompt to the segment it started."""
        out, prompted = [], None
        for e in self.events:
            if "action" in e:
                prompted = e
            elif prompted and prompted["action"] == e["play"]:
                out.append((e["t"] - prompted["t"]) / 1000)
                prompted = None
        return out


def install_fake_camera(
    target: Any,
    performer: Any,
    *,
    reaction: float = 0.8,
    retry: float | None = 2.5,
    deny: bool = False,
    opening: Any = None,
) -> FakeCamera:
    """Install a camera playing ``performer`` (a ``faceverify.actors.Performer``)
    in ``target`` (a page or a context), before the first ``goto``.

    ``getUserMedia`` gets a canvas stream of the performer's neutral frames; when
    the page prompts an action, after ``reaction`` seconds, that action's real
    segment (see ``fakecam.js``). ``retry=None``: never repeats an action still
    prompted. ``deny=True``: the camera permission is refused. ``opening`` (a
    ``Footage``): played when 开始认证 is pressed, before the neutral frames
    resume (a session begun in another pose).
    """
    context = target if not hasattr(target, "goto") else target.context
    actions = dict(performer.actions)
    if opening is not None:
        actions[OPENING] = opening
    footage = {"neutral": performer.neutral, **actions}

    def serve(route: Any) -> None:
        name, _, index = route.request.url.split("/__fakecam/", 1)[1].partition("/")
        frames = footage[name].frames
        route.fulfill(
            status=200,
            content_type="image/jpeg",
            body=frames[int(index.removesuffix(".jpg"))],
        )

    context.route("**/__fakecam/**", serve)
    config = {
        "base": "/__fakecam/",
        "neutral": {
            "count": len(performer.neutral.frames),
            "fps": performer.neutral.fps,
        },
        "actions": {
            name: {"count": len(f.frames), "fps": f.fps} for name, f in actions.items()
        },
        "reaction_ms": reaction * 1000,
        "retry_ms": None if retry is None else retry * 1000,
        "deny": deny,
        "opening": OPENING if opening is not None else None,
    }
    script = FAKECAM_JS.read_text().replace("__FAKECAM_CONFIG__", json.dumps(config))
    events: list[dict[str, Any]] = []

    def report(entry: dict[str, Any]) -> None:
        events.append(entry)

    context.expose_function("__fakecam_report", report)
    context.add_init_script(script=script)
    return FakeCamera(context, events)
