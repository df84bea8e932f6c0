"""xlwings' Windows UDF layer, loaded on Linux with pywin32 stubbed — to call UDFs as Excel does.

On Linux ``xw.func``/``xw.arg``/``xw.ret`` are identity decorators. The recording ones
live in ``xlwings/udfs.py`` and the Excel value conversion in ``xlwings/_xlwindows.py``;
both import pywin32 (and ``_xlwindows`` a few Windows-only ctypes names) at module
level, but use it only when talking to Excel over COM. :func:`windows_udf_layer` puts
minimal stand-ins for those modules into ``sys.modules``, imports the two real modules,
registers the real Windows ``excel`` engine (whose ``clean_value_data`` and
``prepare_xl_data_element`` are the conversions a UDF's arguments and result go
through), and swaps ``xlwings.func/arg/ret`` for the recording decorators. Then
:func:`excel_call` runs ``xlwings.udfs.call_udf`` itself — the function the add-in's
VBA calls — so arguments and results take exactly the path they take under Excel.

Everything is undone when the context ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import sys
import types
from typing import Any, Iterator

#: What VBA passes for an omitted Optional argument (DISP_E_PARAMNOTFOUND).
MISSING = -2147352572

_PYWIN32 = ("pythoncom", "pywintypes", "win32api", "win32con", "win32gui", "win32process",
            "win32timezone", "win32com", "win32com.client")


class _Anything:
    """Stands for any pywin32 object: callable, subclassable, every attribute exists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return _Anything()

    def __getattr__(self, name: str) -> "_Anything":
        return _Anything()


class _StubModule(types.ModuleType):
    """A module whose every (non-dunder) attribute is a stand-in class."""

    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        cls = type(name, (_Anything,), {})
        setattr(self, name, cls)
        return cls


@contextlib.contextmanager
def windows_udf_layer(*udf_modules: str) -> Iterator[types.ModuleType]:
    """Load xlwings' Windows UDF layer and (re)import ``udf_modules`` under it.

    Yields:
        The real ``xlwings.udfs`` module (``call_udf``, ``generate_vba_wrapper``…).
    """
    import xlwings
    from xlwings.main import Engine

    saved_modules = dict(sys.modules)
    saved_ctypes = {n: getattr(ctypes, n, None) for n in ("windll", "oledll", "PyDLL")}
    saved_xw = {n: getattr(xlwings, n) for n in ("func", "arg", "ret", "sub")}
    had_excel = "excel" in [e.name for e in xlwings.engines]
    try:
        for name in _PYWIN32:
            sys.modules[name] = _StubModule(name)
        sys.modules["win32com"].client = sys.modules["win32com.client"]
        sys.modules["pythoncom"].__file__ = "pythoncom.dll"
        ctypes.windll = ctypes.oledll = _Anything()
        ctypes.PyDLL = _Anything
        # call_udf imports the COM server's event loop; only async UDFs use it.
        sys.modules["xlwings.com_server"] = types.SimpleNamespace(loop=None)
        udfs = importlib.import_module("xlwings.udfs")
        xlwindows = importlib.import_module("xlwings._xlwindows")
        ctypes.PyDLL = saved_ctypes["PyDLL"]
        if not had_excel:
            xlwings.engines.add(Engine(impl=xlwindows.engine))
        xlwings.func, xlwings.arg, xlwings.ret, xlwings.sub = udfs.xlfunc, udfs.xlarg, udfs.xlret, udfs.xlsub
        for name in udf_modules:  # innermost first: kpixl.udfs.functions, then kpixl.udfs
            importlib.reload(importlib.import_module(name))
        udfs.udf_modules.clear()
        yield udfs
    finally:
        for n, f in saved_xw.items():
            setattr(xlwings, n, f)
        if not had_excel:
            xlwings.engines.engines = [e for e in xlwings.engines.engines if e.name != "excel"]
            xlwings.engines.engines_by_name.pop("excel", None)
        for n, v in saved_ctypes.items():
            if v is None:
                with contextlib.suppress(AttributeError):
                    delattr(ctypes, n)
            else:
                setattr(ctypes, n, v)
        for name in list(sys.modules):
            if name not in saved_modules:
                del sys.modules[name]
        for name in ("udfs", "_xlwindows", "com_server"):
            with contextlib.suppress(AttributeError):
                delattr(xlwings, name)
        for name in udf_modules:  # back to plain functions
            importlib.reload(importlib.import_module(name))


def excel_call(udfs: types.ModuleType, module: str, name: str, *args: Any) -> Any:
    """Call a UDF exactly as the add-in's VBA does (``XLPy.CallUDF``), without a caller cell.

    Pass :data:`MISSING` for an omitted optional argument, None for an empty cell,
    floats for numbers and tuples of tuples for ranges.

    Returns:
        The cell value: the single value of a 1×1 result, else the 2-D list Excel
        receives (a dynamic array).
    """
    out = udfs.call_udf(module, name, tuple(args))
    if isinstance(out, list) and len(out) == 1 and len(out[0]) == 1:
        return out[0][0]
    return out
