"""Helpers shared by the tests: documents, a CLI result type, workspaces on the fake server.

Test modules import helpers from here, never from each other.
"""
