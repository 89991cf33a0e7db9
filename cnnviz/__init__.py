"""CNN Explorer's engine: grid arithmetic, models, images and figures, without Streamlit."""

__version__ = "0.1.0"
