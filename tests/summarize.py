"""Print one closing line for a meson test run: 'tests: N passed, N failed'.

Reads meson's testlog.json (one JSON object per test). Skipped tests
(exit code 77) are counted apart.
"""

import json
import sys
from collections import Counter


def main(path: str) -> int:
    results = Counter()
    with open(path, encoding="utf-8") as log:
        for line in log:
            if line.strip():
                results[json.loads(line)["result"]] += 1

    passed = results["OK"] + results["EXPECTEDFAIL"]
    skipped = results["SKIP"]
    failed = sum(results.values()) - passed - skipped
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
