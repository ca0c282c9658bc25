#!/usr/bin/env bash
# The library's layers, read from its own #include lines, so that the picture cannot drift from
# the code.
#   scripts/architecture.sh check   fails if a header includes a concept its layer may not use
#   scripts/architecture.sh dot     prints the concepts and their dependencies as a Graphviz graph
#   scripts/architecture.sh svg     renders that graph to docs/images/architecture.svg (Graphviz)
# Which concept a header belongs to is decided by `concept_of` below; what each concept may use
# by `allowed`. A new header in a concept's folder needs no change here.
set -euo pipefail
cd "$(dirname "$0")/.."

# The concept of a header, from its path under include/webhook/.
concept_of() {
    case "$1" in
        webhook.hpp | src.hpp) echo umbrella ;;
        json/* | json.hpp | data_path.hpp) echo json ;;
        transport/* | transport.hpp) echo transport ;;
        spool/* | spool.hpp | file_spool.hpp | redis_spool.hpp | \
            event_id.hpp) echo spool ;;
        config/* | endpoint.hpp | retry.hpp | circuit.hpp) echo config ;;
        signing/* | signing.hpp) echo signing ;;
        auth/*) echo auth ;;
        dispatch/* | dispatcher.hpp | delivery.hpp) echo dispatch ;;
        observe/*) echo observe ;;
        hub/* | hub.hpp) echo hub ;;
        error.hpp | version.hpp | secret.hpp | detail/*) echo core ;;
        *) echo unknown ;; # reported by `check`
    esac
}

# What each concept may include besides itself: dependencies point one way, from dispatch
# down to core; transport and spool stand alone.
declare -A allowed=(
    [core]=""
    [json]="core"
    [transport]="core"
    [spool]="core"
    [observe]="core"
    [config]="core json transport"
    [signing]="core config transport"
    [auth]="core config transport json"
    [dispatch]="core json transport spool config signing auth observe"
    [hub]="core json transport spool config signing auth dispatch observe"
    [umbrella]="core json transport spool config signing auth dispatch observe hub"
)

# Includes that point the wrong way and are known, each as "<header> <included>" with its
# reason in a comment; none now.
known_exceptions=()

# Prints "from to header included" for every include that crosses concepts.
edges() {
    local file rel from inc to
    while IFS= read -r file; do
        rel=${file#include/webhook/}
        from=$(concept_of "$rel")
        while IFS= read -r inc; do
            to=$(concept_of "${inc#webhook/}")
            [ "$from" != "$to" ] && echo "$from $to $rel $inc"
        done < <(sed -n 's/^#include <\(webhook\/[^>]*\)>.*/\1/p' "$file")
    done < <(find include/webhook -name '*.hpp' | sort)
}

case "${1:-check}" in
    check)
        bad=0
        while read -r from to rel inc; do
            if [ "$from" = unknown ] || [ "$to" = unknown ]; then
                echo "layers: no concept for include/webhook/$rel or <$inc>: add it to concept_of" >&2
                bad=1
            elif [[ " ${allowed[$from]} " != *" $to "* ]] &&
                [[ " ${known_exceptions[*]/ /:} " != *" $rel:$inc "* ]]; then
                echo "layers: $rel ($from) includes <$inc> ($to); $from may use: ${allowed[$from]:-nothing}" >&2
                bad=1
            fi
        done < <(edges)
        [ $bad -eq 0 ] && echo "layers: every include points the allowed way"
        exit $bad
        ;;
    dot)
        # An edge's label counts the includes behind it; one its layer does not allow (a known
        # exception) is drawn dashed and red.
        echo 'digraph webhook {'
        echo '  rankdir=TB; node [shape=box, fontname="sans-serif"]; edge [color="#555555"];'
        declare -A count=()
        while read -r from to _ _; do
            [ "$from" = umbrella ] && continue
            count["$from $to"]=$((${count["$from $to"]:-0} + 1))
        done < <(edges)
        for pair in "${!count[@]}"; do
            read -r from to <<<"$pair"
            style=""
            [[ " ${allowed[$from]} " != *" $to "* ]] && style=', style=dashed, color="#cc0000"'
            echo "  $from -> $to [label=\"${count[$pair]}\"$style];"
        done | sort
        echo '}'
        ;;
    svg)
        command -v dot >/dev/null || scripts/deps.sh docs
        "$0" dot | dot -Tsvg -o docs/images/architecture.svg
        echo "wrote docs/images/architecture.svg"
        ;;
    *) echo "architecture.sh: check, dot or svg" >&2; exit 2 ;;
esac
