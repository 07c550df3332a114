"""A TCP proxy in front of a real server that can cut a retrieve mid-answer.

The PACS going away in the middle of a transfer, for real: the bytes are the
real Orthanc's, and the connection is closed after `cut_after` bytes of the
answer to a request that asks for multipart/related (a WADO-RS retrieve).
"""

import contextlib
import socket
import threading
from collections.abc import Iterator

RETRIEVE = b"multipart/related"


class CuttingProxy:
    def __init__(self, upstream: tuple[str, int], cut_after: int | None) -> None:
        self.upstream = upstream
        self.cut_after = cut_after
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.server.accept()
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        retrieving = threading.Event()  # the last request on this connection is a retrieve
        threading.Thread(target=self._requests, args=(client, upstream, retrieving)).start()
        sent = 0
        with contextlib.suppress(OSError), client, upstream:
            for data in _chunks(upstream):
                limit = self.cut_after if retrieving.is_set() else None
                if limit is not None and sent + len(data) > limit:
                    client.sendall(data[: limit - sent])
                    # The PACS went away mid-answer: both ends see it now. A bare close
                    # would not send the FIN while the request thread still reads the
                    # socket, and the service would wait out its PACS timeout instead.
                    for end in (client, upstream):
                        end.shutdown(socket.SHUT_RDWR)
                    return
                sent = sent + len(data) if limit is not None else 0
                client.sendall(data)

    @staticmethod
    def _requests(
        client: socket.socket, upstream: socket.socket, retrieving: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            for data in _chunks(client):
                if data.startswith((b"GET", b"POST")):
                    (retrieving.set if RETRIEVE in data else retrieving.clear)()
                upstream.sendall(data)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)


def _chunks(sock: socket.socket) -> Iterator[bytes]:
    while data := sock.recv(65536):
        yield data
