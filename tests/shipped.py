"""What the shipped snapshot (``data/``) says, where several test modules need it."""

from __future__ import annotations

#: The claims the shipped snapshot contradicts. Its last week (25-31 May 2026) is OpenRouter's
#: own Data API: there the three most-used models are DeepSeek V4 Flash, Hy3 Preview and Claude
#: Opus 4.7 (not Kimi), Anthropic's band is a little larger than DeepSeek's, and neither the top
#: three's price nor the origin split is the essay's (data/README.md).
CONTRADICTED = frozenset(
    {
        "essay-split",
        "top-three-chinese-open",
        "fraction-of-frontier-price",
        "deepseek-largest-band",
    }
)
