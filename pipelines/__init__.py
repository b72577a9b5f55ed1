"""Item pipelines: one concern each, numbered in aggregator/settings.py ITEM_PIPELINES."""
