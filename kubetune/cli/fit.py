"""Tables that fit the width they are given: abbreviate first, then drop the least important
columns, and say what was left out. A number is never wrapped or cut: its column goes whole.

    cols = [Col("#", ["1", "2"], justify="right"), Col("lr", ["0.001", "0.01"], drop=1), ...]
    table, notes = fit_table(cols, width=100, console=out, title="trials")

`drop`: the order in which columns go when the table is too wide (1 goes first; None: never).
`short`: abbreviated cells (and `short_header`), tried before any column is dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

TEXT_CLIP = 14  # text cells (categorical values, names) are clipped to this before columns go


@dataclass
class Col:
    header: str
    cells: list[str]
    justify: str = "left"
    drop: int | None = None
    short: list[str] | None = None
    styles: list[str] = field(default_factory=list)  # rich style per cell ("" for none)
    numeric: bool = False  # never clipped

    def abbreviated(self) -> "Col":
        if self.short is not None:
            return replace(self, cells=self.short, short=None)
        if not self.numeric and any(len(c) > TEXT_CLIP for c in self.cells):
            return replace(self, cells=[c if len(c) <= TEXT_CLIP else c[: TEXT_CLIP - 1] + "…" for c in self.cells])
        return self


def _table(cols: list[Col], title: str | None):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold",
                  title_justify="left", title_style="bold")
    for c in cols:
        table.add_column(c.header, justify=c.justify, no_wrap=True, overflow="crop" if c.numeric else "ellipsis")
    for i in range(len(cols[0].cells) if cols else 0):
        table.add_row(*[Text(c.cells[i], style=c.styles[i] if i < len(c.styles) else "") for c in cols])
    return table


def _width(console, table) -> int:
    """The width the table wants (measured without the console's own limit)."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(10_000_000), table).maximum


def fit_table(cols: list[Col], width: int | None, console, title: str | None = None):
    """(rich Table, notes): the table within `width` columns (None: everything), and one note
    naming the columns left out, if any."""
    if width is None or not cols:
        return _table(cols, title), []
    current = list(cols)
    table = _table(current, title)
    if _width(console, table) <= width:
        return table, []
    current = [c.abbreviated() for c in current]
    table = _table(current, title)
    dropped: list[str] = []
    order = sorted((c for c in current if c.drop is not None), key=lambda c: c.drop)
    for victim in order:
        if _width(console, table) <= width:
            break
        current = [c for c in current if c is not victim]
        dropped.append(victim.header)
        table = _table(current, title)
    notes = []
    if dropped:
        notes.append(f"{len(dropped)} column(s) left out to fit {width} columns: {', '.join(dropped)} "
                     "(-o wide shows every column; COLUMNS sets the width)")
    return table, notes
