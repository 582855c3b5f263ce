"""The wet-lab protocol: concentration and pipetting tables, annealing, inputs, readout and order sheets."""
