"""kpixl ribbon macros (installed as ``kpixl.macros``).

A registry of ribbon buttons (:mod:`.registry`) and one dispatcher that the add-in's
single VBA callback calls through ``RunPython``::

    RunPython "import kpixl.macros; kpixl.macros.dispatch('<tag>')"

so a new button needs new Python and new ribbon XML, never new VBA (README § The Excel add-in). Each
button (:mod:`.buttons`) does what the matching ``kpixl`` subcommand does, through the
same functions; it talks to Excel only through a :class:`~.host.Host`, so that the same
code runs on a file here (:class:`~.host.FileHost`) and in Excel (:class:`~.host.XlwingsHost`).

The dispatcher's promise is the CLI's: every outcome is a message — problems as the
table ``kpixl`` prints — and never a traceback in Excel.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass

from .host import TITLE, FileHost, Host, XlwingsHost
from .registry import BUTTONS, Button, Said, button, resolve

__all__ = ["BUTTONS", "Button", "FileHost", "Host", "Outcome", "Said", "XlwingsHost", "button", "dispatch"]


@dataclass(frozen=True)
class Outcome:
    """What a press of a button came to.

    Attributes:
        tag: The button's tag.
        ok: True when the button ran to its end (or was cancelled), False on a problem.
        text: The message shown (None when nothing was shown: a cancel).
    """

    tag: str
    ok: bool
    text: str | None


def dispatch(tag: str, host: Host | None = None) -> Outcome:
    """Run the ribbon button ``tag`` on the calling workbook and show its outcome.

    Args:
        tag: The pressed button's ``tag`` (a :attr:`Button.id`, e.g. ``"generate"``).
        host: The workbook and its program; default: Excel's calling workbook
            (``xw.Book.caller()`` through :class:`XlwingsHost`).

    Returns:
        The :class:`Outcome`; the same text was shown through ``host.message``.
    """
    from kpixl.console import format_problems
    from kpixl.errors import InputError, KpixlError

    if host is None:
        try:
            host = XlwingsHost.caller()
        except Exception as e:  # no Excel to tell: nothing else can be done
            return Outcome(tag, False, f"kpixl: cannot reach the calling workbook ({type(e).__name__}: {e})")
    try:
        b = button(tag)
    except KeyError as e:  # the ribbon and this registry disagree
        _show(host, f"kpixl: {e.args[0]}", TITLE)
        return Outcome(tag, False, f"kpixl: {e.args[0]}")
    title, ok = f"kpixl — {b.label} / {b.label_en}", False
    try:
        host.status(f"kpixl: {b.label} / {b.label_en} …")
        text = resolve(b.func)(host)
        ok = True
        if isinstance(text, Said):  # ran to its end, and reported problems (or not)
            text, ok = text.text, text.ok
    except InputError as e:
        text = format_problems(e)
    except KpixlError as e:
        text = f"kpixl: {e}"
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("kpixl"):
            text = _internal(e)
        else:
            text = f"kpixl: this button is not available in this version of kpixl (no module {e.name})"
    except Exception as e:  # the promise: never a traceback in Excel
        text = _internal(e)
    finally:
        try:
            host.status(None)
        except Exception:
            pass
    if text:
        _show(host, text, title)
    return Outcome(tag, ok, text)


def _show(host: Host, text: str, title: str) -> None:
    try:
        host.message(text, title)
    except Exception:  # Excel went away; there is no one left to tell
        pass


def _internal(e: BaseException) -> str:
    text = (f"kpixl: internal error ({type(e).__name__}: {e}). Report it with the workbook you used"
            " (set KPIXL_DEBUG=1 to see the details here).")
    if os.environ.get("KPIXL_DEBUG"):
        text += "\n\n" + traceback.format_exc()
    return text
