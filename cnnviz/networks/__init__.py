"""Real networks: one spec per network, the Network handle, weights, inspection, architecture tables, receptive fields."""
