#!/bin/sh
# Validates the catalogue's documents with the reference parsers of AsyncAPI and OpenAPI, and
# checks that the same parsers refuse broken copies (so that this cannot pass vacuously).
#   run.sh <catalogue_documents program> <work directory>
# The npm packages (package-lock.json, pinned) are installed with `npm ci` into
# <work directory>/npm once, and again only when the lock file changes; never into the
# source tree. Without node and npm, as root, Debian's nodejs and npm are installed.
set -eu
program=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "run.sh: node or npm missing: installing Debian's nodejs and npm"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
    else
        echo "run.sh: node and npm are needed to validate the catalogue's documents;" \
             "install them (Debian: apt-get install nodejs npm) or run as root" >&2
        exit 1
    fi
fi

npm_dir=$work/npm
mkdir -p "$npm_dir" "$work/documents"
if [ ! -d "$npm_dir/node_modules" ] || ! cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json"; then
    cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
    start=$(date +%s)
    (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "run.sh: npm ci took $(($(date +%s) - start)) s"
fi
# Next to its node_modules: an ES module resolves its imports from where it lies.
cp "$here/validate.mjs" "$npm_dir/validate.mjs"

"$program" "$work/documents"
docs=$work/documents
node "$npm_dir/validate.mjs" "$docs/asyncapi.json" "$docs/openapi.json" \
    "$docs/hub-asyncapi.json" "$docs/hub-openapi.json"
node "$npm_dir/validate.mjs" --invalid "$docs"/broken-*.json
echo "run.sh: the documents are valid, and the broken ones refused"
