"""Fixtures for the video tests: short clips made from real photos (see ``tests/support/clips.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.clips import decode_all, make_clips, truncate, video_facts, write_clip

__all__ = ["decode_all", "truncate", "video_facts", "write_clip"]


@pytest.fixture(scope="session")
def clips(tmp_path_factory, data_dir) -> dict[str, Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), data_dir)
