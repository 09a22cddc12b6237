"""Fixtures of the network tests live in the plugin `tests.network.operator_fixtures`."""
