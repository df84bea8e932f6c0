"""Schemes (考核方案): the models, their checks, and loading/dumping."""

from .check import check_scheme
from .io import dump_json, dump_yaml, load_scheme, save_scheme, scheme_to_dict
from .validate import scheme_from_dict
from .models import (
    Bonus, Column, Commission, Component, Condition, CurveSegment, Distribution, Flag, History,
    HistoryRule, Item, LevelFactor, LevelRule, Levels, Quota, RatingBand, Ratings, Rollup, Scheme,
    Section, Threshold, Total,
)
from .pay import Pay, PayLine, Step, Tier

__all__ = [
    "Bonus", "Column", "Commission", "Component", "Condition", "CurveSegment", "Distribution",
    "Flag", "History", "HistoryRule", "Item", "LevelFactor", "LevelRule", "Levels", "Quota",
    "Pay", "PayLine", "RatingBand", "Ratings", "Rollup", "Scheme", "Section", "Step", "Threshold", "Tier", "Total",
    "check_scheme", "dump_json", "dump_yaml", "load_scheme", "save_scheme",
    "scheme_from_dict", "scheme_to_dict",
]
