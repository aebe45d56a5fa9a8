"""Bar charts drawn on the server as SVG, each with the table it is drawn from.

No script and no inline style (django-csp): the template
``backoffice/_bar_chart.html`` writes the shapes from the geometry here, the
colours come from ``lifecert.css``, and every bar and every count is a link
to the list it counts. Numbers for SVG attributes are formatted here, so the
template's number localisation can never touch them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

LABEL_WIDTH = 120  # left of the bars: the row's label
BAR_WIDTH = 320  # the longest bar (a share of 100 %)
TEXT_WIDTH = 90  # right of the bars: the bar's figure
ROW_HEIGHT = 26
BAR_HEIGHT = 18
TOP = 6


@dataclass(frozen=True)
class Cell:
    """One cell of a chart's table: text, and the list it counts (if any)."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # 0..1: the bar's length
    text: str  # the figure written after the bar
    url: str  # the list the bar stands for
    cells: tuple[Cell, ...]  # its row in the table beside the chart
    # Geometry, as SVG attribute values.
    y: str = ""
    text_y: str = ""
    width: str = ""
    text_x: str = ""


@dataclass(frozen=True)
class BarChart:
    key: str  # unique on the page (ids of title and table)
    title: str
    summary: str  # what the chart shows, read by screen readers
    headers: tuple[str, ...]
    bars: list[Bar] = field(default_factory=list)
    width: str = str(LABEL_WIDTH + BAR_WIDTH + TEXT_WIDTH)
    height: str = "0"
    label_x: str = str(LABEL_WIDTH - 8)
    bar_x: str = str(LABEL_WIDTH)


def share_text(part: int, whole: int) -> str:
    """A share as a percentage with one decimal; "-" when there is no whole."""
    return f"{100 * part / whole:.1f}%" if whole else "-"


def bar_chart(
    *,
    key: str,
    title: str,
    summary: str,
    headers: tuple[str, ...],
    rows: Sequence[tuple[str, float, str, str, Sequence[Cell]]],
) -> BarChart:
    """Lay out ``rows`` (label, share 0..1, figure, url, table cells) as bars."""
    bars = []
    for index, (label, share, text, url, cells) in enumerate(rows):
        top = TOP + index * ROW_HEIGHT
        length = BAR_WIDTH * min(max(share, 0.0), 1.0)
        bars.append(
            Bar(
                label=label,
                share=share,
                text=text,
                url=url,
                cells=tuple(cells),
                y=str(top),
                text_y=f"{top + BAR_HEIGHT - 4}",
                width=f"{length:.1f}",
                text_x=f"{LABEL_WIDTH + length + 6:.1f}",
            )
        )
    return BarChart(
        key=key,
        title=title,
        summary=summary,
        headers=headers,
        bars=bars,
        height=str(TOP * 2 + ROW_HEIGHT * max(len(rows), 1)),
    )
