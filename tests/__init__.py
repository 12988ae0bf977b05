"""diagtools test suite (a package so that ``tests._contract`` imports under plain ``pytest``)."""
