"""Two tiny worksheet functions for tests/test_addin_build.py (the wrapper generator's input).

Covers what changes the generated VBA: a required and an optional argument with an
argument doc, and a volatile function with a variable argument list.
"""

import xlwings as xw


@xw.func
@xw.arg("x", doc="a number")
def SAMPLE_TIMES(x, factor=2.0):
    """x times factor."""
    return x * factor


@xw.func(volatile=True)
def SAMPLE_SUM(*values):
    """The sum of the values."""
    return sum(v for v in values if v is not None)
