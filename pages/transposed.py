from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("transposed", [
    "Each input cell scatters a scaled copy of the kernel into the output, stepped with the running sum (stride, padding, output padding, dilation).",
    "The output size (N−1)·S − 2P + D·(F−1) + output_padding + 1 with your numbers.",
    "The equivalent direct convolution over a zero-inserted, padded input, side by side.",
    "Convolution as a matrix: the sparse matrix of a small convolution and its transpose.",
])
