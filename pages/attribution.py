from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("attribution", [
    "Saliency, deconvnet, guided backpropagation, Grad-CAM, guided Grad-CAM, integrated gradients, occlusion and SmoothGrad (captum).",
    "Guided rules applied at every rectifier of every model — ReLU6, functional ReLU and reused ReLU modules included.",
    "Several methods side by side, overlaid on your photo, with a note on what each shows and its caveats.",
])
