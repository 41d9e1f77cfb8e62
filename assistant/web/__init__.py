"""The web chat (Gradio) and its library of articles: clients of `Assistant` that only format."""
