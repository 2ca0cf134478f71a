"""A TCP proxy in front of PostgreSQL that a test can stop, restart or turn into a black hole."""

import contextlib
import random
import socket
import threading


def free_port():
    """A free port picked at random in 18000-19999, the range this project's tests may use."""
    for _ in range(100):
        port = random.randint(18000, 19999)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18000-19999")


class TcpProxy:
    """Forward 127.0.0.1:`port` to `target`; `stop()` drops every connection as a crashed server would."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = free_port()
        self.black_hole = False
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self.accept_loop, args=(self.listener,), daemon=True).start()

    def stop(self):
        # Shutting the listener down wakes the accept loop; a bare close would leave the port bound.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def accept_loop(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
            if self.black_hole:
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets.append(upstream)
            threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
