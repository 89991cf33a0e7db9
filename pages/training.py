from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("training", [
    "Train LeNet-5 live on 4,000 MNIST digits: optimiser, learning rate, batch size, dropout, augmentation, activation, pooling.",
    "Loss and accuracy curves, first-layer filters and gradient norms updating while it trains; a confusion matrix at the end.",
    "Transfer learning on your own photos: frozen backbone, fine-tune the last blocks, or all layers.",
])
