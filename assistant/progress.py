"""A terminal progress bar fed by ingest's (stage, done, total) callbacks."""

from __future__ import annotations


class Progress:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bars: dict[str, object] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="article", leave=False)
        bar.n = done
        bar.refresh()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()
