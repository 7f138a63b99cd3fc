"""`[core] hostname_callable` for the Celery topology test.

Both test workers run on one machine, so the default (the FQDN) would record the same
task_instance.hostname for both; each worker process gets its own name from the environment.
"""
import os
import socket


def hostname() -> str:
    return os.environ.get("DWH_WORKER_HOSTNAME") or socket.getfqdn()
