from cnnviz.ui.router import through_router

through_router()

from cnnviz.ui.coming import coming_soon

coming_soon("fantasy", [
    "Activation maximisation for a class, a channel or a single unit: Fourier parameterisation, colour decorrelation and robustness transforms.",
    "Live progress with intermediate images; the same seed gives the same image; PNG download.",
    "A gallery of the first channels of a layer.",
])
