"""Generate a Python client from the live OpenAPI schema with openapi-python-client, import every module of it,
and read one page of logs through it. Arguments: the base URL of a running server, and an API token."""

import importlib
import pkgutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def main(base_url, token):
    with tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "schema.yaml"
        schema.write_bytes(urllib.request.urlopen(f"{base_url}/api/schema/").read())
        subprocess.run(
            [
                BIN / "openapi-python-client",
                "generate",
                "--path",
                schema,
                "--meta",
                "none",
                "--output-path",
                Path(folder) / "commlogs_client",
            ],
            check=True,
            env={"PATH": f"{BIN}:/usr/bin:/bin"},
        )
        sys.path.insert(0, folder)
        package = importlib.import_module("commlogs_client")
        modules = [
            importlib.import_module(found.name) for found in pkgutil.walk_packages(package.__path__, "commlogs_client.")
        ]
        print(f"imported {len(modules)} modules of the generated client")
        client = importlib.import_module("commlogs_client").AuthenticatedClient(base_url=base_url, token=token)
        listing = importlib.import_module("commlogs_client.api.communication_logs.admin_communication_logs_list")
        page = listing.sync(client=client, page_size=5)
        if page is None or page.code != 0 or len(page.items) != 5:
            raise SystemExit(f"the generated client read no page of logs: {page}")
        print(f"read a page of {len(page.items)} logs of {page.total} through it")


if __name__ == "__main__":
    main(*sys.argv[1:3])
