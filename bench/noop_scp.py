"""A pynetdicom Storage SCP that acknowledges every C-STORE and keeps nothing.

The floor of any receiver built on pynetdicom: bench_cstore runs it beside ours
and dcmtk's storescp. Same association settings as SegDICOM's SCP (every
storage SOP class, 1 MiB PDUs); its handler returns success at once.

    python -m bench.noop_scp PORT
"""

import sys
from typing import Any

from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from segdicom.pacs.dimse_scp import TRANSFER_SYNTAXES, ScpConfig


def acknowledge(event: evt.Event) -> int:
    return 0x0000


def main() -> None:
    ae = AE(ae_title="NOOP")
    ae.maximum_pdu_size = ScpConfig("NOOP", "127.0.0.1", 0).max_pdu
    ae.add_supported_context(Verification)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), TRANSFER_SYNTAXES)
    handlers: list[Any] = [(evt.EVT_C_STORE, acknowledge)]
    ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True, evt_handlers=handlers)


if __name__ == "__main__":
    main()
