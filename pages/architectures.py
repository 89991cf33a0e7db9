from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("architectures", [
    "Layer tables computed from the real torch modules: type, kernel/stride/padding, output shape, parameters, multiply-adds, activation memory, receptive field and jump.",
    "Paper-faithful LeNet-5 and AlexNet beside torchvision's versions, with their differences listed.",
    "Diagrams, including GoogLeNet's Inception module and ResNet's residual blocks.",
    "Calculators: Inception naive vs 1×1 bottleneck, stacks of 3×3 vs one large kernel, fully connected vs convolutional.",
])
