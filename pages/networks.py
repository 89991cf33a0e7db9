from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("networks", [
    "Model zoo: EfficientNet-Lite0 offline by default, LeNet-5 trained by this project, and AlexNet, VGG-16, GoogLeNet, ResNet-18/50 from torchvision's cache.",
    "Your photo (sample, upload or camera): the preprocessing and the exact tensor the network sees; top-5 predictions.",
    "Feature maps of any layer as one tiled montage, sortable, with a large view of a channel over the photo.",
    "Receptive fields: click a unit and see its theoretical and effective receptive field on your photo.",
    "Runs on the GPU when there is one; shared models never leak state between sessions.",
])
