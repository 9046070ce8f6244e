"""Paths and influence: how things connect, hop by hop, explained and cited; who influenced whom."""
