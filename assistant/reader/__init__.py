"""The trained reader: a small cross-encoder shipped inside the package (`weights/`), which reads
a question with each sentence of the passages found, says how likely the sentence holds the
answer and where its phrase lies. `runtime` runs it (ONNX Runtime, int8), `reading` applies it to
passages (the re-ranking stage, a cache of readings), `examples`, `model` and `train` rebuild it
from public data (`assistant train reader`)."""
