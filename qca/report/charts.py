"""The report's charts: matplotlib figures, written as reproducible inline SVG (and files).

Only matplotlib's object API is used (``Figure``, never ``pyplot``), so no global state or
GUI backend is touched. SVG bytes are reproducible: a fixed ``svg.hashsalt`` per chart
(unique, so the ids of two charts on one page never clash), no date or creator metadata,
and glyphs drawn as paths (no font is needed to view them). Colours: the Okabe-Ito
palette for categories and the cividis map for heat maps, both colour-blind safe.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
HEAT_MAP = "cividis"
#: Width of every chart in inches: fits an A4 page with 15 mm margins.
WIDTH = 7.0
FONT_SIZE = 8
#: What ``--figures`` writes for each chart (with a CSV of its numbers).
FIGURE_FORMATS: tuple[str, ...] = ("svg", "png", "pdf")
PNG_DPI = 300


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, max(1.6, height)), layout="constrained")
    return figure


def _rc(name: str) -> dict[Any, Any]:
    """matplotlib settings of chart *name* (used in ``rc_context``: nothing global changes)."""
    from matplotlib.rcsetup import cycler

    return {
        "svg.hashsalt": f"qca-{name}",
        "svg.fonttype": "path",
        "font.size": FONT_SIZE,
        "font.family": "DejaVu Sans",
        "axes.prop_cycle": cycler(color=OKABE_ITO),
    }


def to_svg(figure: Figure, name: str, title: str) -> str:
    """Return *figure* as an ``<svg>`` element for inline HTML, titled for screen readers."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_rc(name)):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # Inline SVG in HTML needs no namespace declarations: the page names no address at all.
    text = (
        re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text[: text.index(">") + 1])
        + text[text.index(">") + 1 :]
    )
    from html import escape

    label = escape(title, quote=True)
    text = text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    head_end = text.index(">") + 1
    return f"{text[:head_end]}\n <title>{escape(title)}</title>{text[head_end:]}"


def save_figure(figure: Figure, name: str, folder: Path, numbers: pd.DataFrame) -> list[Path]:
    """Write *figure* as ``name.svg``, ``name.png`` (300 dpi) and ``name.pdf``, and its
    numbers as ``name.csv``, into *folder*; return the paths written."""
    import matplotlib

    from qca.io import atomic_write_bytes

    written = []
    metadata: dict[str, dict[str, str | None]] = {
        "svg": {"Date": None, "Creator": None},
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }
    for fmt in FIGURE_FORMATS:
        buffer = io.BytesIO()
        with matplotlib.rc_context(_rc(name)):
            figure.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=metadata[fmt])
        path = folder / f"{name}.{fmt}"
        atomic_write_bytes(path, buffer.getvalue())
        written.append(path)
    path = folder / f"{name}.csv"
    atomic_write_bytes(path, numbers.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    written.append(path)
    return written


def bar_chart(
    labels: Sequence[str], values: Sequence[float], colours: Sequence[str], *, xlabel: str
) -> Figure:
    """Horizontal bars, the first label on top."""
    import numpy as np

    with_rc = _rc("bars")
    import matplotlib

    with matplotlib.rc_context(with_rc):
        figure = _figure(0.22 * len(labels) + 0.8)
        axes = figure.add_subplot()
        positions = np.arange(len(labels))
        axes.barh(positions, list(values), color=list(colours))
        axes.set_yticks(positions, labels=list(labels))
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        for position, value in zip(positions, values, strict=True):
            axes.annotate(
                f"{value:g}",
                (value, position),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
            )
        axes.spines[["top", "right"]].set_visible(False)
    return figure


def heat_map(
    matrix: pd.DataFrame,
    *,
    label: str,
    annotate: bool = True,
    vmax: float | None = None,
    binary: bool = False,
    skip_zero: bool = False,
) -> Figure:
    """Rows x columns of *matrix* as coloured cells (NaN blank), with the values written in
    when the matrix is small enough to read them."""
    import matplotlib
    import numpy as np
    from matplotlib.colors import ListedColormap

    rows, columns = matrix.shape
    with matplotlib.rc_context(_rc("heat")):
        figure = _figure(0.2 * rows + 1.6)
        axes = figure.add_subplot()
        values = matrix.to_numpy(dtype=np.float64)
        colours = ListedColormap(["#F2F2F2", OKABE_ITO[0]]) if binary else HEAT_MAP
        image = axes.imshow(
            np.ma.masked_invalid(values),
            aspect="auto",
            cmap=colours,
            vmin=0,
            vmax=vmax,
            interpolation="nearest",
        )
        axes.set_xticks(
            np.arange(columns), labels=[str(c) for c in matrix.columns], rotation=60, ha="right"
        )
        axes.set_yticks(np.arange(rows), labels=[str(r) for r in matrix.index])
        if not binary:
            figure.colorbar(image, ax=axes, label=label, shrink=0.8)
        if annotate and rows * columns <= 400 and not binary:
            top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
            for (r, c), value in np.ndenumerate(values):
                if value == value and (value != 0 or not skip_zero):
                    dark = value < 0.55 * (vmax or top or 1)
                    axes.text(
                        c,
                        r,
                        _short(float(value)),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if dark else "black",
                    )
    return figure


def _short(value: float) -> str:
    """A cell's value in at most four characters: 12, 9.1, 0.25."""
    if value.is_integer():
        return str(int(value))
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}".lstrip("0")


def codeline(
    positions: Sequence[float],
    codes: Sequence[str],
    code_order: Sequence[str],
    bands: Sequence[tuple[float, float, str]],
    *,
    xlabel: str,
) -> Figure:
    """MAXQDA's Codeline: a mark per coded unit (x: turn or time) on the row of its code,
    over background bands, one colour per speaker."""
    import matplotlib
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_rc("codeline")):
        figure = _figure(0.2 * len(code_order) + 1.2)
        axes = figure.add_subplot()
        speakers = list(dict.fromkeys(speaker for _, _, speaker in bands))
        colour = {s: OKABE_ITO[(i + 1) % len(OKABE_ITO)] for i, s in enumerate(speakers)}
        for start, end, speaker in bands:
            axes.axvspan(start, end, color=colour[speaker], alpha=0.18, linewidth=0)
        row = {code: i for i, code in enumerate(code_order)}
        axes.scatter(
            list(positions),
            [row[c] for c in codes],
            marker="|",
            s=90,
            color=OKABE_ITO[0],
            linewidths=1.6,
        )
        axes.set_yticks(range(len(code_order)), labels=list(code_order))
        axes.set_ylim(len(code_order) - 0.5, -0.5)
        axes.set_xlabel(xlabel)
        if bands:
            axes.set_xlim(min(b[0] for b in bands), max(b[1] for b in bands))
        handles = [Patch(color=colour[s], alpha=0.35, label=s) for s in speakers[:8]]
        if handles:
            axes.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=6,
                frameon=False,
            )
    return figure
