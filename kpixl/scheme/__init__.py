"""Schemes (考核方案): the models, their checks, and loading/dumping."""

from .check import check_scheme
from .io import dump_json, dump_yaml, load_scheme, save_scheme, scheme_to_dict
from .validate import scheme_from_dict
from .models import (
    Bonus, Column, Commission, Component, Condition, CurveSegment, Distribution, Flag, Growth, History,
    HistoryRule, Item, LevelFactor, LevelRule, Levels, Measure, Quota, Rank, RatingBand, Ratings, Rollup,
    SalaryStep, Scheme, Section, Share, Tenure, Threshold, Total,
)
from .pay import Pay, PayLine, Step, Tier

__all__ = [
    "Bonus", "Column", "Commission", "Component", "Condition", "CurveSegment", "Distribution",
    "Flag", "Growth", "History", "HistoryRule", "Item", "LevelFactor", "LevelRule", "Levels", "Measure",
    "Pay", "PayLine", "Quota", "Rank", "RatingBand", "Ratings", "Rollup", "SalaryStep", "Scheme", "Section",
    "Share", "Step", "Tenure", "Threshold", "Tier", "Total", "check_scheme", "dump_json", "dump_yaml",
    "load_scheme", "save_scheme",
    "scheme_from_dict", "scheme_to_dict",
]
