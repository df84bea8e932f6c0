"""Memos keyed by text that may come from a returned file: bounded in entries and in key length.

A cell reference or a formula read from a manager's file is usually one of a card's few
dozen, so remembering each answer pays; but a hostile file may hold references and formulas
of megabytes, and the add-in's process lives on between collects. Only short keys are
remembered; a longer one is worked out each time (the same answer, nothing kept).
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

__all__ = ["short_memo"]

T = TypeVar("T")


def short_memo(maxsize: int, longest: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Decorate a function of one text: its answers for texts of at most ``longest`` characters
    are remembered, at most ``maxsize`` of them (least recently used first out).

    Args:
        maxsize: Answers kept.
        longest: The longest text remembered.
    """
    def wrap(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(text: str) -> T:
            return cached(text) if len(text) <= longest else fn(text)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call
    return wrap
