"""ivrsync: Tata Smartflo IVRs as code."""

__version__ = "0.1.0"
