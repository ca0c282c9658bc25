#!/usr/bin/env bash
# The checks CI makes beside the tests:
# - every C++ file is formatted as the project's .clang-format says (clang-format 14);
# - every public header (not detail/ or impl/) compiles on its own, included first and twice,
#   with GCC and with clang 14, warnings as errors: a header that leans on what its includer
#   happened to include first, or on one compiler's leniency, fails here;
# - every include points the way the layers allow (scripts/architecture.sh check);
# - the library's files stay small: no header over 600 lines, no function over 80 (Universal
#   Ctags finds the functions; data tables are named in sizes_allowed).
# Usage: scripts/check.sh [format|layers|headers|sizes]...   (all when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh base test check

what=("$@")
[ ${#what[@]} -eq 0 ] && what=(format layers headers sizes)
status=0

check_format() {
    local files
    mapfile -t files < <(git ls-files '*.hpp' '*.cpp' 2>/dev/null ||
                         find include tests benchmarks examples -name '*.[ch]pp')
    if clang-format --dry-run -Werror "${files[@]}"; then
        echo "format: ${#files[@]} files as .clang-format says"
    else
        echo "format: the files above differ; run: clang-format -i <file>" >&2
        status=1
    fi
}

# One header with one compiler: prints what failed, exits non-zero.
check_header() {
    local compiler=$1 header=$2 defines=()
    # <webhook/src.hpp> is the one header for the compile-once mode only.
    [ "$header" = webhook/src.hpp ] && defines=(-DWEBHOOK_SEPARATE_COMPILATION)
    # The PostgreSQL outbox's header includes <libpq-fe.h>, which Debian keeps in its own folder.
    [[ "$header" == webhook/spool/postgres_spool.hpp ]] &&
        defines+=($(pkg-config --cflags-only-I libpq 2>/dev/null || echo -I/usr/include/postgresql))
    if ! printf '#include <%s>\n#include <%s>\nint main() {}\n' "$header" "$header" |
        "$compiler" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -Iinclude "${defines[@]}" \
            -x c++ - 2>/tmp/webhook-check-$$-"${header//\//_}"-"$compiler".log; then
        echo "headers: <$header> does not compile on its own with $compiler:" >&2
        head -20 /tmp/webhook-check-$$-"${header//\//_}"-"$compiler".log >&2
        rm -f /tmp/webhook-check-$$-"${header//\//_}"-"$compiler".log
        return 1
    fi
    rm -f /tmp/webhook-check-$$-"${header//\//_}"-"$compiler".log
}
export -f check_header

check_headers() {
    local headers
    mapfile -t headers < <(cd include && find webhook -name '*.hpp' -not -path '*/detail/*' \
                                              -not -path '*/impl/*' | sort)
    local jobs=()
    for compiler in g++ clang++; do
        for h in "${headers[@]}"; do jobs+=("$compiler $h"); done
    done
    if printf '%s\n' "${jobs[@]}" |
        xargs -P "$(nproc)" -L 1 bash -c 'check_header "$0" "$1"'; then
        echo "headers: ${#headers[@]} public headers compile on their own with g++ and clang++"
    else
        status=1
    fi
}

# Functions over 80 lines that are data tables, as "<path>:<function>".
sizes_allowed=(
    "include/webhook/error.hpp:message" # one sentence per error code
)

check_sizes() {
    local bad=0 file lines
    while IFS= read -r file; do
        lines=$(wc -l <"$file")
        if [ "$lines" -gt 600 ]; then
            echo "sizes: $file has $lines lines (at most 600)" >&2
            bad=1
        fi
    done < <(find include -name '*.hpp' | sort)
    while read -r length where; do
        if [[ " ${sizes_allowed[*]} " != *" $where "* ]]; then
            echo "sizes: $where is $length lines long (at most 80)" >&2
            bad=1
        fi
    done < <(find include -name '*.hpp' | sort |
             ctags --c++-kinds=f --fields=+ne --output-format=json -L - -o - |
             python3 -c '
import json, sys
for line in sys.stdin:
    tag = json.loads(line)
    length = tag.get("end", tag["line"]) - tag["line"] + 1
    if length > 80:
        print(length, tag["path"] + ":" + tag["name"])')
    if [ $bad -eq 0 ]; then
        echo "sizes: no header over 600 lines, no function over 80 (tables aside)"
    else
        status=1
    fi
}

for w in "${what[@]}"; do
    case "$w" in
        format) check_format ;;
        layers) scripts/architecture.sh check || status=1 ;;
        headers) check_headers ;;
        sizes) check_sizes ;;
        *) echo "check.sh: unknown check '$w' (format, layers, headers, sizes)" >&2; exit 2 ;;
    esac
done
exit $status
