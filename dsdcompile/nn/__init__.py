"""Neural networks: model files, meta, loading, preprocessing, example inputs, datasets, training."""
