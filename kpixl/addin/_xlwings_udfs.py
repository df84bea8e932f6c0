"""xlwings' Windows UDF layer, importable on any platform (for the add-in build and tests).

On Windows ``xw.func``/``xw.arg``/``xw.ret`` record each function's metadata
(``f.__xlfunc__``) and ``xlwings.udfs.generate_vba_wrapper`` turns it into the VBA
wrappers Excel calls. Elsewhere xlwings swaps in identity decorators that record nothing,
and ``xlwings.udfs`` cannot be imported because it imports pywin32 at the top.

:func:`install` stubs the few pywin32 modules ``xlwings.udfs`` touches at import time
(only those that are really missing), imports it, and points ``xlwings.func``/``arg``/
``ret``/``sub``/``script`` at its recording decorators — so a UDF module imported
afterwards carries exactly the metadata it would carry in Excel on Windows. The stubs
raise if anything actually calls into COM.
"""

from __future__ import annotations

import importlib
import sys
import types
from types import ModuleType

__all__ = ["install", "udf_module", "udf_functions", "vba_wrapper_source", "VBA_MODULE_NAME"]

#: Name of the VBA module holding the wrappers, as ``xlwings.udfs.import_udfs`` names it.
VBA_MODULE_NAME = "xlwings_udfs"

_STUBBED = "__kpixl_pywin32_stub__"


class _ComUnavailable(Exception):
    """Raised by the pywin32 stubs: there is no COM here."""


def _no_com(*_args, **_kwargs):
    raise _ComUnavailable("pywin32 is stubbed (no Excel/COM on this platform)")


def _stub(name: str, **attributes) -> None:
    try:
        importlib.import_module(name)
        return
    except ImportError:
        pass
    module = types.ModuleType(name)
    setattr(module, _STUBBED, True)
    for key, value in attributes.items():
        setattr(module, key, value)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def install() -> ModuleType:
    """Make xlwings' recording UDF decorators active; idempotent.

    Stubs ``pythoncom``, ``pywintypes``, ``win32api``, ``win32com`` and
    ``win32com.client`` where they cannot be imported, imports ``xlwings.udfs`` and sets
    ``xlwings.func``, ``arg``, ``ret``, ``sub`` and ``script`` to its ``xlfunc``,
    ``xlarg``, ``xlret`` and ``xlsub``.

    Returns:
        The imported ``xlwings.udfs`` module.
    """
    import xlwings

    _stub("pythoncom", CoInitialize=lambda: None, CoUninitialize=lambda: None)
    _stub("pywintypes", com_error=type("com_error", (Exception,), {}))
    _stub("win32api")
    _stub("win32com")
    _stub("win32com.client", Dispatch=_no_com, DispatchEx=_no_com)
    udfs = importlib.import_module("xlwings.udfs")
    xlwings.func = udfs.xlfunc
    xlwings.arg = udfs.xlarg
    xlwings.ret = udfs.xlret
    xlwings.sub = udfs.xlsub
    xlwings.script = udfs.xlsub
    return udfs


def udf_functions(module: ModuleType) -> list:
    """The functions of ``module`` that carry xlwings UDF metadata, in ``dir()`` order.

    Args:
        module: A module imported after :func:`install`.

    Returns:
        Functions with an ``__xlfunc__`` attribute, in the order the generator visits them.
    """
    return [obj for obj in (getattr(module, n) for n in dir(module)) if hasattr(obj, "__xlfunc__")]


def udf_module(name: str) -> ModuleType:
    """Import a UDF module with the recording decorators active.

    If the module was imported before :func:`install` (so its functions carry no
    metadata), it is reloaded.

    Args:
        name: Dotted module name, e.g. ``"kpixl.udfs"``.

    Returns:
        The module; its ``@xw.func`` functions have ``__xlfunc__``.
    """
    install()
    already = name in sys.modules
    module = importlib.import_module(name)
    if already and not udf_functions(module):
        # A package re-exports from its submodules: reload those first (kpixl.udfs.functions).
        for sub in sorted((m for m in sys.modules if m.startswith(name + ".")), reverse=True):
            importlib.reload(sys.modules[sub])
        module = importlib.reload(module)
    return module


class _AddinWorkbook:
    """What ``generate_vba_wrapper`` reads of the workbook: its name (``.xlam`` -> ActiveWorkbook)."""

    def __init__(self, name: str) -> None:
        self.Name = name


def vba_wrapper_source(module_names: list[str], workbook_name: str = "kpixl.xlam") -> str:
    """The VBA module xlwings' "Import Functions" would write into the add-in.

    Mirrors ``xlwings.udfs.import_udfs``: the three header lines, then
    ``generate_vba_wrapper`` for each module, with ``\\n`` line ends as Python writes them.

    Args:
        module_names: Dotted names of the UDF modules, e.g. ``["kpixl.udfs"]``.
        workbook_name: The add-in's file name; ``.xlam`` makes the wrappers pass
            ``ActiveWorkbook`` as xlwings does for add-ins.

    Returns:
        The module source, starting ``Attribute VB_Name = "xlwings_udfs"``.
    """
    import io

    udfs = install()
    buffer = io.StringIO()
    vba = udfs.VBAWriter(buffer)
    vba.writeln(f'Attribute VB_Name = "{VBA_MODULE_NAME}"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    for name in module_names:
        udfs.generate_vba_wrapper(name, udf_module(name), buffer, _AddinWorkbook(workbook_name))
    return buffer.getvalue()
