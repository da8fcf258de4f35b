#!/usr/bin/env bash
# vigil's Python package (python/): builds the wheel once (in the dev profile, whose settings are the
# test profile's, so the dependencies `cargo test --workspace` built are reused; with the gpu and turbojpeg
# features; a local wheel that links the system libturbojpeg, so no auditwheel repair) into
# target/wheels, installs it into the Python virtual environment scripts/test
# already uses (target/python-venv) with what the tests compare against (pdqhash,
# python-threatexchange, vpdq, Pillow, Ray Data), and runs pytest: the tests in python/tests and the examples in
# the package's docstrings. Under CI=true a missing tool or reference file fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-install.sh
. scripts/apt-install.sh

if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    apt_install "Python virtual environments, for the Python package's tests" python3-venv ||
        { echo "vigil: python3-venv is missing: the Python package cannot be tested" >&2; exit 1; }
fi
venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# What the build and the tests need: maturin builds the wheel; the references (pdqhash: Meta's
# C++ PDQ; threatexchange: PdqSignal and the FAISS PDQIndex; vpdq, which scripts/test has
# already built against ffmpeg's -dev packages); Ray Data for the Ray stage's test.
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "maturin>=1.9,<2" pytest numpy pdqhash "threatexchange>=1.2" pillow "ray[data]"
if ! "$venv/bin/python" -c "import vpdq" 2>/dev/null &&
    ! "$venv/bin/python" -m pip install -q --disable-pip-version-check vpdq; then
    # The vPDQ tests then skip, and fail under CI=true.
    echo "vigil: WARNING: Meta's vpdq could not be built (it needs ffmpeg's -dev packages)" >&2
fi

echo "== Python package: build the wheel (dev profile, gpu + turbojpeg)"
rm -rf target/wheels
# (Not maturin's `--profile test`: `cargo rustc` builds a test harness in that profile, an
# executable Python cannot load.)
"$venv/bin/maturin" build --locked -m python/Cargo.toml --features turbojpeg \
    --auditwheel skip -i "$venv/bin/python" --out target/wheels
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    target/wheels/vigil-*.whl

echo "== Python package: pytest (tests and docstring examples)"
# From outside python/, so the installed wheel is imported, not the source folder.
(cd python/tests && ../../"$venv/bin/python" -m pytest -q -p no:cacheprovider \
    --doctest-modules --import-mode=importlib . ../../"$venv"/lib/python3*/site-packages/vigil)

echo "== Python package: benchmark smoke run (benches/python_pdq.py --quick)"
"$venv/bin/python" benches/python_pdq.py --quick
