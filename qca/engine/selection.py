"""Which segments of a batch are coded, and in which language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qca.models import IS_INTERVIEWER, LANGUAGE, SPEAKER

if TYPE_CHECKING:
    import pandas as pd


def selected_segments(
    segments: pd.DataFrame, exclude_speakers: frozenset[str], *, include_interviewer: bool
) -> pd.Series:
    """Return a boolean mask of the segments to code (interviewer turns left out by default)."""
    import numpy as np
    import pandas as pd

    if include_interviewer or segments.empty:
        return pd.Series(True, index=segments.index)
    keep = np.ones(len(segments), dtype=np.bool_)
    if IS_INTERVIEWER in segments.columns:
        flags = segments[IS_INTERVIEWER]
        if flags.dtype != np.dtype(bool):
            flags = flags.fillna(False).astype(bool)
        keep &= ~flags.to_numpy(dtype=np.bool_)
    if exclude_speakers and SPEAKER in segments.columns:
        speakers = segments[SPEAKER].fillna("").astype(str).str.strip().str.lower()
        keep &= ~speakers.isin(exclude_speakers).to_numpy(dtype=np.bool_)
    return pd.Series(keep, index=segments.index)


def segment_languages(segments: pd.DataFrame, default: str) -> list[str]:
    """Return each segment's language: its ``language`` attribute, else *default*."""
    if LANGUAGE not in segments.columns:
        return [default] * len(segments)
    return [
        str(v).strip().lower() if isinstance(v, str) and v.strip() else default
        for v in segments[LANGUAGE].tolist()
    ]
