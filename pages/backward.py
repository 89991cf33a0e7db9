from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("backward", [
    "The forward configuration of the convolution page, plus an editable upstream gradient ∂L/∂Y (all ones, random, one-hot).",
    "∂L/∂X cell by cell in two views that agree number for number: scatter (g × kernel spread back) and gather (full convolution with the 180°-rotated kernel).",
    "∂L/∂W as the correlation of the padded input with the upstream gradient — parameter sharing made visible — and ∂L/∂b.",
    "ReLU backward (the mask) and pooling backward (max routes to the arg-max, overlapping windows sum; average spreads evenly).",
    "Every gradient cross-checked against torch.autograd.",
])
