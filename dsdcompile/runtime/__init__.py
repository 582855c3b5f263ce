"""The runtime every stage shares: executors, progress, resources and limits, plots."""
