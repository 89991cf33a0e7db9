"""Presentation: colours, plotly figures, PNG/GIF rendering, overlays, number formatting."""
