"""Unit tests of plugin.py: the roster parser and the login path, without a server.

`npm test` runs them through src/unit.test.ts, which generates the protocol
modules first. By hand, with the modules in STUBS (see README.md):

    PYTHONPATH=STUBS /usr/bin/python3 -m unittest -v test_plugin
"""
import hashlib
import json
import unittest

import plugin
import vault_backend_pb2 as pb

PASSWORD = "correct horse battery staple"
ROSTER = {"alice": {"password_sha256": hashlib.sha256(PASSWORD.encode()).hexdigest(), "policies": ["dev"]}}


def login_request(data):
    """Build the HandleRequest arguments Coffer sends for a login."""
    return pb.HandleRequestArgs(request=pb.Request(path="login", operation="update", data=json.dumps(data)))


class ParseRosterTest(unittest.TestCase):
    def test_valid_roster(self):
        self.assertEqual(plugin.parse_roster(json.dumps(ROSTER)), ROSTER)

    def test_missing_hash_rejected(self):
        with self.assertRaises(ValueError) as raised:
            plugin.parse_roster('{"bob": {"policies": []}}')
        self.assertEqual(str(raised.exception), 'user "bob": missing or invalid "password_sha256"; expected 64 hex digits')

    def test_not_json_rejected(self):
        with self.assertRaises(ValueError) as raised:
            plugin.parse_roster("users")
        self.assertEqual(str(raised.exception), 'mount option "users" is not JSON: Expecting value')


class LoginTest(unittest.TestCase):
    def setUp(self):
        # Setup needs the host's broker, so the test sets the roster directly.
        self.backend = plugin.Backend(broker=None, host_credentials=None)
        self.backend._roster = plugin.parse_roster(json.dumps(ROSTER))

    def test_login_returns_auth(self):
        reply = self.backend.HandleRequest(login_request({"username": "alice", "password": PASSWORD}), None)
        self.assertEqual(list(reply.response.auth.policies), ["dev"])
        self.assertEqual(reply.response.auth.alias.name, "alice")
        self.assertEqual(reply.response.auth.lease_options.ttl, plugin.LOGIN_TTL_NS)

    def test_wrong_password_is_error_data(self):
        reply = self.backend.HandleRequest(login_request({"username": "alice", "password": "guess"}), None)
        self.assertEqual(json.loads(reply.response.data), {"error": "invalid username or password"})

    def test_missing_field_is_invalid_request(self):
        reply = self.backend.HandleRequest(login_request({"username": "alice"}), None)
        self.assertEqual(reply.err.err_type, plugin.ERR_INVALID_REQUEST)
        self.assertEqual(reply.err.err_msg, 'login needs the string fields "username" and "password"')


if __name__ == "__main__":
    unittest.main()
