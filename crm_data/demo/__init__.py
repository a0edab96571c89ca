"""Realistic French demo data, written in bulk."""
