"""kpixl worksheet functions (installed as ``kpixl.udfs``).

The ``KPI_*`` functions are thin xlwings wrappers over :mod:`kpixl.rules` and
:mod:`kpixl.engine` — no scoring logic lives here. They arrive with the add-in work
(the issue "Excel add-in: KPI_* worksheet functions…"); this package is installed now
so that the layout of DESIGN §2 holds from the first release.
"""
