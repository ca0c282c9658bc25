#!/usr/bin/env python3
"""Parses an exposition with prometheus_client's parsers and prints what they read.

Usage: parse_exposition.py (prometheus|openmetrics) FILE

Prints, in the order read, a line per family, `family NAME TYPE "HELP"`, and after it a line
per sample, `sample NAME {LABELS} VALUE` (labels as sorted JSON, value as a Python float's
repr). Exits 1 with `error: ...` when the parser refuses the text, 3 when prometheus_client is
missing (Debian python3-prometheus-client: scripts/deps.sh test)."""
import json
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
    from prometheus_client.parser import text_string_to_metric_families as parse_text
except ImportError as e:
    print(f"python3 cannot import prometheus_client ({e}): run scripts/deps.sh test", file=sys.stderr)
    sys.exit(3)

parse = parse_om if sys.argv[1] == "openmetrics" else parse_text
with open(sys.argv[2], encoding="utf-8") as f:
    text = f.read()
try:
    for family in parse(text):
        print(f"family {family.name} {family.type} {json.dumps(family.documentation, ensure_ascii=False)}")
        for s in family.samples:
            labels = json.dumps(dict(sorted(s.labels.items())), separators=(",", ":"), ensure_ascii=False)
            print(f"sample {s.name} {labels} {float(s.value)!r}")
except ValueError as e:
    print(f"error: {e}")
    sys.exit(1)
