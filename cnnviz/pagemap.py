"""The map of pages: one source for the router (app.py), the home page and the README."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    file: str  # under pages/, in its section's folder (pages/*.py would run alone in Streamlit's old multipage mode)
    title: str
    icon: str
    url_path: str
    section: str
    summary: str


HOME = PageInfo("start/home.py", "Home", ":material/home:", "home", "", "What CNN Explorer is, the map of pages, and this machine's environment.")

PAGES: list[PageInfo] = [
    PageInfo("operations/convolution.py", "Convolution", ":material/grid_on:", "convolution", "Operations",
             "Type a grid and a kernel, set stride, padding, dilation, flip, bias and activation, and step through every output cell with the arithmetic written out — 1-D, 2-D and multi-channel, and on a real photo."),
    PageInfo("operations/pooling.py", "Pooling", ":material/filter_center_focus:", "pooling", "Operations",
             "Max, average, sum and L2 pooling with independent window and stride (overlapping like AlexNet), padding and depth kept."),
    PageInfo("operations/activations.py", "Activations", ":material/show_chart:", "activations", "Operations",
             "ReLU, leaky ReLU, sigmoid and tanh on a grid, with each function, its derivative and where it saturates."),
    PageInfo("operations/backward.py", "Backward pass", ":material/undo:", "backward", "Operations",
             "Gradients of a convolution, ReLU and pooling stepped cell by cell: ∂L/∂X as scatter and as gather (same numbers), ∂L/∂W with parameter sharing made visible, ∂L/∂b, the ReLU mask, max-pool routing."),
    PageInfo("operations/transposed.py", "Transposed convolution", ":material/open_in_full:", "transposed", "Operations",
             "Each input cell scatters a scaled kernel into the output; the equivalent direct convolution over a zero-inserted input; convolution as a sparse matrix and its transpose."),
    PageInfo("networks/networks.py", "Networks on your photo", ":material/photo_camera:", "networks", "Networks",
             "Pretrained CNNs (EfficientNet-Lite0 and LeNet-5 offline; AlexNet, VGG-16, GoogLeNet, ResNet once downloaded) on a sample, uploaded or camera photo: top-5 predictions, every layer's feature maps, and a clicked unit's theoretical and effective receptive field."),
    PageInfo("networks/architectures.py", "Architectures", ":material/account_tree:", "architectures", "Networks",
             "LeNet-5, AlexNet, VGG-16, GoogLeNet, ResNet and EfficientNet-Lite0 layer by layer from the real modules: shapes, parameters, MACs, memory, receptive fields; paper variants, block diagrams, design calculators and a comparison."),
    PageInfo("networks/training.py", "Training", ":material/model_training:", "training", "Networks",
             "Train LeNet-5 live (optimiser, learning rate, batch, dropout, augmentation, activation, pooling; curves, filters, feature maps, gradient norms, confusion matrix), and transfer-learn EfficientNet-Lite0 (or a cached torchvision network) on your own photos with three strategies compared; use what you trained on the network pages."),
    PageInfo("networks/depth.py", "Going deep", ":material/stacked_line_chart:", "depth", "Networks",
             "Why deep networks train: a CNN of 1–100 blocks on the digits with your activation, initialisation, batch norm, skips and clipping — activations and per-block gradients before training, a live layer × step gradient heatmap, up to four runs compared, and presets that test the notes' claims (vanishing gradients, degradation, residual networks as ensembles)."),
    PageInfo("networks/overfitting.py", "Overfitting", ":material/ssid_chart:", "overfitting", "Networks",
             "Overfitting and its cures: LeNet-5 memorises 200 digits while its held-out loss turns upward; dropout, weight decay, augmentation, early stopping, a smaller network and more data, each measured and up to four runs compared; every augmentation the notes name (and AlexNet's two) seen on a digit and on your photo."),
    PageInfo("seeing_inside/attribution.py", "Attributions", ":material/visibility:", "attribution", "Seeing inside",
             "Saliency, deconvnet, guided backpropagation, Grad-CAM, guided Grad-CAM, integrated gradients, occlusion and SmoothGrad side by side on your photo, with the rule applied at every rectifier of every model and each method's caveats."),
    PageInfo("seeing_inside/fantasy.py", "Fantasy images", ":material/auto_awesome:", "fantasy", "Seeing inside",
             "Activation maximisation: pictures optimised (Fourier parameterisation, decorrelated colours, robustness transforms) to excite a channel, a unit or a class, with live progress and a gallery of a layer's channels."),
    PageInfo("detection/detection.py", "Detection arithmetic", ":material/select_all:", "detection", "Detection",
             "IoU with its intersection and union written out, non-maximum suppression stepped box by box, Faster R-CNN's anchors on a feature map, RoI pooling and RoI align bin by bin, and box deltas — each equal to torchvision.ops."),
    PageInfo("detection/digits.py", "Detecting digits", ":material/pin:", "digits", "Detection",
             "A YOLO-style detector trained by this project on scenes of handwritten digits: the grid of cells, every cell's raw prediction, the score threshold and NMS turning them into final boxes, on generated scenes, scenes you draw and your photos; its measured precision, recall and mAP."),
    PageInfo("detection/photo_detectors.py", "Detectors on your photo", ":material/center_focus_strong:", "detectors",
             "Detection", "torchvision's Faster R-CNN (MobileNetV3-FPN) and SSDlite on a sample or uploaded photo, once their COCO weights are in the torch hub cache (offline: the exact step to get them): boxes, labels, scores and a threshold, the first stage's region proposals, and the anchors at any position you click (those need no weights)."),
    PageInfo("start/lessons.py", "Lessons", ":material/playlist_play:", "lessons", "Classroom",
             "Lessons a teacher prepares: views of any page with a note and a question, saved as a file or one link, "
             "run with a class view by view, and a summary of what the class answered; one lesson per chapter of the "
             "lecture notes comes with the app."),
]

SECTIONS = ("Operations", "Networks", "Seeing inside", "Detection", "Classroom")


def by_url(url_path: str) -> PageInfo | None:
    return next((p for p in [HOME, *PAGES] if p.url_path == url_path), None)
