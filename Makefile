# quantcloud: every target does its own set-up (scripts/setup.sh is quick when nothing changed)
PY := .venv/bin/python

.PHONY: setup test demo up bench synth clean

setup:
	@bash scripts/setup.sh

test: setup  ## run the whole test suite against real PostgreSQL, Redis and moto
	$(PY) -m pytest

demo: setup  ## run the main job end to end on the bundled real data and print a report
	$(PY) -m infra.local demo

up: setup  ## run the local emulation until Ctrl-C (HTTP :8000/dev, WebSocket :8001/dev)
	$(PY) -m infra.local up

bench: setup  ## benchmarks: ours against the named alternative, ratios printed from one run
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m benchmarks

synth: setup  ## synthesise the CDK app into cdk.out/
	$(PY) infra/app.py

clean:
	rm -rf .venv cdk.out .pytest_cache
