#!/usr/bin/env python3
"""Checks the cases printed by schema_cases with an independent validator.

Reads JSON lines from stdin: {"name", "schema", "instance", "valid"} per case, then a last
line {"cases": N}. Each schema must be a valid draft 2020-12 schema (check_schema), and the
instance must validate exactly when "valid" is true. Prints one line per failure, then
'N passed, M failed'; exits non-zero if anything failed, if no case ran, or if the case
program did not finish.

Run with Debian's /usr/bin/python3, which sees python3-jsonschema.
"""

import json
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError as e:
    print(f"schema_validate.py: cannot import jsonschema ({e}); "
          "install python3-jsonschema and run with /usr/bin/python3")
    print("0 passed, 1 failed")
    sys.exit(1)


def where(error):
    """The JSON path of the instance part an error is about, like $.children[0].name."""
    path = "$"
    for step in error.absolute_path:
        path += f"[{step}]" if isinstance(step, int) else f".{step}"
    return path


def check(case):
    """Returns None when the case behaves as expected, else the reason it does not."""
    schema, instance, valid = case["schema"], case["instance"], case["valid"]
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        return f"not a valid draft 2020-12 schema: {e.message}"
    validator = Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if valid and error is not None:
        return f"a document the serializer wrote was refused: {error.message} at {where(error)}"
    if not valid and error is None:
        return "a document the serializer never writes was accepted"
    return None


def main():
    passed = failed = 0
    announced = None
    for number, line in enumerate(sys.stdin, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            case = json.loads(line)
        except ValueError as e:
            print(f"FAIL line {number}: not JSON: {e}")
            failed += 1
            continue
        if set(case) == {"cases"}:
            announced = case["cases"]
            continue
        name = case.get("name", f"line {number}")
        try:
            reason = check(case)
        except Exception as e:  # a broken case is a failure, not a crash of the whole run
            reason = f"{type(e).__name__}: {e}"
        if reason is None:
            passed += 1
        else:
            print(f"FAIL {name}: {reason}")
            failed += 1
    if announced is None:
        print("FAIL: the case program stopped early (no final {\"cases\": N} line)")
        failed += 1
    elif announced != passed + failed:
        print(f"FAIL: the case program printed {announced} cases, {passed + failed} were read")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
