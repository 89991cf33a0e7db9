"""Object detection, the lecture notes' last chapter: boxes, IoU, NMS, anchors, RoI pooling — stepped in numbers."""
