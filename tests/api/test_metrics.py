"""`GET /metrics`: Prometheus text for this machine, or for whoever holds METRICS_TOKEN."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from core.runtime import Runtime
from tests.conftest import Backend, make_settings

TOKEN = "metrics-token-for-tests-0123"


def _client(runtime: Runtime, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_loopback_reads_the_metrics_others_and_proxied_requests_do_not(runtime: Runtime) -> None:
    with runtime.metrics.call("default", "phone"):
        async with _client(runtime) as local:
            response = await local.get("/metrics")
            proxied = await local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    active = families["convonet_active_calls"].samples
    assert [(s.labels, s.value) for s in active] == [({"line": "default", "channel": "phone"}, 1.0)]
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    assert proxied.status_code == 403  # through a proxy on this machine is not "this machine"
    async with _client(runtime, "203.0.113.7") as remote:
        assert (await remote.get("/metrics")).status_code == 403


async def test_with_a_token_only_its_bearer_reads_them(backend: Backend, tmp_path: Path) -> None:
    runtime = Runtime.build(make_settings(tmp_path, backend.database_url, backend.redis_url, metrics_token=TOKEN))
    try:
        async with _client(runtime, "203.0.113.7") as remote:
            assert (await remote.get("/metrics")).status_code == 401
            wrong = await remote.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})
            right = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        async with _client(runtime) as local:
            assert (await local.get("/metrics")).status_code == 401  # a token set means a token needed
    finally:
        await runtime.close()
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200 and "# HELP convonet_turns_total" in right.text


WORKERS = """
import os, sys
from pathlib import Path
from core.config import Settings, export_library_environment
from core.metrics import Metrics, shared_between_workers, worker_ended

held = []  # calls in progress

def worker(body):
    pid = os.fork()
    if pid == 0:
        try:
            body()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return pid

def dies_holding_a_call():
    m = Metrics(shared)
    held.append(m.call("default", "phone"))
    held[-1].__enter__()
    m.worker(load=0.3, lag=0.01, accepting=True)

def answers_the_scrape():
    m = Metrics(shared)
    with m.call("default", "phone"):
        pass
    held.append(m.call("default", "web"))
    held[-1].__enter__()
    m.worker(load=0.5, lag=0.02, accepting=True)
    Path(sys.argv[2]).write_bytes(m.render())

settings = Settings(metrics_dir=Path(sys.argv[1]), _env_file=None)  # METRICS_DIR, as `convonet serve` has it
export_library_environment(settings)
with shared_between_workers(settings.metrics_dir) as shared:
    worker_ended(worker(dies_holding_a_call), shared)  # as `convonet serve` reaps a worker
    print(worker(answers_the_scrape))
"""


def test_workers_of_one_machine_answer_with_its_sums(tmp_path: Path) -> None:
    """`convonet serve --workers N`: any worker's /metrics counts every worker's calls (prometheus-client's
    multiprocess mode, in real forked processes); a worker that died leaves its calls in progress and its
    own series, not its counts."""
    import subprocess
    import sys

    scrape = tmp_path / "scrape.txt"
    run = subprocess.run([sys.executable, "-c", WORKERS, str(tmp_path / "shared"), str(scrape)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    answering = run.stdout.strip()
    families = {f.name: f for f in text_string_to_metric_families(scrape.read_text())}
    calls = {s.labels["channel"]: s.value for s in families["convonet_calls"].samples if s.name.endswith("_total")}
    assert calls == {"phone": 2.0, "web": 1.0}  # both workers' calls
    active = {s.labels["channel"]: s.value for s in families["convonet_active_calls"].samples}
    assert active == {"phone": 0.0, "web": 1.0}  # the dead worker's call is not in progress
    loads = [(s.labels, s.value) for s in families["convonet_worker_load_cores"].samples]
    assert loads == [({"pid": answering}, 0.5)]  # one series per live worker
    assert [s.labels for s in families["convonet_worker_resident_memory_bytes"].samples] == [{"pid": answering}]
    assert "process_resident_memory_bytes" not in families  # it would show only whichever worker answered
