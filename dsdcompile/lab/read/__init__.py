"""``dsdcompile read``: a plate reader's export of a design's plate turned into classes (docs/reading.md).

formats (reader exports → traces), design (what the design folder says, and the checks that tie a
reading to it), calibrate (dye calibration), analysis (class calls at the read time), tube_model (the
one adapter to the tube model), fit (the tube model's uncertain parameters fitted to the traces),
simulate (a plate simulator for tests and scripts/simulate_plate.py), plots, html, and run (the
command: read, fit, write atomically).
"""
