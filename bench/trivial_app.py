"""The trivial page the step benchmarks compare with: one button and a line of text."""
import streamlit as st

st.session_state.setdefault("n", 0)
if st.button("Next", key="next"):
    st.session_state["n"] += 1
st.write(f"Count {st.session_state['n']}")
