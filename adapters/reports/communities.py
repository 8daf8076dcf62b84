"""Community outcome reports as CSV and as a weekly-activity chart (matplotlib, Agg backend).

User text never reaches these files (only figures, dates and ids), and the CSV writer quotes
every cell that needs it; cells that a spreadsheet would run as a formula are prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from core.communities.analytics import Report

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CommunityReportRenderer:
    """Implements `core.communities.ports.ReportRenderer`."""

    def csv(self, report: Report) -> str:
        """Three sections in one CSV: figures (metric,value), expert load, weekly activity."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        data = report.as_dict()
        w.writerow(["metric", "value"])
        for key, value in data.items():
            if key in ("expert_load", "weekly"):
                continue
            w.writerow([_cell(key), _cell(value)])
        w.writerow([])
        w.writerow(["expert_person_id", "hours_per_week", "weekly_limit", "over_limit"])
        for e in report.expert_load:
            w.writerow([e.person_id, e.hours_per_week, e.limit, str(e.over_limit).lower()])
        w.writerow([])
        w.writerow(["week_start", "posts", "questions", "answers", "checkins"])
        for week in report.weekly:
            w.writerow(
                [
                    week.week_start.isoformat(),
                    week.posts,
                    week.questions,
                    week.answers,
                    week.checkins,
                ]
            )
        return out.getvalue()

    def chart(self, report: Report, fmt: str = "svg") -> bytes:
        """Weekly activity as stacked bars: posts, questions, answers and check-ins."""
        if fmt not in ("svg", "png"):
            raise ValueError("chart format is svg or png")
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        weeks = [w.week_start for w in report.weekly]
        labels = [d.strftime("%d %b") for d in weeks]
        series = [
            ("posts", [w.posts for w in report.weekly], "#4f6bed"),
            ("questions", [w.questions for w in report.weekly], "#f2a93b"),
            ("answers", [w.answers for w in report.weekly], "#2e9e6a"),
            ("check-ins", [w.checkins for w in report.weekly], "#a05eb5"),
        ]
        fig = Figure(figsize=(max(6.0, 0.5 * len(weeks) + 2), 3.6), dpi=100)
        ax = fig.subplots()
        bottom = [0] * len(weeks)
        x = list(range(len(weeks)))
        for name, values, colour in series:
            ax.bar(x, values, bottom=bottom, label=name, color=colour, width=0.7)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("activities")
        ax.set_ylim(0, max([*bottom, 1]) * 1.3)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Weekly community activity")
        ax.legend(loc="upper left", fontsize=8, ncols=4, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}
        fig.savefig(buf, format=fmt, metadata=metadata)
        return buf.getvalue()
