"""The engine: scores a roster's inputs with a scheme, and rolls periods up."""

from .rollup import roll_up
from .score import Scored, evaluate, score

__all__ = ["Scored", "evaluate", "roll_up", "score"]
