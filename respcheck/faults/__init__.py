"""Fault injection: the reference server made to break the way real relays break.

``catalogue.py`` lists every fault and benign variation; ``layer.py`` applies them in front
of the honest app; ``selftest.py`` measures how many of them respcheck catches.
"""
