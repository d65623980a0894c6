"""Go's strings.TrimSpace: Katib trims metric names and values with it."""
from __future__ import annotations

# unicode.IsSpace: the ASCII/Latin-1 spaces plus the White_Space property (not \x1c-\x1f, which
# Python's str.strip() would also remove).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


def go_trim_space(text: str) -> str:
    return text.strip(_GO_SPACE)
