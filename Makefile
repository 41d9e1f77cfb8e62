# Everyday commands. `make run` and `make test` are all a fresh machine needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
DATA   ?= data
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install llm run test test-fast lint docs browser bench eval clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,bench,docs]'
	touch $@

install: $(VENV)/.installed

# The local answer-checking model: llama.cpp compiles once per machine, tuned to its CPU but
# without the AMX kernels (they crash where the CPU reports AMX); the wheel is kept in the user's
# cache under a key of the CPU's flags and the build's, so another CPU builds its own.
LLAMA_VERSION := 0.3.36
LLAMA_CFLAGS  := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE   := -DGGML_NATIVE=ON
LLAMA_WHEELS  := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/assistant/wheels/$(shell (grep -m1 '^flags' /proc/cpuinfo; echo '$(LLAMA_CMAKE) $(LLAMA_CFLAGS)') | sha256sum | cut -c1-16)

$(VENV)/.llm: $(VENV)/.installed
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" \
	  $(PY) -m pip wheel -q --no-cache-dir --no-deps -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PY) -m pip install -q --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PY) -m pip install -q -e '.[llm]'
	touch $@

llm: $(VENV)/.llm

# Ingest the shipped seeds and open the web chat on http://127.0.0.1:7860
run: install
	$(BIN)/assistant ingest seeds --data-dir $(DATA)
	$(BIN)/assistant serve --data-dir $(DATA)

# Chromium from Debian for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

test: install llm browser
	$(PY) -m pytest -q

# The docs site into docs/site; strict: a broken link, a missing page or an undocumented setting fails.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -f docs/mkdocs.yml

lint: install
	$(BIN)/ruff check assistant ingest tests bench

test-fast: install
	$(PY) -m pytest -q -m "not integration"

# Benchmarks on the development sets (EVAL=DIR, see the docs' Benchmarks page); figures go to bench/out/.
EVAL ?= ../shared/eval
bench/data/realtimeqa.jsonl:
	$(PY) bench/realtimeqa_to_jsonl.py $(EVAL)/realtimeqa-dev $@

bench: install bench/data/realtimeqa.jsonl
	$(BIN)/assistant bench ingest bench/data/realtimeqa.jsonl
	$(BIN)/assistant bench peer $(EVAL)/squad2-dev
	$(BIN)/assistant bench peer $(EVAL)/realtimeqa-dev
	$(BIN)/assistant bench scale bench/data/realtimeqa.jsonl

eval: install
	$(BIN)/assistant eval $(EVAL)/squad2-dev --curve
	$(BIN)/assistant eval $(EVAL)/realtimeqa-dev --curve

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache docs/site
