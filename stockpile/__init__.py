"""stockpile: decision support for critical-metal stockpiles.

Pipeline: load -> validate -> build -> solve -> extract -> report.
"""

__version__ = "0.1.0"
