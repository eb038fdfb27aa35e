pytest_plugins = ["tests.servers.plugin"]
