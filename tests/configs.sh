# tests/configs.sh - sourced by the scripts that take the Makefile's
# configurations as NAME=FLAGS arguments (its config_args: DEFS_<name>).
# read_configs "$@" fills DEFS[NAME]=FLAGS and CONFIGS=" NAME...", in the
# order given.
declare -A DEFS=()
CONFIGS=""
read_configs() {
    local arg
    for arg in "$@"; do
        DEFS[${arg%%=*}]=${arg#*=}
        CONFIGS="$CONFIGS ${arg%%=*}"
    done
}
