#!/usr/bin/python3
"""A Coffer storage backend written in Python: the "sqlite-py" example.

It serves Coffer's storage service coffer.storage.v1.StorageBackend next to
go-plugin's services over mutual TLS on a Unix socket, as
docs/plugins/storage.md and docs/plugins/protocol.md describe. Entries live
in one table of the SQLite file named by the `path` setting, written in WAL
mode with full sync, so a Put is durable when it returns.

The protobuf stubs are generated from packages/sdk/proto and must be on
PYTHONPATH (see README.md). Values are barrier ciphertext; this process
never prints keys or values, because its output reaches the server log.
"""
import base64
import datetime
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import uuid
from concurrent import futures

MAGIC_COOKIE_KEY = "VAULT_BACKEND_PLUGIN"
MAGIC_COOKIE_VALUE = "6669da05-b1c8-4f49-97d9-c8e5bed98e20"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 5
PARENT_CHECK_SECONDS = 2.0
KNOWN_SETTINGS = ("path",)


def log(message):
    """Write one line to standard error, which Coffer copies into its log."""
    sys.stderr.write(f"sqlite-py: {message}\n")
    sys.stderr.flush()


def environment_problem():
    """Return why this process cannot serve, or None when a host started it."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        return ("this is a Coffer storage plugin; name it in a storage stanza of the "
                "server configuration instead of running it by hand")
    offered = [v.strip() for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v.strip()]
    if offered and str(APP_PROTOCOL_VERSION) not in offered:
        return f"the host offers protocol versions {','.join(offered)}; this plugin speaks only {APP_PROTOCOL_VERSION}"
    if not os.environ.get("PLUGIN_CLIENT_CERT"):
        return "PLUGIN_CLIENT_CERT is not set; this example serves mutual TLS only"
    return None


# Checked before the grpc imports so that running the file by hand explains
# itself even where the gRPC packages are missing.
if __name__ == "__main__":
    PROBLEM = environment_problem()
    if PROBLEM is not None:
        sys.stderr.write(PROBLEM + "\n")
        sys.exit(1)

import grpc  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

import coffer_storage_pb2 as storage_pb  # noqa: E402
import coffer_storage_pb2_grpc as storage_grpc  # noqa: E402
import go_plugin_pb2 as go_plugin_pb  # noqa: E402
import go_plugin_pb2_grpc  # noqa: E402
import grpc_health_v1_pb2 as health_pb  # noqa: E402
import grpc_health_v1_pb2_grpc as health_grpc  # noqa: E402


def make_certificate():
    """Return (key PEM, certificate PEM, certificate DER) for this launch.

    The certificate is self-signed for localhost, marked as its own CA and
    valid for TLS server and client authentication, which is what Coffer
    checks (docs/plugins/protocol.md section 3).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=True, key_cert_sign=True,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (key_pem, certificate.public_bytes(serialization.Encoding.PEM),
            certificate.public_bytes(serialization.Encoding.DER))


def key_problem(key):
    """Return why `key` is not a valid storage key, or None.

    The host checks every key before it sends it. The plugin checks again so
    that a faulty host cannot store a key that breaks the key rules.
    """
    if key == "":
        return "key must not be empty"
    if key.startswith("/") or key.endswith("/"):
        return f"key {key!r} must not start or end with '/'"
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            return f"key {key!r} contains an empty, '.' or '..' segment"
    if "\0" in key:
        return f"key {key!r} contains a NUL character"
    return None


def children(prefix, keys):
    """Return the immediate children of `prefix` among `keys`, each folder once with a trailing '/'."""
    found = set()
    for key in keys:
        rest = key[len(prefix):]
        slash = rest.find("/")
        found.add(rest if slash == -1 else rest[:slash + 1])
    return sorted(found)


class SqliteStore:
    """One table of keys and values; a lock serializes access from gRPC's worker threads."""

    def __init__(self, path):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.lock = threading.Lock()
        # Autocommit mode: each statement is its own transaction, synced before it returns.
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")

    def get(self, key):
        with self.lock:
            row = self.db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, key, value):
        with self.lock:
            self.db.execute("INSERT INTO entries (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def delete(self, key):
        with self.lock:
            self.db.execute("DELETE FROM entries WHERE key = ?", (key,))

    def list(self, prefix):
        with self.lock:
            rows = self.db.execute("SELECT key FROM entries WHERE substr(key, 1, length(?1)) = ?1", (prefix,)).fetchall()
        return children(prefix, [row[0] for row in rows])

    def close(self):
        with self.lock:
            self.db.close()


class StorageBackend(storage_grpc.StorageBackendServicer):
    """coffer.storage.v1.StorageBackend: one store per process, opened by Create."""

    def __init__(self):
        self.store = None
        self.lock = threading.Lock()

    def open_store(self, context):
        store = self.store
        if store is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "the storage is not open; call Create first")
        return store

    def checked_key(self, key, context):
        problem = key_problem(key)
        if problem is not None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid key: {problem}")
        return key

    def Create(self, request, context):
        settings = dict(request.settings)
        unknown = sorted(name for name in settings if name not in KNOWN_SETTINGS)
        if unknown:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"unknown setting {unknown[0]!r}; known settings: {', '.join(KNOWN_SETTINGS)}")
        path = settings.get("path", "")
        if path == "":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "missing setting 'path': the SQLite file to store entries in")
        with self.lock:
            if self.store is not None:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, "the storage is already open; Create is called once per process")
            try:
                self.store = SqliteStore(path)
            except (OSError, sqlite3.Error) as err:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"cannot open the SQLite file {path!r}: {err}")
        log("store opened")
        return storage_pb.Empty()

    def Get(self, request, context):
        value = self.open_store(context).get(self.checked_key(request.key, context))
        if value is None:
            return storage_pb.GetResponse(found=False)
        return storage_pb.GetResponse(found=True, value=value)

    def Put(self, request, context):
        self.open_store(context).put(self.checked_key(request.key, context), request.value)
        return storage_pb.Empty()

    def Delete(self, request, context):
        self.open_store(context).delete(self.checked_key(request.key, context))
        return storage_pb.Empty()

    def List(self, request, context):
        prefix = request.prefix
        if prefix != "":
            problem = key_problem(prefix[:-1]) if prefix.endswith("/") else f"prefix {prefix!r} must be empty or end with '/'"
            if problem is not None:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid prefix: {problem}")
        return storage_pb.ListResponse(keys=self.open_store(context).list(prefix))

    def Close(self, request, context):
        self.close()
        return storage_pb.Empty()

    def close(self):
        with self.lock:
            store, self.store = self.store, None
        if store is not None:
            store.close()
            log("store closed")


class Health(health_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service not in ("", "plugin"):
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb.HealthCheckResponse(status=health_pb.HealthCheckResponse.SERVING)


class Broker(go_plugin_pb2_grpc.GRPCBrokerServicer):
    def StartStream(self, request_iterator, context):
        # A storage plugin offers and dials no brokered services, so the
        # stream only stays open until the host ends it.
        for _ in request_iterator:
            pass
        return iter(())


class Controller(go_plugin_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop):
        self.stop = stop

    def Shutdown(self, request, context):
        self.stop()
        return go_plugin_pb.Empty()


def main():
    host_certificate = os.environ["PLUGIN_CLIENT_CERT"].encode()
    key_pem, cert_pem, cert_der = make_certificate()

    stopping = threading.Event()
    backend = StorageBackend()
    # Each open stream, such as the broker's, occupies a worker thread, so keep a few spare.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=[
        ("grpc.max_receive_message_length", 2**31 - 1),
        ("grpc.max_send_message_length", 2**31 - 1),
    ])
    health_grpc.add_HealthServicer_to_server(Health(), server)
    go_plugin_pb2_grpc.add_GRPCBrokerServicer_to_server(Broker(), server)
    go_plugin_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stopping.set), server)
    storage_grpc.add_StorageBackendServicer_to_server(backend, server)

    socket_directory = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.mkdtemp(prefix="sqlite-py-")
    address = os.path.join(socket_directory, f"plugin-{uuid.uuid4().hex[:12]}.sock")
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=host_certificate,
                                              require_client_auth=True)
    server.add_secure_port(f"unix:{address}", credentials)
    server.start()

    certificate_field = base64.b64encode(cert_der).decode("ascii").rstrip("=")
    sys.stdout.write(f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|unix|{address}|grpc|{certificate_field}\n")
    sys.stdout.flush()

    # Stop on Shutdown, on SIGTERM, or when the host process is gone. SIGINT
    # is ignored, as go-plugin plugins do, because the host decides when plugins stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    parent = os.getppid()
    while not stopping.wait(PARENT_CHECK_SECONDS):
        if os.getppid() != parent:
            log("host process exited; stopping")
            stopping.set()
    server.stop(grace=2).wait()
    backend.close()
    try:
        os.unlink(address)
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    main()
