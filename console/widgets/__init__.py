"""Textual widgets of the console."""
