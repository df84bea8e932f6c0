"""The Excel add-in ``kpixl.xlam``, built on any platform (README § The Excel add-in).

:mod:`.build` assembles the package; :mod:`.vbaproject` the VBA project inside it,
on :mod:`.cfb` (compound file) and :mod:`.ovba` (VBA compression). The built add-in is
package data (``kpixl/data/kpixl.xlam``); rebuild it with ``scripts/build-addin``.
"""
