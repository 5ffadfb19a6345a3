#!/usr/bin/env python3
"""Example --capture-tags program for register-runner.

Reads one JSON object on stdin:
  {"hostname", "instance", "executor_type", "executor_file", "env": [values],
   "env_tags": {NAME: value}, "properties": {the tag properties so far}}
and prints one JSON object on stdout, merged into the properties (a key replaces the
property of that name; null removes it). Exit non-zero (with a message on stderr) to stop
register-runner from starting the runner. Standard library only; no network.
"""

import json
import re
import shutil
import sys


def main() -> int:
    request = json.load(sys.stdin)
    result = {}
    # "quartz12" -> "quartz": the cluster name, as the Python gitlab-runner-auth derived it.
    cluster = re.sub(r"\d+$", "", request["hostname"].split(".")[0])
    if cluster:
        result["clustername"] = cluster
    # A GPU vendor tag when its management tool is installed.
    for tool, vendor in (("nvidia-smi", "nvidia"), ("rocm-smi", "amd"), ("xpu-smi", "intel")):
        if shutil.which(tool):
            result["gpu"] = vendor
            break
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
