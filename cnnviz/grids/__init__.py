"""Grid arithmetic with step traces: convolution, pooling, activations, backward, transposed; presets, grid text, shapes, page state."""
