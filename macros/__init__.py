"""kpixl ribbon macros (installed as ``kpixl.macros``).

A registry of ribbon buttons and one dispatcher that the add-in's single VBA callback
calls through ``RunPython``; each button does what the matching ``kpixl`` subcommand
does, through the same functions. Arrives with the add-in work; installed now so that
the layout of DESIGN §2 holds from the first release.
"""
