"""One small, real example of every Result type, built on seeded data.

Each module here is named after a diagnostic area and exposes ``examples()``: a list of
``(label, factory)`` pairs, each factory returning a fresh result. ``tests/test_contract.py``
checks the result contract on every one and fails when a Result type has no example, so a new
result type cannot skip the contract.
"""
