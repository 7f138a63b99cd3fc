"""Test-only helpers shared across the suite's folders (the product never imports them; tests/test_layout.py)."""
