"""The reference page for benchmarks.page: Streamlit with one Plotly contour, nothing else."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

x = np.linspace(-2, 2, 240)
y = np.linspace(-1, 3, 240)
xx, yy = np.meshgrid(x, y)
z = np.log10((1 - xx) ** 2 + 100 * (yy - xx**2) ** 2 + 1e-3)
st.plotly_chart(go.Figure(go.Contour(x=x, y=y, z=z)), key="contour")
