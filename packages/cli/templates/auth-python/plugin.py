#!/usr/bin/python3
"""__NAME__: a Coffer auth method written in Python, made by `coffer plugin new`.

It serves Vault's backend plugin protocol (go-plugin core protocol 1,
backend protocol 5) with grpcio, as docs/plugins/protocol.md describes.
Users log in at `login` with a name and a password. The mount option
`users` contains the roster, a JSON object such as

    {"alice": {"password_sha256": "<hex>", "policies": ["dev"]}}

The protobuf modules are generated from the SDK's .proto files
(node_modules/@coffer/sdk/proto) and must be on PYTHONPATH. `npm test` and
`coffer plugin certify` generate their own copy, and README.md gives the
command for a copy in `stubs/`. This process never prints secrets, because
everything it writes reaches the server log.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import string
import sys
import tempfile
import threading
import time
import uuid
from concurrent import futures

MAGIC_COOKIE_KEY = "VAULT_BACKEND_PLUGIN"
MAGIC_COOKIE_VALUE = "6669da05-b1c8-4f49-97d9-c8e5bed98e20"
CORE_PROTOCOL_VERSION = 1
BACKEND_PROTOCOL_VERSION = 5
PLUGIN_VERSION = "v0.1.0"
BROKER_WAIT_SECONDS = 5.0
LOGIN_TTL_NS = 3600 * 1_000_000_000
LOGIN_MAX_TTL_NS = 2 * 3600 * 1_000_000_000

# ProtoError.err_type values (vault_backend.proto).
ERR_UNSUPPORTED_OPERATION = 5
ERR_UNSUPPORTED_PATH = 6
ERR_INVALID_REQUEST = 7
# TypeReply.type of an auth method.
BACKEND_TYPE_CREDENTIAL = 2


def log(message):
    """Write one line to standard error, which Coffer copies into its log."""
    sys.stderr.write(f"__NAME__: {message}\n")
    sys.stderr.flush()


def check_environment():
    """Return an error message when no host started this process, else None."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        return ("this is a Coffer auth plugin; register it in the plugin catalog of a "
                "Coffer or Vault server instead of running it by hand")
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if offered and str(BACKEND_PROTOCOL_VERSION) not in [v.strip() for v in offered.split(",")]:
        return (f"the host offers backend protocol versions {offered}; this plugin "
                f"speaks only version {BACKEND_PROTOCOL_VERSION}")
    return None


# Checked before grpc is imported, so a person who runs the file by hand gets
# the explanation even where the stubs are not generated.
if __name__ == "__main__":
    _problem = check_environment()
    if _problem is not None:
        sys.exit(_problem)

import grpc  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

import go_plugin_pb2  # noqa: E402
import go_plugin_pb2_grpc  # noqa: E402
import grpc_health_v1_pb2  # noqa: E402
import grpc_health_v1_pb2_grpc  # noqa: E402
import vault_backend_pb2 as pb  # noqa: E402
import vault_backend_pb2_grpc as pb_grpc  # noqa: E402
import vault_logical_pb2  # noqa: E402
import vault_logical_pb2_grpc  # noqa: E402


def make_certificate():
    """Create an ECDSA P-256 key and a self-signed certificate for `localhost`
    that is valid for both server and client authentication.

    Returns the key as PEM and the certificate as PEM and as DER."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
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
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM), \
        certificate.public_bytes(serialization.Encoding.DER)


class Broker(go_plugin_pb2_grpc.GRPCBrokerServicer):
    """Stores the ConnInfo messages the host sends down the broker stream,
    so that Setup can find the socket of its broker ID."""

    def __init__(self, stopping):
        self._offers = {}
        self._changed = threading.Condition()
        self._stopping = stopping

    def StartStream(self, request_iterator, context):
        for info in request_iterator:
            if info.HasField("knock") and info.knock.knock:
                continue
            with self._changed:
                self._offers[info.service_id] = info
                self._changed.notify_all()
        return
        yield  # makes this a generator: the reply stream stays empty

    def wait_for(self, service_id):
        deadline = time.monotonic() + BROKER_WAIT_SECONDS
        with self._changed:
            while service_id not in self._offers:
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set():
                    raise TimeoutError(f"the host offered no broker service {service_id} "
                                       f"within {BROKER_WAIT_SECONDS:.0f} seconds")
                self._changed.wait(left)
            return self._offers.pop(service_id)


class Health(grpc_health_v1_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service not in ("", "plugin"):
            context.abort(grpc.StatusCode.NOT_FOUND, f'unknown service "{request.service}"')
        return grpc_health_v1_pb2.HealthCheckResponse(
            status=grpc_health_v1_pb2.HealthCheckResponse.SERVING)


class Controller(go_plugin_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop):
        self._stop = stop

    def Shutdown(self, request, context):
        # Reply first, because stopping the server inside its own handler would wait on itself.
        threading.Thread(target=self._stop, daemon=True).start()
        return go_plugin_pb2.Empty()


class Stdio(go_plugin_pb2_grpc.GRPCStdioServicer):
    """Keeps the stdio stream open without sending anything, because this
    plugin writes its few log lines to standard error instead."""

    def __init__(self, stopping):
        self._stopping = stopping

    def StreamStdio(self, request, context):
        while not self._stopping.wait(1.0) and context.is_active():
            pass
        return
        yield


class Version(vault_logical_pb2_grpc.PluginVersionServicer):
    def Version(self, request, context):
        return vault_logical_pb2.VersionReply(plugin_version=PLUGIN_VERSION)


def error_reply(err_type, message):
    return pb.HandleRequestReply(err=pb.ProtoError(err_type=err_type, err_msg=message))


def data_reply(data):
    return pb.HandleRequestReply(response=pb.Response(data=json.dumps(data)))


def parse_roster(text):
    """Parse the `users` mount option. Raises ValueError with a message for
    the operator when it is malformed."""
    try:
        roster = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f'mount option "users" is not JSON: {err.msg}') from None
    if not isinstance(roster, dict):
        raise ValueError('mount option "users" must be a JSON object keyed by user name')
    for name, entry in roster.items():
        digest = entry.get("password_sha256") if isinstance(entry, dict) else None
        policies = entry.get("policies", []) if isinstance(entry, dict) else None
        if not isinstance(digest, str) or len(digest) != 64 or not all(c in string.hexdigits for c in digest):
            raise ValueError(f'user "{name}": missing or invalid "password_sha256"; expected 64 hex digits')
        if not isinstance(policies, list) or not all(isinstance(p, str) for p in policies):
            raise ValueError(f'user "{name}": "policies" must be a list of strings')
    return roster


class Backend(pb_grpc.BackendServicer):
    """The auth method. It does not multiplex, so Coffer starts one process
    per mount and one roster per process is enough."""

    def __init__(self, broker, host_credentials):
        self._broker = broker
        self._host_credentials = host_credentials
        self._roster = {}
        self._channel = None

    def Setup(self, request, context):
        try:
            self._roster = parse_roster(request.config.get("users", "{}"))
            # The brokered connection reaches the mount's storage and system
            # view. This method only uses it to learn the host's version,
            # which proves the mutual TLS in the other direction works.
            info = self._broker.wait_for(request.broker_id)
            if info.network != "unix":
                raise ValueError(f'unsupported broker network "{info.network}"')
            self._channel = grpc.secure_channel(
                f"unix:{info.address}", self._host_credentials,
                options=[("grpc.ssl_target_name_override", "localhost")])
            env = pb_grpc.SystemViewStub(self._channel).PluginEnv(pb.Empty(), timeout=10)
            log(f"mounted at {request.config.get('coffer_mount_point', '?')} "
                f"with {len(self._roster)} users; host speaks Vault API {env.plugin_environment.vault_version}")
        except (ValueError, TimeoutError, grpc.RpcError) as err:
            log(f"setup of mount {request.backend_uuid} failed: {err}")
            return pb.SetupReply(err=str(err))
        return pb.SetupReply()

    def SpecialPaths(self, request, context):
        return pb.SpecialPathsReply(paths=pb.Paths(unauthenticated=["login"]))

    def Initialize(self, request, context):
        return pb.InitializeReply()

    def Type(self, request, context):
        return pb.TypeReply(type=BACKEND_TYPE_CREDENTIAL)

    def HandleExistenceCheck(self, request, context):
        return pb.HandleExistenceCheckReply(check_found=False)

    def InvalidateKey(self, request, context):
        return pb.Empty()

    def Cleanup(self, request, context):
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        return pb.Empty()

    def HandleRequest(self, request, context):
        req = request.request
        if req.path == "users" and req.operation in ("read", "list"):
            return data_reply({"keys": sorted(self._roster)})
        if req.path != "login":
            return error_reply(ERR_UNSUPPORTED_PATH, f'no handler for path "{req.path}"')
        if req.operation == "renew" and req.HasField("auth"):
            return self._renew(req.auth)
        if req.operation not in ("create", "update"):
            return error_reply(ERR_UNSUPPORTED_OPERATION,
                               f'{req.operation} operation not supported on path "login"')
        return self._login(json.loads(req.data or "{}") or {})

    def _login(self, data):
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            return error_reply(ERR_INVALID_REQUEST, 'login needs the string fields "username" and "password"')
        entry = self._roster.get(username)
        offered = hashlib.sha256(password.encode()).hexdigest()
        # Compare even for an unknown user, so the reply takes about the same time.
        expected = entry["password_sha256"].lower() if entry else "0" * 64
        if not hmac.compare_digest(offered, expected) or entry is None:
            # Coffer, like Vault, replies 400 to data that contains only "error".
            return data_reply({"error": "invalid username or password"})
        auth = pb.Auth(
            policies=entry.get("policies", []),
            display_name=username,
            metadata={"username": username},
            alias=vault_logical_pb2.Alias(name=username),
            lease_options=pb.LeaseOptions(ttl=LOGIN_TTL_NS, max_ttl=LOGIN_MAX_TTL_NS, renewable=True),
        )
        return pb.HandleRequestReply(response=pb.Response(auth=auth))

    def _renew(self, login):
        """Renew a token this method issued: Coffer sends the login back, and
        the renewal is allowed while the user still exists with the same
        policies. Coffer caps the new TTL at the max TTL returned here."""
        username = login.metadata.get("username", "")
        entry = self._roster.get(username)
        if entry is None:
            return error_reply(ERR_INVALID_REQUEST, f'user "{username}" no longer exists, not renewing')
        issued = sorted(set(login.token_policies or login.policies) - {"default"})
        current = sorted(set(entry.get("policies", [])) - {"default"})
        if issued != current:
            return error_reply(ERR_INVALID_REQUEST, "policies have changed, not renewing")
        auth = pb.Auth(
            policies=list(login.token_policies or login.policies),
            lease_options=pb.LeaseOptions(ttl=LOGIN_TTL_NS, max_ttl=LOGIN_MAX_TTL_NS, renewable=True),
        )
        return pb.HandleRequestReply(response=pb.Response(auth=auth))


def main():
    host_certificate = os.environ.get("PLUGIN_CLIENT_CERT", "").encode()
    if not host_certificate:
        sys.exit("PLUGIN_CLIENT_CERT is not set; this example serves mutual TLS only")
    key_pem, cert_pem, cert_der = make_certificate()

    stopping = threading.Event()
    broker = Broker(stopping)
    host_credentials = grpc.ssl_channel_credentials(
        root_certificates=host_certificate, private_key=key_pem, certificate_chain=cert_pem)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    grpc_health_v1_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    go_plugin_pb2_grpc.add_GRPCBrokerServicer_to_server(broker, server)
    go_plugin_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stopping.set), server)
    go_plugin_pb2_grpc.add_GRPCStdioServicer_to_server(Stdio(stopping), server)
    vault_logical_pb2_grpc.add_PluginVersionServicer_to_server(Version(), server)
    backend = Backend(broker, host_credentials)
    pb_grpc.add_BackendServicer_to_server(backend, server)

    socket_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or ""
    made_dir = None
    if not socket_dir:
        socket_dir = made_dir = tempfile.mkdtemp(prefix="__NAME__-")
    address = os.path.join(socket_dir, f"plugin-{uuid.uuid4().hex[:12]}.sock")
    credentials = grpc.ssl_server_credentials(
        [(key_pem, cert_pem)], root_certificates=host_certificate, require_client_auth=True)
    server.add_secure_port(f"unix:{address}", credentials)
    server.start()

    certificate_field = base64.b64encode(cert_der).decode("ascii").rstrip("=")
    sys.stdout.write(f"{CORE_PROTOCOL_VERSION}|{BACKEND_PROTOCOL_VERSION}|unix|{address}|grpc|{certificate_field}\n")
    sys.stdout.flush()

    # Stop on Shutdown, on SIGTERM, or when the host process is gone.
    # SIGINT is ignored, as go-plugin plugins do, because the host decides when plugins stop.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    parent = os.getppid()
    while not stopping.wait(2.0):
        if os.getppid() != parent:
            log("host process exited; stopping")
            stopping.set()
    backend.Cleanup(None, None)
    server.stop(grace=2).wait()
    if made_dir:
        shutil.rmtree(made_dir, ignore_errors=True)
    else:
        try:
            os.unlink(address)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
