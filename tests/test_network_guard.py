"""The guard in conftest.py: nothing in the suite may reach past this machine, and loopback stays open."""

import socket

import pytest

import conftest


def test_a_connection_beyond_loopback_is_refused_and_fails_the_test():
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="may not reach the network"):
        sock.connect(("93.184.216.34", 80))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("speech.platform.bing.com", 443)
    assert conftest._reached == ["connect 93.184.216.34", "getaddrinfo speech.platform.bing.com"]
    conftest._reached.clear()  # recorded attempts fail the test at teardown; these were on purpose


def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    try:
        socket.create_connection(server.getsockname(), timeout=1).close()
        assert socket.getaddrinfo("localhost", 80)
    finally:
        server.close()
