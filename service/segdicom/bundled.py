"""Where the viewer and the Alembic migrations are.

An installed package carries them inside itself (`segdicom/viewer`,
`segdicom/migrations`: setup.py copies them in when it builds a wheel); a
source checkout, or an editable install of one, has them beside `service/`.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parents[1]
NAMES = ("viewer", "migrations")


def bundled_dir(name: str) -> Path:
    """The folder `name` (one of NAMES): the package's copy, else the checkout's."""
    if name not in NAMES:
        raise ValueError(f"no bundled folder {name!r}; there are {', '.join(NAMES)}")
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else CHECKOUT / name
