"""Geometry for the small server-rendered SVG bar charts (no script, readable in print).

The template draws what these functions compute: one bar per row, its label on
the left and the count at the end of the bar, in black and grey so that a
printout without colour still reads.
"""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 230
BAR_AREA = 300
ROW_HEIGHT = 22
BAR_HEIGHT = 16
VALUE_GAP = 6


@dataclass
class Bar:
    label: str
    value: int
    y: int
    width: int
    text_y: int
    value_x: int


@dataclass
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int

    @property
    def bar_x(self) -> int:
        return self.label_width


def bar_chart(rows: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars scaled to the largest value; an empty chart when every value is 0."""
    largest = max((value for _, value in rows), default=0)
    bars = []
    for index, (label, value) in enumerate(rows):
        width = round(BAR_AREA * value / largest) if largest else 0
        y = index * ROW_HEIGHT + 2
        bars.append(
            Bar(
                label=label if len(label) <= 34 else label[:33] + "…",
                value=value,
                y=y,
                width=width,
                text_y=y + BAR_HEIGHT - 3,
                value_x=LABEL_WIDTH + width + VALUE_GAP,
            )
        )
    return BarChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + 40,
        height=len(rows) * ROW_HEIGHT + 4,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )
