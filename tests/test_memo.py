"""Memos keyed by text from returned files keep short keys only (kpixl.memo.short_memo)."""

from __future__ import annotations

from kpixl.card.stamp import normal_formula
from kpixl.memo import short_memo


def test_only_short_texts_are_remembered():
    calls: list[str] = []

    @short_memo(2, 4)
    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [upper(t) for t in ("ab", "ab", "abcdefgh", "abcdefgh")] == ["AB", "AB", "ABCDEFGH", "ABCDEFGH"]
    assert calls == ["ab", "abcdefgh", "abcdefgh"]  # the long text worked out each time, never kept
    assert upper.cache_info().currsize == 1
    upper("cd"), upper("ef")
    assert upper.cache_info().currsize == 2  # at most maxsize


def test_a_formula_of_a_megabyte_is_normalised_but_not_kept():
    normal_formula.cache_clear()
    huge = "=" + "+".join(["A1"] * 300_000)
    assert normal_formula(huge) == huge[1:]
    assert normal_formula.cache_info().currsize == 0
    assert normal_formula("=sum( A1 )") == "SUM(A1)" and normal_formula.cache_info().currsize == 1
