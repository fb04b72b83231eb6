#!/usr/bin/env bash
# From git clone to the verdict line, every cache cold (fresh HOME, XDG, uv, pip, npm caches).
set -u
W=${1:-/tmp/c2v}; rm -rf $W; mkdir -p $W/home $W/cache
export HOME=$W/home XDG_CACHE_HOME=$W/cache UV_CACHE_DIR=$W/cache/uv PIP_CACHE_DIR=$W/cache/pip npm_config_cache=$W/cache/npm
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
unset PYTHONDONTWRITEBYTECODE
python3 -m venv $W/venv >/dev/null   # a new machine's tox lives somewhere; the venv itself is not counted
t0=$(date +%s.%N)
git clone -q "${REPO:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}" $W/repo; cd $W/repo
$W/venv/bin/python -m pip install --quiet tox tox-uv
t1=$(date +%s.%N)
$W/venv/bin/tox -e run 2>&1 | while IFS= read -r line; do printf '%.1f %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$line"; done > $W/out.txt
t2=$(date +%s.%N)
echo "pip install tox: $(echo "$t1 - $t0" | bc)"; echo "all: $(echo "$t2 - $t0" | bc)"
grep -E "exit [0-9]|HTML report|installing|run: commands|setup|congratulations" $W/out.txt | head -20
