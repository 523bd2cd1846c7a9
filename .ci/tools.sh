# Sourced by the .ci scripts: installs, once per machine, the tools that are
# not part of the Rust toolchain, pinned, under target/ci-tools (ignored by
# git, kept between runs). CI runs as root on a fresh machine with the
# registries reachable; nothing here needs a Docker engine.

CI_TOOLS="$PWD/target/ci-tools"
BUF_VERSION=1.75.0

# Prints the path of buf, installed from npm: @bufbuild/buf carries the
# binary itself, so no download happens outside the registry.
ensure_buf() {
  local buf="$CI_TOOLS/buf/node_modules/.bin/buf"
  if [[ ! -x "$buf" ]] || [[ "$("$buf" --version)" != "$BUF_VERSION" ]]; then
    mkdir -p "$CI_TOOLS/buf"
    npm install --silent --no-audit --no-fund --prefix "$CI_TOOLS/buf" \
      "@bufbuild/buf@$BUF_VERSION" >&2
  fi
  echo "$buf"
}

# Installs Debian's docker-compose (the Python implementation, 1.29), which
# validates compose files without an engine.
ensure_docker_compose() {
  if ! command -v docker-compose >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2
  fi
}

# Prints the path of a virtual environment's python with
# examples/python/requirements.txt installed.
ensure_python_venv() {
  local venv="$CI_TOOLS/python-venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r examples/python/requirements.txt >&2
  echo "$venv/bin/python"
}
