"""Cell notations of the Scheme sheet: numbers, choices, and the compact forms.

Every ``parse_*`` takes what a cell holds and returns plain data — exactly what the
same field would be in YAML — or raises :class:`NotationError` whose message says what
is allowed. Every ``format_*`` takes that plain data and returns the cell text.
:func:`parse_structured` / :func:`format_structured` add the escape hatch: a cell that
starts with ``[`` or ``{`` is YAML flow text, and the writer falls back to it whenever
the compact text would not read back to the same data.

Nothing here knows about openpyxl or cells; the sheet layer adds the addresses.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import yaml


class NotationError(ValueError):
    """A cell's text does not follow its notation; the message says what is allowed."""


# ---- choices (enumerations) with their Chinese words --------------------------------
# The first Chinese word is what the writer puts in the sheet; every word listed, and
# the English value in any case, is accepted.

CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "period": {"month": ("月度", "月", "每月"), "quarter": ("季度", "季"),
               "half": ("半年度", "半年"), "year": ("年度", "年")},
    "missing_rater": {"error": ("报错",), "reweight": ("重新加权", "按比例分配")},
    "na": {"zero": ("零分", "0分"), "full": ("满分",), "average": ("平均分",), "exclude": ("剔除", "不计")},
    "measure": {"ratio": ("完成率", "比例"), "value": ("数值", "实际值")},
    "direction": {"higher": ("越高越好", "正向"), "lower": ("越低越好", "反向")},
    "gap": {"error": ("报错",), "lower": ("就低", "按下一档"), "zero": ("零分", "0分")},
    "stepping": {"floor": ("整步", "满一步计"), "ceil": ("进一", "不足一步按一步"), "linear": ("线性", "按比例")},
    "of": {"points": ("分值",), "fraction": ("比例", "分值比例")},
    "aggregate": {"mean": ("平均",), "last": ("最后", "期末"), "sum": ("合计", "求和")},
    "beyond": {"error": ("报错",), "cap": ("按上限计", "封顶", "扣完为止")},
}

_TRUE = {"true", "yes", "y", "1", "是", "对", "允许"}
_FALSE = {"false", "no", "n", "0", "否", "不", "不允许"}


def parse_choice(field: str, value: Any) -> str:
    """One of a field's values, given in English or Chinese (``月度`` → ``month``)."""
    text = str(value).strip()
    for canon, words in CHOICES[field].items():
        if text.casefold() == canon or text in words:
            return canon
    raise NotationError("must be one of " + ", ".join(f"{w[0]} ({c})" for c, w in CHOICES[field].items()))


def format_choice(field: str, canon: str) -> str:
    """The Chinese word the writer uses for a value."""
    return CHOICES[field][canon][0]


def parse_bool(value: Any) -> bool:
    """TRUE/FALSE cells, 是/否, yes/no, 1/0."""
    if isinstance(value, bool):
        return value
    text = format_number(value) if isinstance(value, (int, float)) else str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise NotationError("must be 是 or 否 (TRUE/FALSE)")


# ---- numbers -----------------------------------------------------------------------

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?"
_NUM_RE = re.compile(_NUM)
_INFINITE = {w: float(sign + "inf") for sign in ("", "+", "-") for w in (sign + "∞", sign + "inf")}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋％", "0123456789.-+%")


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any) -> float | int:
    """A number cell, or text such as ``0.9``, ``90%``, ``1e-3``, ``∞`` (percent is divided by 100)."""
    if isinstance(value, bool):
        raise NotationError("must be a number, not TRUE/FALSE")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise NotationError("must be a finite number")
        return value
    if isinstance(value, str):
        text = value.strip().translate(_FULLWIDTH).replace(" ", "")
        if _NUM_RE.fullmatch(text) or text.casefold() in _INFINITE:
            return _token(text)
    raise NotationError("must be a number in digits, such as 25, 0.9 or 90% (not 25分 or 二十五)")


def _token(text: str) -> float | int:
    if text.casefold() in _INFINITE:
        return _INFINITE[text.casefold()]
    pct = text.endswith("%")
    body = text[:-1] if pct else text
    try:
        d = Decimal(body)
    except InvalidOperation:  # pragma: no cover - the pattern rules it out
        raise NotationError(f"{text!r} is not a number") from None
    if pct:
        return float(d.scaleb(-2))
    if re.fullmatch(r"[+-]?\d+", body):
        return int(body)
    return float(d)


def _number_in(text: str, what: str) -> float | int:
    t = text.strip().translate(_FULLWIDTH).replace(" ", "")
    if not (_NUM_RE.fullmatch(t) or t.casefold() in _INFINITE):
        raise NotationError(f"{what} {text.strip()!r} is not a number")
    return _token(t)


def format_number(value: float | int) -> str:
    """The shortest text that reads back to the same number (``20``, ``0.85``, ``1e-07``, ``∞``)."""
    if isinstance(value, int):
        return str(value)
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def format_percent(value: float) -> str:
    """``0.9`` → ``90%``, exactly (decimal arithmetic); plain number when that is shorter."""
    v = float(value)
    if not math.isfinite(v):
        return format_number(v)
    d = Decimal(repr(v)).scaleb(2).normalize()
    text = format(d, "f")
    if len(text) > 12:
        return format_number(v)
    return text + "%"


# ---- splitting helpers --------------------------------------------------------------

_PARTS = re.compile(r"[;；\n]")
_LIST = re.compile(r"[;；,，、\n]")
_RANGE = re.compile(r"\s*[~～〜–]\s*")


def _parts(text: str, sep: re.Pattern = _PARTS) -> list[str]:
    parts = [p.strip() for p in sep.split(str(text))]
    parts = [p for p in parts if p]
    if not parts:
        raise NotationError("is empty")
    return parts


def _pair(part: str, example: str) -> tuple[str, str]:
    left, sep, right = part.replace("：", ":").rpartition(":")
    if not sep:
        raise NotationError(f"{part!r}: write it as {example}")
    return left.strip(), right.strip()


def _range(text: str, what: str) -> float | int | list:
    """``8`` or ``6~8`` (a range the rater enters within)."""
    bits = _RANGE.split(text.strip())
    if len(bits) == 1:
        return _number_in(bits[0], what)
    if len(bits) == 2:
        return [_number_in(bits[0], what), _number_in(bits[1], what)]
    raise NotationError(f"{what} {text!r}: a range is low~high")


def _fmt_range(value: Any, num: Callable[[Any], str]) -> str:
    if isinstance(value, (list, tuple)):
        return f"{num(value[0])}~{num(value[1])}"
    return num(value)


# ---- tiers bands: >0.9:20; ≥0.85:10; <0.6:0; 0~0.8:0 -------------------------------
# ≥/≤ are the inclusive ends (min/max), >/< the strict ones (above/below): 投诉率低于2%
# is <2%. A range low~high includes both ends; a band with a strict end and another end
# is written with both signs, joined by & (>60%&≤70%).

_ANY = {"", "其他", "其余", "其它", "else", "any", "*"}
_GE = r"(?:≥|>=|⩾|＞＝|＞=|>＝)"
_LE = r"(?:≤|<=|⩽|＜＝|＜=|<＝)"
_ENDS = [(re.compile(_GE + r"\s*(.+)"), "min"), (re.compile(_LE + r"\s*(.+)"), "max"),
         (re.compile(r"[>＞]\s*(.+)"), "above"), (re.compile(r"[<＜]\s*(.+)"), "below")]
_JOINT = re.compile(r"\s*[&＆]\s*")
_SIGN = {"min": "≥", "max": "≤", "above": ">", "below": "<"}


def parse_bands(text: str) -> list[dict]:
    """``>90%:20; ≥85%:10; 0~80%:0``, ``60%~69%:6~8``, ``≤0.03:5; 其他:0``, ``>60%&≤70%:5``.

    ``≥``/``≤`` (also ``>=``, ``⩾``, ``＞＝``…) give the inclusive ``min``/``max``,
    ``>``/``<`` (also ``＞``/``＜``) the strict ``above``/``below``.
    """
    out = []
    for part in _parts(text):
        cond, pts = _pair(part, "condition:points, e.g. ≥90%:20, >90%:20 or 0~80%:0")
        band = _band_condition(cond)
        band["points"] = _range(pts, "points")
        out.append(band)
    return out


def _band_condition(cond: str) -> dict:
    if cond.casefold() in _ANY:
        return {}
    if _JOINT.search(cond):
        band: dict = {}
        for bit in _JOINT.split(cond):
            end = _band_end(bit)
            if end is None or end[0] in band:
                raise NotationError(f"{cond!r}: join one low and one high end with &, e.g. >60%&≤70%")
            band[end[0]] = end[1]
        return band
    if end := _band_end(cond):
        return {end[0]: end[1]}
    bits = _RANGE.split(cond)
    if len(bits) == 2:
        band = {}
        if bits[0]:
            band["min"] = _number_in(bits[0], "band edge")
        if bits[1]:
            band["max"] = _number_in(bits[1], "band edge")
        return band
    raise NotationError(f"{cond!r}: a band is ≥low, >low, ≤high, <high, low~high or 其他")


def _band_end(text: str) -> tuple[str, float | int] | None:
    """``≥0.9`` → (min, 0.9), ``>0.9`` → (above, 0.9); None when it has no sign."""
    for pattern, key in _ENDS:
        if m := pattern.fullmatch(text.strip()):
            return key, _number_in(m.group(1), "band edge")
    return None


def format_bands(bands: list[dict], percent: bool = False) -> str:
    num = format_percent if percent else format_number
    out = []
    for b in bands:
        ends = [k for k in ("min", "above", "max", "below") if b.get(k) is not None]
        if ends == ["min", "max"]:
            cond = f"{num(b['min'])}~{num(b['max'])}"
        elif ends:
            cond = "&".join(f"{_SIGN[k]}{num(b[k])}" for k in ends)
        else:
            cond = "其他"
        out.append(f"{cond}:{_fmt_range(b['points'], format_number)}")
    return "; ".join(out)


# ---- step below/above: 0.05:3 (every:points) --------------------------------------


def parse_steps(text: str) -> dict:
    """``5%:3`` — 3 points for every 5 %."""
    every, pts = _pair(text.strip(), "every:points, e.g. 5%:3")
    return {"every": _number_in(every, "every"), "points": _number_in(pts, "points")}


def format_steps(steps: dict, percent: bool = False) -> str:
    num = format_percent if percent else format_number
    return f"{num(steps['every'])}:{format_number(steps['points'])}"


# ---- count limit: -10~ / ~10 / -10~10 ----------------------------------------------


def parse_limit(text: str) -> dict:
    """``-10~`` (扣分上限10), ``~10``, ``-10~10``."""
    bits = _RANGE.split(str(text).strip())
    if len(bits) != 2:
        raise NotationError("write the bounds as low~high, e.g. -10~ (at most 10 deducted) or -10~10")
    out = {}
    if bits[0]:
        out["min"] = _number_in(bits[0], "limit")
    if bits[1]:
        out["max"] = _number_in(bits[1], "limit")
    return out


def format_limit(limit: dict) -> str:
    lo, hi = limit.get("min"), limit.get("max")
    return f"{'' if lo is None else format_number(lo)}~{'' if hi is None else format_number(hi)}"


# ---- rubric levels: 1:5; 2:10  or  优:100%; 良:80%~90% -----------------------------


def parse_levels(text: str) -> dict:
    """``1:5; 2:10`` or ``优:1; 良:0.8~0.9``; numeric level names become numbers."""
    out: dict = {}
    for part in _parts(text):
        key, pts = _pair(part, "level:points, e.g. 优:1 or 1:5")
        if not key:
            raise NotationError(f"{part!r}: the level has no name")
        k = _level_key(key)
        if k in out:
            raise NotationError(f"level {key!r} is listed twice")
        out[k] = _range(pts, f"level {key}")
    return out


def _level_key(key: str) -> str | int | float:
    t = key.translate(_FULLWIDTH)
    if _NUM_RE.fullmatch(t) and not t.endswith("%"):
        v = float(Decimal(t))
        return int(v) if v.is_integer() else v
    return key


def format_levels(levels: dict, percent: bool = False) -> str:
    num = format_percent if percent else format_number
    keys = (format_number(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else str(k) for k in levels)
    return "; ".join(f"{k}:{_fmt_range(v, num)}" for k, v in zip(keys, levels.values()))


# ---- count counters: late(迟到/早退):-1; absent(旷工):-5 --------------------------

_COUNTER = re.compile(r"([^()（）]+?)\s*(?:[(（](.*)[)）])?")


def parse_counters(text: str) -> list[dict]:
    """``late(迟到/早退):-1; absent(旷工):-5`` — id, optional name, points per event."""
    out = []
    for part in _parts(text):
        head, per = _pair(part, "id(name):points per event, e.g. late(迟到):-1")
        m = _COUNTER.fullmatch(head)
        if not m:
            raise NotationError(f"{part!r}: write id(name):points, e.g. late(迟到):-1")
        c = {"id": m.group(1).strip()}
        if m.group(2) is not None:
            c["name"] = m.group(2).strip()
        c["per"] = _number_in(per, f"counter {c['id']}")
        out.append(c)
    return out


def format_counters(counters: list[dict]) -> str:
    out = []
    for c in counters:
        name = f"({c['name']})" if c.get("name") is not None else ""
        out.append(f"{c['id']}{name}:{format_number(c['per'])}")
    return "; ".join(out)


# ---- rater weights: self:0.3, hr:0.3, manager:0.4 ----------------------------------


def parse_raters(text: str) -> dict:
    """``self:0.3, hr:0.3, manager:0.4`` (percentages allowed)."""
    out: dict = {}
    for part in _parts(text, _LIST):
        who, w = _pair(part, "rater:weight, e.g. self:0.3, manager:0.7")
        if not who:
            raise NotationError(f"{part!r}: the rater has no id")
        if who in out:
            raise NotationError(f"rater {who!r} is listed twice")
        out[who] = _number_in(w, f"weight of {who}")
    return out


def format_raters(raters: dict) -> str:
    return ", ".join(f"{k}:{format_number(v)}" for k, v in raters.items())


# ---- ratings: 优秀≥90; 良好≥80; 合格≥60; 不合格 -----------------------------------

_RATING = re.compile(r"(.+?)\s*(?:≥|>=|⩾|＞＝)\s*(.+)")


def parse_ratings(text: str) -> dict:
    """Absolute bands, best first: ``优秀≥90; 良好≥80; 合格≥60; 不合格``."""
    bands = []
    for part in _parts(text):
        m = _RATING.fullmatch(part)
        if m:
            bands.append({"name": m.group(1).strip(), "min": _number_in(m.group(2), f"rating {m.group(1).strip()}")})
        elif re.search(r"[≥≤<>⩾⩽]", part):
            raise NotationError(f"{part!r}: write name≥score, e.g. 优秀≥90 (the last band has no score)")
        else:
            bands.append({"name": part})
    return {"bands": bands}


def format_ratings(ratings: dict) -> str | None:
    if set(ratings) != {"bands"}:
        return None
    return "; ".join(b["name"] + (f"≥{format_number(b['min'])}" if b.get("min") is not None else "")
                     for b in ratings["bands"])


# ---- roll-up: checks:0.2:平均; monthly:0.3; year_end:0.5:最后 --------------------


def parse_rollup(text: str) -> dict:
    """``checks:0.2; monthly:0.3; year_end:0.5:最后`` — id:weight[:aggregate]."""
    comps = []
    for part in _parts(text):
        bits = [b.strip() for b in part.replace("：", ":").split(":")]
        if len(bits) not in (2, 3) or not bits[0]:
            raise NotationError(f"{part!r}: write id:weight or id:weight:aggregate, e.g. year_end:0.5:最后")
        c = {"id": bits[0], "weight": _number_in(bits[1], f"weight of {bits[0]}")}
        if len(bits) == 3:
            c["aggregate"] = parse_choice("aggregate", bits[2])
        comps.append(c)
    return {"components": comps}


def format_rollup(rollup: dict) -> str | None:
    if set(rollup) != {"components"}:
        return None
    out = []
    for c in rollup["components"]:
        agg = f":{format_choice('aggregate', c['aggregate'])}" if "aggregate" in c else ""
        out.append(f"{c['id']}:{format_number(c['weight'])}{agg}")
    return "; ".join(out)


# ---- target: a number, or a roster column ------------------------------------------


def parse_target(value: Any) -> Any:
    """A number, or the name of a roster column (→ ``{column: name}``), or YAML flow."""
    if isinstance(value, str) and value.strip().startswith(_FLOW):
        return parse_yaml(value)
    try:
        return parse_number(value)
    except NotationError:
        if isinstance(value, bool):
            raise
        return {"column": str(value).strip()}


def format_target(value: Any) -> Any:
    """A number stays a number; a roster column is its name (or YAML flow if needed)."""
    if not isinstance(value, dict):
        return value
    name = value.get("column")
    if set(value) == {"column"} and isinstance(name, str):
        try:
            if parse_target(name) == value:
                return name
        except NotationError:
            pass
    return format_yaml(value)


def parse_base(value: Any) -> Any:
    """``满分``/``full`` (= the item's points) or a number."""
    if isinstance(value, str) and (value.strip().casefold() == "full" or value.strip() == "满分"):
        return "full"
    try:
        return parse_number(value)
    except NotationError:
        raise NotationError("must be 满分 (full) or a number") from None


def format_base(value: Any) -> Any:
    return "满分" if value == "full" else value


# ---- YAML flow, and the compact-or-YAML choice --------------------------------------

_FLOW = ("[", "{")  # how a cell says it holds YAML flow text


def parse_yaml(text: str) -> Any:
    """YAML flow text (``{distribution: {quotas: [...]}}``) as plain data."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise NotationError(f"not valid YAML flow text: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, (dict, list)):
        raise NotationError("YAML flow text must be a {mapping} or a [list]")
    return data


def format_yaml(data: Any) -> str:
    """Plain data as one line of YAML flow text (``60`` rather than ``60.0``)."""
    return yaml.safe_dump(_tidy(plain(data)), default_flow_style=True, allow_unicode=True,
                          width=10**9, sort_keys=False).strip()


def _tidy(data: Any) -> Any:
    if isinstance(data, dict):
        return {_tidy(k): _tidy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_tidy(v) for v in data]
    if isinstance(data, float) and data.is_integer() and abs(data) < 1e16:
        return int(data)
    return data


PARSERS: dict[str, Callable[[str], Any]] = {
    "bands": parse_bands, "steps": parse_steps, "limit": parse_limit, "levels": parse_levels,
    "counters": parse_counters, "raters": parse_raters, "ratings": parse_ratings,
    "rollup": parse_rollup, "yaml": parse_yaml,
}
FORMATTERS: dict[str, Callable[..., str | None]] = {
    "bands": format_bands, "steps": format_steps, "limit": format_limit, "levels": format_levels,
    "counters": format_counters, "raters": format_raters, "ratings": format_ratings,
    "rollup": format_rollup, "yaml": lambda data: None,
}


def parse_structured(kind: str, value: Any) -> Any:
    """A structured cell: YAML flow when it starts with ``[``/``{``, else the compact form."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = format_number(value)
    if not isinstance(value, str):
        raise NotationError("must be text")
    if value.strip().startswith(_FLOW):
        return parse_yaml(value)
    return PARSERS[kind](value)


def format_structured(kind: str, data: Any, **options: Any) -> str:
    """The compact text when it reads back to ``data``, else YAML flow text."""
    data = plain(data)
    try:
        compact = FORMATTERS[kind](data, **options)
        if compact and not compact.startswith(_FLOW) and plain(parse_structured(kind, compact)) == data:
            return compact
    except (NotationError, KeyError, TypeError, ValueError):
        pass
    return format_yaml(data)


def plain(data: Any) -> Any:
    """Tuples as lists, recursively (how YAML and the parsers give sequences)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    return data
