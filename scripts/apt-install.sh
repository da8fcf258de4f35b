# Sourced by scripts/test, scripts/demo and the front ends' test scripts: installing Debian packages when they are
# missing, and `missing` for a tool that cannot be had.

# apt_install WHY PACKAGE...: installs the packages with apt-get (through sudo when not root),
# refreshing the package index once per run; fails (status 1) when there is no apt-get or the
# install fails, after saying why the packages were wanted.
apt_install() {
    local why=$1
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "vigil: no apt-get to install $* ($why)" >&2
        return 1
    fi
    local sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "vigil: installing $* ($why)"
    if [ -z "${VIGIL_APT_UPDATED:-}" ]; then
        $sudo_cmd apt-get update -q >/dev/null || true
        VIGIL_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "$@" >/dev/null
}

# A tool that cannot be had: a failure under CI=true (nothing may skip there), else a warning and
# the caller skips the step.
missing() {
    if [ "${CI:-}" = "true" ]; then
        echo "vigil: $1, and CI=true: failing" >&2
        exit 1
    fi
    echo "vigil: WARNING: $1; skipped" >&2
}
