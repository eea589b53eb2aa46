# Two commands do everything on a fresh machine:  make demo  ·  make test
# The first call installs uv (into .tools/) and the locked dependencies (into .venv/); `make test` also
# installs the system packages the tests need (LibreOffice Calc, CJK fonts, poppler) when they are missing.
.PHONY: demo test bench system-deps clean

UV := .tools/bin/uv
VENV_STAMP := .venv/.synced

demo: $(VENV_STAMP)
	.venv/bin/xlplugin demo demo

test: $(VENV_STAMP) system-deps
	.venv/bin/python -m pytest -q

bench: $(VENV_STAMP)
	.venv/bin/python benchmarks/bench_generate.py

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==0.13.9"

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	touch $@

system-deps:
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null && test -x /usr/sbin/dovecot && fc-list :lang=zh | grep -q . \
		|| scripts/install-system-deps

clean:
	rm -rf .venv .tools demo .pytest_cache
