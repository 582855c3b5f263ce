"""Neural networks: model files, meta, loading, preprocessing, example inputs, datasets, training and its torch
layers (:mod:`~dsdcompile.nn.layers`: what a construction trains with and exports through)."""
