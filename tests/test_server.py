"""``emulator.server``: settings of the serving process itself."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from emulator.server import GC_YOUNG_THRESHOLD, tune_garbage_collector


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


@pytest.mark.usefixtures("thresholds")
def test_serve_collects_the_young_generation_less_often_than_python_does() -> None:
    gc.set_threshold(700, 10, 10)
    tune_garbage_collector()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)


@pytest.mark.usefixtures("thresholds")
def test_a_higher_threshold_set_by_the_user_is_kept() -> None:
    gc.set_threshold(50_000, 20, 20)
    tune_garbage_collector()
    assert gc.get_threshold() == (50_000, 20, 20)
