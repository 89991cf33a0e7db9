"""Seeing inside a network: attributions and fantasy images."""
