"""The reader's network (training side): MiniLM's first layers reading a question and a sentence
together, a head that says whether the sentence holds the answer (mean of the tokens, one
logit) and a head that points at the answer's first and last token."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .runtime import MAX_TOKENS, QUESTION_TOKENS


class ReaderNet(nn.Module):
    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        width = encoder.config.hidden_size
        self.holds = nn.Linear(width, 1)
        self.span = nn.Linear(width, 2)

    def forward(self, input_ids, attention_mask, token_type_ids):
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        span = self.span(tokens)
        # Only the sentence's tokens may start or end the answer.
        outside = (token_type_ids == 0) | (attention_mask == 0)
        start = span[..., 0].masked_fill(outside, -1e4)
        end = span[..., 1].masked_fill(outside, -1e4)
        return self.holds(pooled).squeeze(-1), start, end


def base_reader(base: Path, layers: int) -> ReaderNet:
    """A fresh reader on the first `layers` layers of the sentence-transformers model at `base`."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
    encoder.encoder.layer = encoder.encoder.layer[:layers]
    encoder.config.num_hidden_layers = layers
    return ReaderNet(encoder)


def encode_pairs(tokenizer, questions: list[str], sentences: list[str], offsets: bool = False):
    """The pairs as the reader's tensors (question first, truncated to its share)."""
    questions = [_cut(tokenizer, q) for q in questions]
    return tokenizer(questions, sentences, padding=True, truncation="only_second", max_length=MAX_TOKENS,
                     return_tensors="pt", return_offsets_mapping=offsets)


def _cut(tokenizer, question: str) -> str:
    ids = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    if len(ids["input_ids"]) <= QUESTION_TOKENS:
        return question
    return question[: ids["offset_mapping"][QUESTION_TOKENS - 1][1]]


def export_onnx(net: ReaderNet, tokenizer, target: Path) -> None:
    """The reader as one ONNX graph: (input_ids, attention_mask, token_type_ids) -> (holds, start, end)."""
    net = net.eval()
    example = encode_pairs(tokenizer, ["Who won?"], ["Ann won the race."])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "pairs", 1: "tokens"} for n in names}
    axes.update({"holds": {0: "pairs"}, "start": {0: "pairs", 1: "tokens"}, "end": {0: "pairs", 1: "tokens"}})
    with torch.no_grad():
        torch.onnx.export(net, tuple(example[n] for n in names), str(target), input_names=names,
                          output_names=["holds", "start", "end"], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
